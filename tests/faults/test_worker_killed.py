"""A worker SIGKILLed while Twilio is taking a text: its job's heartbeat stops, the job is
handed out again once its lease (under a minute) has run out, the text is not sent a
second time, the dashboard shows it waiting for Twilio's word, and Twilio's status
callback completes it."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import time_machine
from sqlalchemy import select

from hotline import create_app
from hotline.db import utcnow
from hotline.jobs import LEASE, relay
from hotline.jobs.models import OutboxJob
from hotline.runtime import Runtime
from hotline.sms.models import SmsMessage
from hotline.web.stats import delivery
from tests.conftest import make_settings, open_runtime
from tests.helpers import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    HOTLINE_NUMBER,
    PUBLIC_URL,
    WORKER_NUMBER,
    run_jobs,
    twilio_post,
)
from tests.sms.helpers import text_in
from tests.sms.test_opt_out import queue_from_elsewhere

pytestmark = pytest.mark.slow  # faults injected into running servers

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def runtime_pg(tmp_path: Path, postgres_url: str, redis_url: str, fake_twilio: Any) -> Any:
    from tests.conftest import truncate_all

    truncate_all(postgres_url)
    settings = make_settings(tmp_path, postgres_url, redis_url, twilio_api_url=fake_twilio.url)
    yield from open_runtime(settings)


def worker_env(runtime: Runtime, fake_twilio: Any, tmp_path: Path) -> dict[str, str]:
    settings = runtime.settings
    assert settings.redis_url is not None
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")},
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "HOTLINE_SECRET_KEY": settings.secret_key,
        "HOTLINE_PUBLIC_URL": PUBLIC_URL,
        "HOTLINE_INSTANCE_PATH": str(tmp_path / "worker-instance"),
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_API_URL": fake_twilio.url,
        "TWILIO_NUMBER": HOTLINE_NUMBER,
    }


def start_worker(
    runtime: Runtime, fake_twilio: Any, tmp_path: Path, *, module: str | None = None, **env: str
) -> tuple[subprocess.Popen[bytes], Path]:
    """`hotline worker` for this runtime (or `python -m module`, a test double of it) with
    `env` added, its output appended to `tmp_path/worker.log`: the process and that path."""
    if module is None:
        command = [str(Path(sys.executable).parent / "hotline"), "worker"]
    else:
        command = [sys.executable, "-m", module]
    log_path = tmp_path / "worker.log"
    with log_path.open("ab") as log:  # the worker keeps its own copy of the file
        worker = subprocess.Popen(
            [*command, "--relay-interval", "0.2"],
            env={**worker_env(runtime, fake_twilio, tmp_path), **env},
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return worker, log_path


def wait_until(
    condition: Any, worker: subprocess.Popen[bytes], log: Path, seconds: float = 60.0
) -> float:
    """Seconds until `condition()` holds (at most `seconds`, in 0.05 s steps); fails at
    once, with the worker's log, if the worker exits meanwhile."""
    began = time.monotonic()
    while time.monotonic() - began < seconds:
        if condition():
            return time.monotonic() - began
        assert worker.poll() is None, "the worker exited:\n" + log.read_text()
        time.sleep(0.05)
    raise AssertionError(f"not within {seconds:.0f} s:\n" + log.read_text())


@pytest.mark.slow
@pytest.mark.postgres
def test_a_worker_killed_mid_send_loses_nothing_and_sends_nothing_twice(
    runtime_pg: Runtime, fake_twilio: Any, tmp_path: Path
) -> None:
    runtime = runtime_pg
    client = create_app(runtime=runtime).test_client()
    text_in(client, "hello")  # the worker's number becomes a known caller with a case
    acknowledged = len(fake_twilio.sms_to(WORKER_NUMBER))  # the first text's answer
    fake_twilio.slow(WORKER_NUMBER, 60)  # Twilio takes the text but answers late
    message_id = queue_from_elsewhere(runtime, "Your adviser replied")
    assert message_id is not None

    worker, log = start_worker(runtime, fake_twilio, tmp_path)
    try:
        # Until Twilio has the text and the worker awaits the answer.
        wait_until(lambda: len(fake_twilio.sms_to(WORKER_NUMBER)) > acknowledged, worker, log)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    fake_twilio.delays.clear()

    with runtime.db.session() as session:
        message = session.get(SmsMessage, message_id)
        assert message is not None and message.status == "sending" and message.sid is None
    killed_at = utcnow()
    with runtime.db.session() as session:
        (job,) = [
            j
            for j in session.scalars(select(OutboxJob).where(OutboxJob.name == "sms.send"))
            if j.args["message_id"] == message_id
        ]
        assert job.heartbeat_at is not None and job.done_at is None
        last_beat = job.heartbeat_at
    # Within its lease the job is the dead worker's: not handed out, not yet "abandoned".
    assert relay(runtime, now=last_beat + LEASE - dt.timedelta(seconds=1)) == 0
    with runtime.db.session() as session:
        assert delivery(session, last_beat + LEASE - dt.timedelta(seconds=1)).abandoned_jobs == 0
        assert delivery(session, last_beat + LEASE + dt.timedelta(seconds=1)).abandoned_jobs == 1
    # The lease runs out (under a minute after the kill): the relay hands the job out again
    # and a new worker runs it, which finds the text "sending" and does not send it again.
    recovered = last_beat + LEASE + dt.timedelta(seconds=1)
    assert recovered - killed_at < dt.timedelta(minutes=1)
    with time_machine.travel(recovered, tick=True):
        assert relay(runtime) >= 1
        run_jobs(runtime)
        with runtime.db.session() as session:
            now = utcnow() + dt.timedelta(minutes=1)
            shown = delivery(session, now)
            assert shown.abandoned_jobs == 0 and shown.unconfirmed_sends == 1
    replies = fake_twilio.sms_to(WORKER_NUMBER)[acknowledged:]
    assert len(replies) == 1, "the text was sent twice"

    # Twilio's status callback, keyed to our record, tells what became of it.
    sent = replies[0]
    callback = sent["StatusCallback"].removeprefix(PUBLIC_URL)
    params = {"MessageSid": sent["sid"], "MessageStatus": "delivered", "AccountSid": ACCOUNT_SID}
    assert twilio_post(client, callback, params).status_code == 200
    with runtime.db.session() as session:
        message = session.get(SmsMessage, message_id)
        (job,) = [
            j
            for j in session.scalars(select(OutboxJob).where(OutboxJob.name == "sms.send"))
            if j.args["message_id"] == message_id
        ]
        assert message is not None and message.status == "delivered"
        assert message.sid == sent["sid"]
        assert job.done_at is not None
