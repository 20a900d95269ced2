"""Leases of in-flight units (the shared half of crash recovery): the lease store and leased publishing."""
