"""A faithful HEMIS REST API simulator (see `server.py` for the routes and the control API)."""
