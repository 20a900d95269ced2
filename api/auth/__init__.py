"""Authentication: login, logout, JWT setup, roles, the token blocklist and the login throttle."""
