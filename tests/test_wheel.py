"""The hotline built as a wheel, installed into a fresh virtual environment and run
from an empty folder: no file of the checkout may be needed at run time."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import venv
from pathlib import Path

import pytest
import requests

from tests.conftest import free_port

pytestmark = pytest.mark.slow  # builds and installs the wheel

ROOT = Path(__file__).resolve().parents[1]
SECRET = "wheel-test-secret-key-0123456789"
TOKEN = "wheel-test-auth-token"


def run(args: list[str], *, cwd: Path, env: dict[str, str], timeout: float = 120) -> str:
    done = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{args[:3]} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with the wheel of this checkout installed in it."""
    base = tmp_path_factory.mktemp("wheel")
    dist = base / "dist"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)],
        cwd=base,
        env=env,
        timeout=300,
    )
    wheel = next(dist.glob("hotline-*.whl"))
    target = base / "venv"
    venv.create(target, with_pip=True)
    run([str(target / "bin" / "pip"), "install", "-q", str(wheel)], cwd=base, env=env, timeout=600)
    return target


@pytest.mark.slow
def test_an_installed_wheel_answers_a_call_and_a_text_from_an_empty_folder(
    installed: Path, tmp_path: Path, redis_url: str
) -> None:
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    folder = tmp_path / "empty"
    folder.mkdir()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        "PATH": f"{installed / 'bin'}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "REDIS_URL": redis_url,
        "HOTLINE_SECRET_KEY": SECRET,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "HOTLINE_PUBLIC_URL": url,
    }
    hotline = str(installed / "bin" / "hotline")
    config = run([hotline, "config"], cwd=folder, env=env)
    assert f"ivr_scripts_path = {installed / 'share' / 'hotline' / 'ivr_scripts'}" in config
    assert str(ROOT) not in config

    server = subprocess.Popen(
        [hotline, "serve", "--port", str(port), "--workers", "1"],
        cwd=folder,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_until_serving(url, server)
        # Nepali: Twilio has no voice for it, so the prompts are the installed recordings.
        call = run(
            [hotline, "simulate", "call", "--digits", "977#*H", "--url", url], cwd=folder, env=env
        )
        played = [line.split(" ", 1)[1] for line in call.splitlines() if line.startswith("[play]")]
        assert any("/audio/ne/greeting.wav" in link for link in played), call
        audio = requests.get(played[0], timeout=10)
        assert audio.status_code == 200 and audio.headers["Content-Type"] == "audio/wav"

        text = run(
            [hotline, "simulate", "sms", "--from", "+819000000123", "HELP", "--url", url],
            cwd=folder,
            env=env,
        )
        assert "HTTP 200" in text and "reply: (none)" not in text, text
        run([hotline, "worker", "--burst"], cwd=folder, env=env)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert sorted(p.name for p in folder.iterdir()) == ["instance"]


@pytest.mark.slow
def test_an_installed_wheel_prints_posters_and_has_its_pdf_templates(
    installed: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    env = {
        "PATH": f"{installed / 'bin'}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "HOTLINE_SECRET_KEY": SECRET,
        "TWILIO_NUMBER": "+815012345678",
    }
    card = tmp_path / "card.pdf"
    hotline = str(installed / "bin" / "hotline")
    run(
        [hotline, "poster", "--lang", "km", "--format", "card", "--out", str(card)],
        cwd=folder,
        env=env,
    )
    assert card.read_bytes().startswith(b"%PDF")
    # The hand-over document's template ships too (hotline.cases package data).
    load = (
        "from hotline.cases.handover_pdf import _templates; "
        "_templates().get_template('handover.html')"
    )
    run([str(installed / "bin" / "python"), "-c", load], cwd=folder, env=env)


def _wait_until_serving(url: str, server: subprocess.Popen[str]) -> None:
    for _ in range(300):
        if server.poll() is not None:
            pytest.fail(f"hotline serve exited:\n{server.stderr.read() if server.stderr else ''}")
        try:
            if requests.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    pytest.fail("hotline serve did not answer /healthz")
