"""What the API and the workers share: settings, models, the database session, Redis helpers."""
