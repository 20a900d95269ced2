"""Organizations and their settings over HTTP, and the `flask orgs` CLI."""
