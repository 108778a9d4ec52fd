"""Headers on answers that carry case data, and the embedded install's files kept
private to the hotline's user whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from hotline.cli import main
from hotline.config import load_settings
from hotline.db import make_engine
from tests.builders import auth, make_agent, make_callback
from tests.helpers import twilio_post


def test_api_answers_are_never_cached_or_sniffed(client: Any, runtime: Any) -> None:
    _, case_id = make_callback(runtime)
    token = make_agent(runtime).token
    answers = [
        client.get("/api/queue", headers=auth(token)),
        client.get(f"/api/cases/{case_id}", headers=auth(token)),
        client.get("/api/cases", headers=auth(token)),
        client.get("/api/cases/999", headers=auth(token)),
        client.get("/api/cases"),  # 401
        twilio_post(
            client, "/sms/status", {"MessageSid": "SM" + "c" * 32, "MessageStatus": "sent"}
        ),
    ]
    for response in answers:
        assert response.headers["Cache-Control"] == "no-store", response.request.path
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_https_public_url_turns_on_hsts(client: Any) -> None:
    response = client.get("/healthz")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert int(response.headers["Strict-Transport-Security"].split("=")[1]) >= 180 * 86400


@pytest.mark.parametrize("settings_overrides", [{"public_url": "http://127.0.0.1:5000"}])
def test_no_hsts_on_a_plain_http_public_url(client: Any) -> None:
    assert "Strict-Transport-Security" not in client.get("/healthz").headers


def test_recorded_prompts_stay_publicly_cacheable(client: Any) -> None:
    from hotline.voice.routes import audio_dir

    folder = next(p for p in sorted(audio_dir().iterdir()) if p.is_dir() and any(p.glob("*.wav")))
    wav = next(folder.glob("*.wav"))
    response = client.get(f"/audio/{folder.name}/{wav.name}")
    assert response.status_code == 200
    assert "public" in response.headers["Cache-Control"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.fixture
def usual_umask() -> Iterator[None]:
    previous = os.umask(0o022)  # what most systems give a user
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.slow
def test_the_embedded_install_keeps_its_files_to_its_user(
    tmp_path: Path, usual_umask: None
) -> None:
    instance = tmp_path / "instance"
    env = {"HOTLINE_INSTANCE_PATH": str(instance)}
    result = CliRunner().invoke(main, ["db", "upgrade"], env=env)
    assert result.exit_code == 0, result.output
    settings = load_settings(env)  # generates the secret key and the local auth token
    engine = make_engine(settings.database_url)
    with engine.begin() as conn:  # a write: the -wal and -shm files exist now
        conn.execute(text("CREATE TABLE probe (x INTEGER)"))
        files = sorted(instance.iterdir())
        assert {f.name for f in files} >= {"hotline.sqlite3", "hotline.sqlite3-wal"}
        assert mode(instance) == 0o700
        for path in files:
            assert mode(path) == 0o600, path.name
    engine.dispose()


def test_an_existing_instance_folder_is_made_private(tmp_path: Path, usual_umask: None) -> None:
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o755)
    load_settings({"HOTLINE_INSTANCE_PATH": str(instance)})
    assert mode(instance) == 0o700
