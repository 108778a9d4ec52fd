"""Outbound SMS go out at most once: a lost answer from Twilio is not a reason to send
again, and a message nobody ever confirms ends up visibly failed, not stuck."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import update

from hotline import clients, create_app
from hotline.db import utcnow
from hotline.jobs.models import OutboxJob
from hotline.sms.jobs import expire_unconfirmed
from hotline.sms.models import SmsMessage
from tests.helpers import WORKER_NUMBER, run_jobs, twilio_post
from tests.sms.helpers import text_in
from tests.sms.test_opt_out import queue_from_elsewhere, sending_job


def message(runtime: Any, message_id: int) -> SmsMessage:
    with runtime.db.session() as session:
        row = session.get(SmsMessage, message_id)
        assert row is not None
        return row


@pytest.mark.slow
def test_a_lost_answer_from_twilio_does_not_send_the_message_twice(
    twilio_runtime: Any, fake_twilio: Any, monkeypatch: Any
) -> None:
    runtime = twilio_runtime
    client = create_app(runtime=runtime).test_client()
    text_in(client, "hello")
    fake_twilio.messages.clear()  # the answer to "hello"
    monkeypatch.setattr(clients, "TWILIO_TIMEOUT_SECONDS", 0.3)
    fake_twilio.slow(WORKER_NUMBER, 1.0)  # Twilio accepts it, its answer never arrives
    message_id = queue_from_elsewhere(runtime, "Your adviser replied")
    assert message_id is not None

    run_jobs(runtime)
    assert message(runtime, message_id).status == "sending"
    with runtime.db.session() as session:
        session.execute(update(OutboxJob).values(run_after=utcnow()))
    run_jobs(runtime)  # nothing is due again: no retry of an ambiguous send
    assert len(fake_twilio.sms_to(WORKER_NUMBER)) == 1

    # Twilio's status callback, keyed to our record, tells what happened.
    sid = fake_twilio.sms_to(WORKER_NUMBER)[0]["sid"]
    answer = twilio_post(
        client, f"/sms/status?m={message_id}", {"MessageSid": sid, "MessageStatus": "delivered"}
    )
    assert answer.status_code == 200
    delivered = message(runtime, message_id)
    assert (delivered.status, delivered.sid) == ("delivered", sid)


@pytest.mark.slow
def test_a_send_never_confirmed_is_marked_failed_for_an_adviser_to_see(
    twilio_runtime: Any, fake_twilio: Any, monkeypatch: Any
) -> None:
    runtime = twilio_runtime
    text_in(create_app(runtime=runtime).test_client(), "hello")
    monkeypatch.setattr(clients, "TWILIO_TIMEOUT_SECONDS", 0.3)
    fake_twilio.slow(WORKER_NUMBER, 1.0)
    message_id = queue_from_elsewhere(runtime, "Your adviser replied")
    assert message_id is not None
    run_jobs(runtime)

    assert expire_unconfirmed(runtime, now=utcnow() + dt.timedelta(minutes=5)) == 0
    assert expire_unconfirmed(runtime, now=utcnow() + dt.timedelta(minutes=16)) == 1
    failed = message(runtime, message_id)
    assert failed.status == "failed"
    assert "may not have been sent" in (failed.error_message or "")


def test_a_refused_connection_is_retried_because_nothing_was_sent(twilio_runtime: Any) -> None:
    from hotline.config import Settings

    runtime = twilio_runtime
    text_in(create_app(runtime=runtime).test_client(), "hello")
    settings: Settings = runtime.settings
    object.__setattr__(settings, "twilio_api_url", "http://127.0.0.1:9")  # nothing listens
    message_id = queue_from_elsewhere(runtime, "Your adviser replied")
    assert message_id is not None
    run_jobs(runtime)
    assert message(runtime, message_id).status == "pending"
    with runtime.db.session() as session:
        job = sending_job(session, message_id)
    assert job.run_after is not None and job.done_at is None
