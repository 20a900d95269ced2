"""The runs page (`GET /`): static files polling the JSON API."""
