"""Runs over HTTP and the CLI: `GET /runs`, `GET /runs/<id>`, `GET /overview`, `GET /tasks/<id>`, `flask runs ...`."""
