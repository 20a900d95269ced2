"""Statistics fixtures: the Sipuni simulator, an organization with employees, and its synced calls."""

from tests.api.stats.sim_data import sync_calls, synced  # noqa: F401 (fixtures)
from tests.support.sipuni import sipuni, sipuni_org  # noqa: F401 (fixtures)
