from __future__ import annotations

import pytest

from shared.settings import ConfigError, Settings


def test_production_api_without_jwt_secret_fails_with_a_clear_message():
    from api import create_app

    settings = Settings.from_env({"NAVAI_ENV": "production"})  # a worker host needs no JWT secret
    with pytest.raises(ConfigError, match="JWT_SECRET_KEY is not set"):
        create_app(settings)


def test_defaults_follow_the_original_guides():
    settings = Settings.from_env({"NAVAI_ENV": "development"}).with_api_secrets()
    assert settings.port == 3000
    assert settings.sipuni_api_url == "https://sipuni.com/api"
    assert settings.hemis_sync_cron == "0 1 * * *"
    assert settings.hemis_page_size == 200
    assert settings.hemis_run_deadline_s == 6 * 3600
    assert settings.hemis_rate_limit == 1.0
    # Outside production a throwaway secret stands in, and nothing secret has a usable default.
    assert settings.secrets_generated == ("JWT_SECRET_KEY",)
    assert settings.webhook_api_key == "" and settings.sipuni_secret == "" and settings.hemis_bearer_token == ""


def test_values_are_converted_and_bad_ones_name_their_variable():
    settings = Settings.from_env({"NAVAI_ENV": "test", "HEMIS_PAGE_SIZE": "200", "HEMIS_RATE_LIMIT": "0",
                                  "DELETE_AUDIO_AFTER_ANALYSIS": "true"})
    assert settings.hemis_page_size == 200 and settings.hemis_rate_limit == 0.0
    assert settings.delete_audio_after_analysis is True
    with pytest.raises(ConfigError, match="HEMIS_PAGE_SIZE"):
        Settings.from_env({"NAVAI_ENV": "test", "HEMIS_PAGE_SIZE": "fifty"})
    with pytest.raises(ConfigError, match="HEMIS_PAGE_SIZE"):
        Settings.from_env({"NAVAI_ENV": "test", "HEMIS_PAGE_SIZE": "500"})
    assert Settings.from_env({"NAVAI_ENV": "test", "HEMIS_PAGE_SIZE": "50"}).hemis_page_size == 50
    assert Settings.from_env({"NAVAI_ENV": "test", "HEMIS_PAGE_SIZE": "1"}).hemis_page_size == 1
    with pytest.raises(ConfigError, match="HEMIS_PAGE_SIZE"):
        Settings.from_env({"NAVAI_ENV": "test", "HEMIS_PAGE_SIZE": "0"})
    with pytest.raises(ConfigError, match="HEMIS_RUN_DEADLINE_S"):
        Settings.from_env({"NAVAI_ENV": "test", "HEMIS_RUN_DEADLINE_S": "0"})


def test_short_jwt_secret_is_refused():
    with pytest.raises(ConfigError, match="at least"):
        Settings.from_env({"JWT_SECRET_KEY": "short"})


def test_to_env_round_trips():
    settings = Settings.from_env({"NAVAI_ENV": "test", "JWT_SECRET_KEY": "x" * 32, "HEMIS_RATE_LIMIT": "5"})
    assert Settings.from_env(settings.to_env()) == settings


@pytest.mark.parametrize("value", ["59", "86401", "-1", "315360000"])
def test_jwt_lifetime_outside_a_minute_to_a_day_is_refused(value):
    with pytest.raises(ConfigError, match="JWT_EXPIRES_S must lie within 60..86400"):
        Settings.from_env({"NAVAI_ENV": "test", "JWT_EXPIRES_S": value})


def test_jwt_secret_needs_32_bytes():
    with pytest.raises(ConfigError, match="at least 32 bytes"):
        Settings.from_env({"NAVAI_ENV": "test", "JWT_SECRET_KEY": "x" * 31})
    assert Settings.from_env({"NAVAI_ENV": "test", "JWT_SECRET_KEY": "x" * 32}).jwt_secret_key == "x" * 32


def test_a_short_webhook_key_is_refused_at_start():
    with pytest.raises(ConfigError, match="WEBHOOK_API_KEY must be at least 24"):
        Settings.from_env({"NAVAI_ENV": "test", "WEBHOOK_API_KEY": "1"})
