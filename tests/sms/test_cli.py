"""`hotline simulate sms`: signed like Twilio, against a running server or in-process."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from hotline import create_app
from hotline.cli import main
from hotline.jobs import run_outbox_job
from hotline.jobs.models import OutboxJob
from hotline.sms.processor import process_due
from tests.fakes.server import ThreadedServer
from tests.helpers import AUTH_TOKEN, PUBLIC_URL
from tests.sms.helpers import expected_help


def test_simulate_sms_against_a_running_server_shows_the_reply_and_the_queue(
    runtime: Any, tmp_path: Path, fake_twilio: Any
) -> None:
    server = ThreadedServer(create_app(runtime=runtime)).start()
    stop = threading.Event()
    worker = threading.Thread(target=work_until, args=(runtime, stop), daemon=True)
    worker.start()
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
        stop.set()
        worker.join(timeout=10)
        server.stop()
    assert result.exit_code == 0, result.output
    assert "HTTP 200" in result.output
    assert "reply: Cảm ơn bạn." in result.output
    # The reply the simulator shows is the one the REST API received.
    [sent] = fake_twilio.sms_to("+819000000301")
    assert sent["Body"].startswith("Cảm ơn bạn.")
    [line] = [x for x in result.output.splitlines() if x.startswith("reply: sms #2 out")]
    assert "kind=system language=vi" in line and "status=pending" not in line
    assert "stored: sms #1 in kind=worker language=vi" in result.output
    assert "queued: job sms.translate message_id=1" in result.output
    assert "+819000000301" not in result.output.replace("--from +819000000301", "")


def work_until(runtime: Any, stop: threading.Event) -> None:
    """The running hotline's worker: processes texts and runs the jobs (in a thread, so
    without RQ, whose worker wants the main thread's signals)."""
    while not stop.wait(0.1):
        process_due(runtime)
        with runtime.db.session() as session:
            due = session.scalars(select(OutboxJob.id).where(OutboxJob.done_at.is_(None))).all()
        for outbox_id in due:
            run_outbox_job(runtime, outbox_id)


@pytest.mark.slow
def test_simulate_sms_against_a_server_without_a_worker_says_the_reply_waits(
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
        argv = ["simulate", "sms", "--url", server.url, "--wait", "0.5", "--from", "+819000000301"]
        result = CliRunner().invoke(main, [*argv, "HELP"], env=env)
    finally:
        server.stop()
    assert result.exit_code == 0, result.output
    assert "reply: (not yet: the text waits for `hotline worker` after 0.5s)" in result.output


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


@pytest.mark.slow
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
