"""Sipuni fixtures for the API tests outside tests/api/sipuni (metrics, CLI)."""

from tests.support.sipuni import sipuni, sipuni_org  # noqa: F401 (fixtures)
