from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared.settings import DEFAULT_TASK_TIME_LIMIT_S, ConfigError, FlowerSettings, HemisGroup, Settings


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


def test_parsing_follows_the_field_types_so_an_optional_int_is_an_int():
    class Probe(Settings):
        probe_limit_s: int | None = None

    assert Probe.from_env({"PROBE_LIMIT_S": "5"}).probe_limit_s == 5
    assert Probe.from_env({"PROBE_LIMIT_S": ""}).probe_limit_s is None  # empty = unset
    with pytest.raises(ConfigError, match="PROBE_LIMIT_S must be a whole number"):
        Probe.from_env({"PROBE_LIMIT_S": "soon"})


@pytest.mark.parametrize(("raw", "expected"), [("1", True), ("0", False), ("TRUE", True), ("false", False),
                                               ("yes", True), ("no", False), (" on ", True), ("off", False)])
def test_flags_accept_the_usual_words(raw, expected):
    assert Settings.from_env({"DELETE_AUDIO_AFTER_ANALYSIS": raw}).delete_audio_after_analysis is expected


def test_a_bad_flag_names_its_variable_and_the_accepted_words():
    with pytest.raises(ConfigError, match="DELETE_AUDIO_AFTER_ANALYSIS must be one of 1/0, true/false"):
        Settings.from_env({"DELETE_AUDIO_AFTER_ANALYSIS": "maybe"})


def test_only_the_given_mapping_is_read_and_names_are_case_insensitive(monkeypatch):
    monkeypatch.setenv("HEMIS_PAGE_SIZE", "7")
    assert Settings.from_env({"hemis_page_size": "50", "PORT": ""}).hemis_page_size == 50
    assert Settings.from_env({}).port == 3000  # os.environ is not consulted when a mapping is given
    assert Settings().hemis_page_size == 200  # direct construction: the given values and the defaults only
    assert Settings.from_env().hemis_page_size == 7


def test_direct_construction_and_replace_are_validated_too():
    with pytest.raises(ConfigError, match="HEMIS_PAGE_SIZE must lie within 1..200"):
        Settings(hemis_page_size=500)
    with pytest.raises(ConfigError, match="CELERY_VISIBILITY_TIMEOUT_S must be longer"):
        Settings().replace(celery_visibility_timeout_s=DEFAULT_TASK_TIME_LIMIT_S)
    with pytest.raises(ConfigError, match="PORTS is not a setting"):
        Settings(ports=1)
    changed = Settings().replace(hemis_page_size=50)
    assert changed.hemis_page_size == 50 and Settings().hemis_page_size == 200


def test_settings_are_immutable():
    settings = Settings()
    with pytest.raises(ValidationError):
        settings.port = 1  # type: ignore[misc]
    assert settings.checked() is settings


def test_a_rejected_secret_is_not_repeated_in_the_message():
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"JWT_SECRET_KEY": "my-short-secret"})
    assert "my-short-secret" not in str(caught.value) and caught.value.__cause__ is None


@pytest.mark.parametrize(("name", "successor"), [("HEMIS_PAGE_STALL_S", "RECOVERY_LEASE_S"),
                                                 ("HEMIS_SUPERVISE_INTERVAL_S", "RECOVERY_SWEEP_INTERVAL_S")])
def test_a_deprecated_setting_is_accepted_with_a_warning_and_ignored(name, successor, caplog):
    with pytest.warns(DeprecationWarning, match=f"{name} is ignored: it was superseded by {successor}"):
        settings = Settings.from_env({name: "not even a number"})
    assert f"{name} is ignored" in caplog.text
    assert name.lower() not in Settings.model_fields and name not in settings.to_env()
    assert settings == Settings()


def test_no_warning_without_deprecated_settings(recwarn):
    Settings.from_env({"NAVAI_ENV": "test"})
    assert not [warning for warning in recwarn if issubclass(warning.category, DeprecationWarning)]


def test_every_hemis_knob_is_in_the_hemis_group():
    hemis_fields = {name for name in Settings.model_fields if name.startswith("hemis_")}
    assert hemis_fields == set(HemisGroup.model_fields)
    assert Settings.from_env({"HEMIS_READ_TIMEOUT_S": "30"}).hemis_read_timeout_s == 30.0  # read flat


def test_flower_variables_have_one_home():
    assert not {name for name in Settings.model_fields if name.startswith("flower_")}
    flower = FlowerSettings.from_env({"FLOWER_BASIC_AUTH": " ops:secret-1 , ci:secret-2 "})
    assert flower.basic_auth == ["ops:secret-1", "ci:secret-2"] and flower.flower_address == "127.0.0.1"
    everywhere = FlowerSettings.from_env({"FLOWER_BASIC_AUTH": "a:b", "FLOWER_ADDRESS": "0.0.0.0"})
    assert everywhere.flower_address == "0.0.0.0"


@pytest.mark.parametrize(("environ", "message"), [
    ({}, "Flower refuses to start without authentication: set FLOWER_BASIC_AUTH=user:password"),
    ({"FLOWER_BASIC_AUTH": " , "}, "Flower refuses to start without authentication"),
    ({"FLOWER_BASIC_AUTH": "admin"}, "FLOWER_BASIC_AUTH must be user:password"),
    ({"FLOWER_BASIC_AUTH": "a:b,:pw"}, "FLOWER_BASIC_AUTH must be user:password"),
])
def test_flower_refuses_missing_or_malformed_basic_auth(environ, message):
    with pytest.raises(ConfigError, match=message):
        FlowerSettings.from_env(environ)
