"""The HEMIS simulator on the port `session_settings.hemis_api_url` names, reset for every test."""

from __future__ import annotations

import pytest

from shared.settings import Settings
from simulators.hemis.control import SimulatorControl
from tests.support.hemis import simulator_for


@pytest.fixture
def hemis(settings: Settings) -> SimulatorControl:
    """The control API of a simulator with no data, no faults, no latency (and clean DB/Redis)."""
    simulator_for(settings)
    control = SimulatorControl(settings.hemis_api_url)
    control.reset()
    control.config(token=settings.hemis_bearer_token)
    return control
