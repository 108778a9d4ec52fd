"""Configuration is parsed strictly: a bad value stops start-up naming the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.config import ConfigError, load_settings


def load(tmp_path: Path, **env: str) -> object:
    return load_settings(env, instance_path=tmp_path)


def test_embedded_defaults_need_no_configuration(tmp_path: Path) -> None:
    settings = load_settings({}, instance_path=tmp_path)
    assert settings.database_url == f"sqlite:///{tmp_path / 'hotline.sqlite3'}"
    assert settings.redis_url is None and settings.embedded_redis
    assert not settings.twilio_configured
    assert not settings.google_configured
    # The generated secret is kept, so encrypted numbers stay readable across restarts.
    assert load_settings({}, instance_path=tmp_path).secret_key == settings.secret_key


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_URL", "mysql://root@localhost/hotline"),
        ("DATABASE_URL", "not a url"),
        ("REDIS_URL", "http://127.0.0.1:6379"),
        ("TWILIO_ACCOUNT_SID", "SK123"),
        ("TWILIO_ACCOUNT_SID", "AC 123"),
        ("TWILIO_AUTH_TOKEN", "two words"),
        ("TWILIO_NUMBER", "hotline"),
        ("TWILIO_API_URL", "ftp://twilio.example"),
        ("HOTLINE_PUBLIC_URL", "hotline.example.org"),
        ("HOTLINE_PUBLIC_URL", "https://hotline.example.org/?x=1"),
        ("HOTLINE_SECRET_KEY", "has spaces in it"),
        ("GOOGLE_CLOUD_PROJECT", "Bad Project!"),
        ("GOOGLE_CLOUD_PROJECT", "projects/x"),
        ("GOOGLE_TRANSLATE_ENDPOINT", "127.0.0.1:9000"),
        ("GOOGLE_SPEECH_ENDPOINT", "localhost"),
        ("HOTLINE_QUIET_HOURS", "9pm-8am"),
        ("HOTLINE_AGENT_LANGUAGES", "en,xx"),
    ],
)
def test_bad_value_names_the_variable(tmp_path: Path, variable: str, value: str) -> None:
    with pytest.raises(ConfigError, match=variable):
        load_settings({variable: value}, instance_path=tmp_path)


def test_postgres_urls_use_psycopg(tmp_path: Path) -> None:
    settings = load_settings(
        {"DATABASE_URL": "postgres://u:p@db.internal:5432/hotline"}, instance_path=tmp_path
    )
    assert settings.database_url.startswith("postgresql+psycopg://")


def test_secrets_never_appear_in_repr_or_public_dict(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "TWILIO_ACCOUNT_SID": "AC" + "a" * 32,
            "TWILIO_AUTH_TOKEN": "very-secret-token-value",
            "HOTLINE_SECRET_KEY": "another-very-secret-value",
            "DATABASE_URL": "postgresql://u:db-password-value@db/hotline",
        },
        instance_path=tmp_path,
    )
    shown = repr(settings) + repr(settings.public_dict())
    for secret in ("very-secret-token-value", "another-very-secret-value", "db-password-value"):
        assert secret not in shown
    assert settings.twilio_configured


def test_phone_number_is_normalised_to_e164(tmp_path: Path) -> None:
    settings = load_settings({"TWILIO_NUMBER": "+81 50-0000-0000"}, instance_path=tmp_path)
    assert settings.twilio_number == "+815000000000"


def test_cli_reports_a_bad_variable_without_a_traceback(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from hotline.cli import main

    result = CliRunner().invoke(
        main, ["config"], env={"REDIS_URL": "http://x", "HOTLINE_INSTANCE_PATH": str(tmp_path)}
    )
    assert result.exit_code != 0
    assert "REDIS_URL" in result.output
    assert "Traceback" not in result.output


def test_test_accounts_and_emulator_values_are_accepted(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "TWILIO_ACCOUNT_SID": "AC" + "x" * 32,
            "TWILIO_AUTH_TOKEN": "secret",
            "HOTLINE_SECRET_KEY": "short-key",
            "GOOGLE_CLOUD_PROJECT": "test",
            "DATABASE_URL": "postgresql+psycopg2://u@db/hotline",
        },
        instance_path=tmp_path,
    )
    assert settings.twilio_configured and settings.google_configured
    assert settings.database_url.startswith("postgresql+psycopg://")


def test_an_account_sid_without_its_auth_token_stops_start_up(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="TWILIO_AUTH_TOKEN"):
        load_settings({"TWILIO_ACCOUNT_SID": "AC" + "a" * 32}, instance_path=tmp_path)


def test_live_wait_limits_are_minutes_per_language_with_a_default(tmp_path: Path) -> None:
    settings = load_settings({"HOTLINE_LIVE_WAIT_LIMITS": "vi=5,default=3"}, instance_path=tmp_path)
    assert dict(settings.live_wait_limits) == {"default": 3, "vi": 5}
    assert dict(load_settings({}, instance_path=tmp_path).live_wait_limits) == {"default": 5}


@pytest.mark.parametrize("value", ["xx=3", "vi=0", "vi=five", "vi", "default=121"])
def test_a_bad_live_wait_limit_names_the_variable(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match="HOTLINE_LIVE_WAIT_LIMITS"):
        load(tmp_path, HOTLINE_LIVE_WAIT_LIMITS=value)


@pytest.mark.parametrize("value", ["0", "-5", "ten", "1441"])
def test_a_bad_idle_time_names_the_variable(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match="HOTLINE_AGENT_IDLE_MINUTES"):
        load(tmp_path, HOTLINE_AGENT_IDLE_MINUTES=value)
