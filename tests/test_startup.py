"""`hotline serve` and `hotline worker` refuse to start broken, listing every problem;
with nothing wrong they get as far as starting (gunicorn and RQ are stubbed out here)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from hotline.cli import main
from hotline.config import data_path
from hotline.runtime import Runtime, set_current
from tests.conftest import both_backends, make_settings

GOOD_KEY = "a-long-and-random-secret-key-0001"
OTHER_KEY = "another-long-random-secret-key-02"


class Started(Exception):
    """Raised instead of serving: the process got past its start-up checks."""


@pytest.fixture(autouse=True)
def no_serving(monkeypatch: pytest.MonkeyPatch) -> None:
    def started(*_args: Any, **_kwargs: Any) -> None:
        raise Started

    monkeypatch.setattr("hotline.server._Gunicorn.run", started)
    monkeypatch.setattr("rq.SimpleWorker.work", started)


def env_for(
    database_url: str, redis_url: str, tmp_path: Path, **extra: str
) -> dict[str, str | None]:
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "HOTLINE_INSTANCE_PATH": str(tmp_path / "instance"),
        "HOTLINE_SECRET_KEY": GOOD_KEY,
        "PROMETHEUS_MULTIPROC_DIR": None,  # restored after each run: `serve` sets it
        **extra,
    }


def invoke(command: str, env: dict[str, str | None]) -> Result:
    args = ["serve"] if command == "serve" else ["worker", "--burst"]
    result = CliRunner().invoke(main, args, env=env)
    set_current(None)
    return result


def started(result: Result) -> bool:
    return isinstance(result.exception, Started)


@pytest.fixture
def broken_scripts(tmp_path: Path) -> Path:
    scripts = tmp_path / "ivr_scripts"
    shutil.copytree(data_path("ivr_scripts"), scripts)
    vi = scripts / "prompts" / "vi.yaml"
    vi.write_text(vi.read_text().replace("  goodbye:\n    text:", "  goodbye:\n    txt:", 1))
    ja = scripts / "prompts" / "ja.yaml"
    ja.write_text(ja.read_text().replace("language: ja", "language: jp", 1))
    sms = scripts / "sms" / "th.yaml"
    sms.write_text(sms.read_text().replace("keywords:", "keywordz:", 1))
    return scripts


@pytest.mark.parametrize("command", ["serve", "worker"])
@pytest.mark.slow
def test_broken_scripts_stop_start_up_with_every_problem_listed(
    command: str, database_url: str, redis_url: str, tmp_path: Path, broken_scripts: Path
) -> None:
    env = env_for(database_url, redis_url, tmp_path, HOTLINE_IVR_SCRIPTS=str(broken_scripts))
    result = invoke(command, env)
    assert result.exit_code == 1 and not started(result), result.output
    assert "refusing to start" in result.output
    assert "prompts/vi.yaml:" in result.output and "goodbye: needs a `text`" in result.output
    assert "prompts/ja.yaml:4: language: must be 'ja'" in result.output
    assert "sms/th.yaml:" in result.output
    assert "Traceback" not in result.output


@pytest.mark.slow
def test_a_missing_menu_stops_start_up(
    database_url: str, redis_url: str, tmp_path: Path, broken_scripts: Path
) -> None:
    (broken_scripts / "menu.yaml").unlink()
    env = env_for(database_url, redis_url, tmp_path, HOTLINE_IVR_SCRIPTS=str(broken_scripts))
    result = invoke("serve", env)
    assert result.exit_code == 1 and not started(result)
    assert "menu.yaml" in result.output


@pytest.mark.slow
def test_missing_placeholder_audio_stops_start_up(
    database_url: str, redis_url: str, tmp_path: Path
) -> None:
    audio = tmp_path / "audio"
    shutil.copytree(data_path("audio"), audio)
    (audio / "ne" / "goodbye.wav").unlink()
    result = invoke(
        "serve", env_for(database_url, redis_url, tmp_path, HOTLINE_AUDIO_DIR=str(audio))
    )
    assert result.exit_code == 1 and not started(result)
    assert "audio/ne/goodbye.wav" in result.output


@pytest.mark.parametrize("command", ["serve", "worker"])
@pytest.mark.slow
def test_a_short_secret_key_stops_start_up(
    command: str, database_url: str, redis_url: str, tmp_path: Path
) -> None:
    env = env_for(database_url, redis_url, tmp_path, HOTLINE_SECRET_KEY="short-key")
    result = invoke(command, env)
    assert result.exit_code == 1 and not started(result)
    assert "HOTLINE_SECRET_KEY: shorter than 16 characters" in result.output
    assert "short-key" not in result.output


@both_backends
@pytest.mark.slow
def test_a_different_secret_key_on_existing_data_stops_start_up(
    database_url: str, redis_url: str, tmp_path: Path
) -> None:
    assert started(invoke("serve", env_for(database_url, redis_url, tmp_path)))
    for command in ("serve", "worker"):
        env = env_for(database_url, redis_url, tmp_path, HOTLINE_SECRET_KEY=OTHER_KEY)
        result = invoke(command, env)
        assert result.exit_code == 1 and not started(result), command
        assert "does not match the key this database was started with" in result.output
        assert OTHER_KEY not in result.output and GOOD_KEY not in result.output
    assert started(invoke("worker", env_for(database_url, redis_url, tmp_path)))


@pytest.mark.slow
def test_a_database_from_before_key_checks_is_checked_against_its_numbers(
    database_url: str, redis_url: str, tmp_path: Path
) -> None:
    from hotline.callers.service import get_or_create_caller

    runtime = Runtime(make_settings(tmp_path, database_url, redis_url, secret_key=GOOD_KEY))
    with runtime.db.session() as session:
        get_or_create_caller(session, GOOD_KEY, "+819000000123")
    runtime.close()
    result = invoke(
        "serve", env_for(database_url, redis_url, tmp_path, HOTLINE_SECRET_KEY=OTHER_KEY)
    )
    assert result.exit_code == 1 and "does not match" in result.output
    assert started(invoke("serve", env_for(database_url, redis_url, tmp_path)))


def test_config_shows_effective_defaults_not_none(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["config"], env={"HOTLINE_INSTANCE_PATH": str(tmp_path), "REDIS_URL": ""}
    )
    assert result.exit_code == 0, result.output
    values = dict(line.split(" = ", 1) for line in result.output.splitlines())
    assert "None" not in values.values()
    assert values["redis_url"].startswith("embedded redis-server")
    assert values["twilio_api_url"] == "https://api.twilio.com"
    assert values["ivr_scripts_path"] == str(data_path("ivr_scripts"))
