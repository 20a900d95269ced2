"""Scoring criteria: routes, their store and the `flask criteria` CLI."""
