"""Sipuni (cloud telephony): signed API client, CSV export parser, and the two-step sync tasks."""
