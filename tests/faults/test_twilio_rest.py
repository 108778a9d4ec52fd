"""Twilio's REST API answering 500 or 429 (rate limited): the text waits and is sent
exactly once when Twilio answers again. Timeouts and refused connections are in
tests/sms/test_sending.py, 503 and permanent errors in tests/sms/test_opt_out.py."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update

from hotline import create_app
from hotline.db import utcnow
from hotline.jobs.models import OutboxJob
from hotline.sms.models import SmsMessage
from tests.helpers import WORKER_NUMBER, run_jobs
from tests.sms.helpers import text_in
from tests.sms.test_opt_out import queue_from_elsewhere

pytestmark = pytest.mark.slow  # faults injected into running servers


@pytest.mark.parametrize("status", [500, 429])
def test_a_failing_twilio_delays_a_text_and_sends_it_once(
    status: int, twilio_runtime: Any, fake_twilio: Any
) -> None:
    runtime = twilio_runtime
    text_in(create_app(runtime=runtime).test_client(), "hello")
    fake_twilio.fail(WORKER_NUMBER, status=status, code=20429 if status == 429 else None, times=3)
    message_id = queue_from_elsewhere(runtime, "Your adviser replied")
    for _ in range(3):
        run_jobs(runtime)
        with runtime.db.session() as session:
            message = session.get(SmsMessage, message_id)
            assert message is not None and message.status == "pending"
            session.execute(update(OutboxJob).values(run_after=utcnow()))  # backoff over
    run_jobs(runtime)
    with runtime.db.session() as session:
        message = session.get(SmsMessage, message_id)
        sends = session.scalars(select(OutboxJob).where(OutboxJob.name == "sms.send")).all()
        (job,) = [j for j in sends if j.args["message_id"] == message_id]
        assert message is not None and message.status == "queued" and message.sid is not None
        assert job.done_at is not None and job.attempts == 4
    # The first text's acknowledgement went out before Twilio failed; the reply once.
    replies = [m for m in fake_twilio.sms_to(WORKER_NUMBER) if m["Body"] == "Your adviser replied"]
    assert len(replies) == 1
