"""Bounded tenants (issue #18, point 7): the settings behind the bounds, refused at start when they
make no sense, and METRICS_TOKEN at least 24 characters."""

from __future__ import annotations

import secrets

import pytest

from shared.settings import ConfigError, Settings


def test_a_metrics_token_shorter_than_24_characters_stops_the_start():
    short = secrets.token_hex(23)[:23]
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({"METRICS_TOKEN": short})
    assert "METRICS_TOKEN must be at least 24 characters" in str(refused.value)
    assert short not in str(refused.value)  # a secret is never repeated
    assert Settings.from_env({"METRICS_TOKEN": secrets.token_hex(12)}).metrics_token  # 24 characters
    assert Settings.from_env({"METRICS_TOKEN": ""}).metrics_token == ""  # unset: /metrics is open


def test_the_bounds_have_their_defaults():
    settings = Settings.from_env({})
    assert (settings.sync_min_interval_s, settings.stats_max_window_days, settings.stats_statement_timeout_ms) == \
        (900, 400, 10_000)


@pytest.mark.parametrize(("variable", "value", "expected"), [
    ("SYNC_MIN_INTERVAL_S", "59", "SYNC_MIN_INTERVAL_S must lie within 60..86400 s"),
    ("SYNC_MIN_INTERVAL_S", "86401", "SYNC_MIN_INTERVAL_S must lie within 60..86400 s"),
    ("STATS_MAX_WINDOW_DAYS", "0", "STATS_MAX_WINDOW_DAYS must be at least 1"),
    ("STATS_STATEMENT_TIMEOUT_MS", "0", "STATS_STATEMENT_TIMEOUT_MS must lie within 1..3600000"),
])
def test_bounds_that_make_no_sense_stop_the_start(variable, value, expected):
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({variable: value})
    assert expected in str(refused.value)
