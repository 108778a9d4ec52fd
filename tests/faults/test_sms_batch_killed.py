"""A worker SIGKILLed in the middle of a batch of SMS: the messages Twilio had already
taken are not sent again, and those the batch had not reached yet are still pending and
go out once the dead worker's lease has run out. Nothing sent twice, nothing lost."""

from __future__ import annotations

import datetime as dt
import signal
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import time_machine
from sqlalchemy import select

from hotline import create_app
from hotline.jobs import LEASE, relay
from hotline.jobs.models import OutboxJob
from hotline.runtime import Runtime
from hotline.sms.models import SmsMessage
from tests.builders import worker_number
from tests.faults.test_worker_killed import runtime_pg, start_worker, wait_until  # noqa: F401
from tests.helpers import run_jobs
from tests.sms.test_sending_batches import queue_replies

REPLIES = 30
IN_FLIGHT = 2  # HOTLINE_SMS_SEND_CONCURRENCY of the worker that is killed


@pytest.mark.slow
@pytest.mark.postgres
def test_a_worker_killed_mid_batch_sends_nothing_twice_and_loses_nothing(
    runtime_pg: Runtime,  # noqa: F811
    fake_twilio: Any,
    tmp_path: Path,
) -> None:
    runtime = runtime_pg
    create_app(runtime=runtime)  # registers the job handlers in this process too
    numbers = [worker_number(i) for i in range(REPLIES)]
    queued = queue_replies(runtime, numbers)
    for number in numbers[:IN_FLIGHT]:  # Twilio takes the first ones but answers late
        fake_twilio.slow(number, 60)

    worker, log = start_worker(
        runtime, fake_twilio, tmp_path, HOTLINE_SMS_SEND_CONCURRENCY=str(IN_FLIGHT)
    )
    try:
        # Until Twilio holds the first ones: the batch is mid-way.
        wait_until(lambda: len(fake_twilio.messages) >= IN_FLIGHT, worker, log)
        assert len(fake_twilio.messages) == IN_FLIGHT, log.read_text()
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    fake_twilio.delays.clear()

    with runtime.db.session() as session:
        states = Counter(
            session.scalars(select(SmsMessage.status).where(SmsMessage.id.in_(list(queued))))
        )
        jobs = session.scalars(select(OutboxJob).where(OutboxJob.name == "sms.send")).all()
        last_beat = max(job.heartbeat_at for job in jobs if job.heartbeat_at is not None)
        assert all(job.done_at is None for job in jobs)
    # Twilio's answer to the first ones never came: they wait for its status callback;
    # the batch had not reached the others, and they were never marked as sent.
    assert states == {"sending": IN_FLIGHT, "pending": REPLIES - IN_FLIGHT}

    # Within its lease the batch is the dead worker's; after it, it is handed out again.
    assert relay(runtime, now=last_beat + LEASE - dt.timedelta(seconds=1)) == 0
    with time_machine.travel(last_beat + LEASE + dt.timedelta(seconds=1), tick=True):
        assert relay(runtime) == REPLIES
        run_jobs(runtime)

    assert sorted(m["To"] for m in fake_twilio.messages) == sorted(numbers)  # once each
    with runtime.db.session() as session:
        states = Counter(
            session.scalars(select(SmsMessage.status).where(SmsMessage.id.in_(list(queued))))
        )
        jobs = session.scalars(select(OutboxJob).where(OutboxJob.name == "sms.send")).all()
        assert all(job.done_at is not None for job in jobs)
    assert states == {"sending": IN_FLIGHT, "queued": REPLIES - IN_FLIGHT}
