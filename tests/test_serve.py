"""`hotline serve` and `hotline dev` (what `make run` runs) on a chosen port: a busy port
fails at once with a hint, the banner comes once the port is bound, and without
HOTLINE_PUBLIC_URL the URLs the hotline hands to Twilio follow the port."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.acceptance.outsider import wait_for
from tests.cli_process import one_line_error, run_cli, spawn_cli
from tests.conftest import free_port

pytestmark = pytest.mark.slow  # starts servers


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield int(taken.getsockname()[1])


def test_serve_on_a_busy_port_fails_at_once_with_a_hint(tmp_path: Path, busy_port: int) -> None:
    line = one_line_error(run_cli(tmp_path, "serve", "--port", str(busy_port)))
    assert f"port {busy_port} on 127.0.0.1 is in use" in line
    assert f"hotline serve --port {busy_port + 1}" in line


def test_make_run_on_a_busy_port_says_how_to_choose_another(tmp_path: Path, busy_port: int) -> None:
    line = one_line_error(run_cli(tmp_path, "dev", "--port", str(busy_port)))
    assert f"make run PORT={busy_port + 1}" in line
    assert not (tmp_path / "instance" / "hotline.sqlite3").exists()  # nothing started


def test_make_run_passes_port_to_the_hotline() -> None:
    makefile = (Path(__file__).resolve().parents[1] / "Makefile").read_text()
    assert "PORT ?= 5000" in makefile
    assert "hotline dev --port $(PORT)" in makefile


def test_the_public_url_follows_the_port_and_the_banner_follows_the_bind(
    tmp_path: Path, redis_url: str
) -> None:
    port = free_port()
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'hotline.sqlite3'}",
        "REDIS_URL": redis_url,
    }
    log = tmp_path / "serve.log"
    server = spawn_cli(
        tmp_path, log, "serve", "--port", str(port), "--workers", "1", "--threads", "2", **env
    )
    try:
        banner = f"Hotline serving on http://127.0.0.1:{port}"
        wait_for(lambda: banner in log.read_text(), timeout=60, what="the banner")
        # The banner is printed once the port is bound: it accepts at once.
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
        called = run_cli(
            tmp_path,
            "simulate",
            "call",
            "--url",
            f"http://127.0.0.1:{port}",
            "--digits",
            "84#",
            **env,
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except Exception:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=5)
    assert called.returncode == 0, called.stdout + called.stderr
    plays = [line for line in called.stdout.splitlines() if line.startswith("[play] ")]
    assert plays, called.stdout
    assert all(line.startswith(f"[play] http://127.0.0.1:{port}/audio/") for line in plays)
