"""Statistics fixtures: the Sipuni simulator and an organization with employees."""

from tests.support.sipuni import sipuni, sipuni_org  # noqa: F401 (fixtures)
