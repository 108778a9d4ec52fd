"""`hotline simulate sms`: signed like Twilio, against a running server or in-process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from click.testing import CliRunner

from hotline import create_app
from hotline.cli import main
from tests.fakes.server import ThreadedServer
from tests.helpers import AUTH_TOKEN, PUBLIC_URL
from tests.sms.helpers import expected_help


def test_simulate_sms_against_a_running_server_shows_the_reply_and_the_queue(
    runtime: Any, tmp_path: Path
) -> None:
    server = ThreadedServer(create_app(runtime=runtime)).start()
    env = {
        "HOTLINE_INSTANCE_PATH": str(tmp_path / "cli"),
        "DATABASE_URL": runtime.settings.database_url,
        "HOTLINE_PUBLIC_URL": PUBLIC_URL,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "HOTLINE_SECRET_KEY": runtime.settings.secret_key,
    }
    try:
        argv = ["simulate", "sms", "--url", server.url, "--from", "+819000000301"]
        result = CliRunner().invoke(main, [*argv, "Tôi bị thương ở nhà máy"], env=env)
    finally:
        server.stop()
    assert result.exit_code == 0, result.output
    assert "HTTP 200" in result.output
    assert "reply: Cảm ơn bạn." in result.output
    assert "stored: sms #1 in kind=worker language=vi" in result.output
    assert "queued: job sms.translate message_id=1" in result.output
    assert "+819000000301" not in result.output.replace("--from +819000000301", "")


def test_simulate_sms_with_a_wrong_token_is_refused(runtime: Any, tmp_path: Path) -> None:
    server = ThreadedServer(create_app(runtime=runtime)).start()
    env = {
        "HOTLINE_INSTANCE_PATH": str(tmp_path / "cli"),
        "HOTLINE_PUBLIC_URL": PUBLIC_URL,
        "TWILIO_AUTH_TOKEN": "not-the-servers-token",
    }
    try:
        argv = ["simulate", "sms", "--url", server.url, "--from", "+819000000301", "HELP"]
        result = CliRunner().invoke(main, argv, env=env)
    finally:
        server.stop()
    assert result.exit_code == 1
    assert "HTTP 403" in result.output


def test_simulate_sms_runs_in_process_when_no_server_answers(tmp_path: Path) -> None:
    env = {
        "HOTLINE_INSTANCE_PATH": str(tmp_path / "instance"),
        "HOTLINE_PUBLIC_URL": "http://127.0.0.1:9",  # nothing listens on the discard port
    }
    argv = ["simulate", "sms", "--from", "+819000000302", "ヘルプ"]
    result = CliRunner().invoke(main, argv, env=env)
    assert result.exit_code == 0, result.output
    assert "running the app in this process" in result.output
    assert f"reply: {expected_help('ja')}" in result.output
    assert "language=ja" in result.output
