"""Users over HTTP (`/users`, `/auth/me`) and the `flask users` CLI."""
