"""What the API and the AI workers agree on: queued marks of calls and the AI tasks' time limits."""
