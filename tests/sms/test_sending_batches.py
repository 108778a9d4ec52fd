"""The worker sends queued SMS in batches, several REST calls at once: every message
still reaches Twilio exactly once, a number's messages in the order they were written,
a STOP that arrives after queueing still blocks, and a transient error from Twilio
retries only the messages it hit."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update

from hotline import create_app
from hotline.callers.models import Caller
from hotline.db import utcnow
from hotline.jobs.models import OutboxJob
from hotline.runtime import Runtime
from hotline.sms.models import SmsMessage
from hotline.sms.outbound import queue_sms
from hotline.sms.processor import process_due
from tests.builders import make_caller, worker_number
from tests.conftest import both_backends
from tests.helpers import run_jobs
from tests.sms.helpers import text_in
from tests.sms.test_opt_out import sending_job


@pytest.fixture
def client(twilio_runtime: Runtime) -> Any:
    """The web app (it registers the job handlers, as the worker does at start-up)."""
    return create_app(runtime=twilio_runtime).test_client()


def queue_replies(runtime: Runtime, numbers: list[str], per_number: int = 1) -> dict[int, str]:
    """Queue `per_number` adviser replies to each number, in one transaction as the
    processor does for a batch of texts; message id -> body."""
    callers = [make_caller(runtime, number=number) for number in numbers]
    queued: dict[int, str] = {}
    with runtime.db.session() as session:
        for n in range(per_number):
            for caller in callers:
                row = session.get(Caller, caller.id)
                assert row is not None
                body = f"reply {n + 1} to caller {caller.id}"
                message = queue_sms(session, purpose="reply", caller=row, body=body)
                assert message is not None
                queued[message.id] = body
    return queued


def statuses(runtime: Runtime, ids: list[int]) -> dict[int, str]:
    with runtime.db.session() as session:
        rows = session.execute(
            select(SmsMessage.id, SmsMessage.status).where(SmsMessage.id.in_(ids))
        ).all()
    return {message_id: status for message_id, status in rows}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("replies", "concurrency", "in_flight"),
    [
        (40, None, 4),  # the default concurrency (8)
        (120, 60, 60),  # batches of 50 could never have 60 calls in flight at once
    ],
)
@both_backends
def test_many_replies_go_out_together_and_each_reaches_twilio_exactly_once(
    twilio_runtime: Runtime,
    fake_twilio: Any,
    client: Any,
    monkeypatch: pytest.MonkeyPatch,
    replies: int,
    concurrency: int | None,
    in_flight: int,
) -> None:
    if concurrency is not None:
        settings = twilio_runtime.settings.with_overrides(sms_send_concurrency=concurrency)
        monkeypatch.setattr(twilio_runtime, "settings", settings)
    numbers = [worker_number(i) for i in range(replies)]
    queued = queue_replies(twilio_runtime, numbers)
    fake_twilio.meet(in_flight, timeout=10.0)  # Twilio takes them only this many at a time

    run_jobs(twilio_runtime)

    assert not fake_twilio.barrier_broken, f"fewer than {in_flight} calls were in flight at once"
    bodies = sorted(m["Body"] for m in fake_twilio.messages)
    assert bodies == sorted(queued.values())
    assert sorted(m["To"] for m in fake_twilio.messages) == sorted(numbers)
    with twilio_runtime.db.session() as session:
        sent = session.scalars(select(SmsMessage).where(SmsMessage.id.in_(list(queued)))).all()
        assert {m.sid for m in sent} == {m["sid"] for m in fake_twilio.messages}
        assert {m.status for m in sent} == {"queued"}
        jobs = [sending_job(session, message_id) for message_id in queued]
        assert all(job.done_at is not None and job.attempts == 1 for job in jobs)
    run_jobs(twilio_runtime)  # run again: nothing is sent a second time
    assert len(fake_twilio.messages) == len(queued)


@pytest.mark.slow
@both_backends
def test_a_numbers_replies_reach_twilio_in_the_order_they_were_written(
    twilio_runtime: Runtime, fake_twilio: Any, client: Any
) -> None:
    numbers = [worker_number(i) for i in range(6)]
    queued = queue_replies(twilio_runtime, numbers, per_number=3)

    run_jobs(twilio_runtime)

    assert len(fake_twilio.messages) == len(queued)
    for number in numbers:
        bodies = [m["Body"] for m in fake_twilio.sms_to(number)]
        assert [body.split(" to ")[0] for body in bodies] == ["reply 1", "reply 2", "reply 3"]


@both_backends
def test_a_stop_between_queueing_and_sending_blocks_that_reply_only(
    twilio_runtime: Runtime, fake_twilio: Any, client: Any
) -> None:
    numbers = [worker_number(i) for i in range(5)]
    queued = queue_replies(twilio_runtime, numbers)
    stopped = numbers[2]
    text_in(client, "STOP", sender=stopped, process=False)
    process_due(twilio_runtime)  # the STOP is applied before the replies go out

    run_jobs(twilio_runtime)

    to_stopped = fake_twilio.sms_to(stopped)
    assert len(to_stopped) == 1  # the confirmation of the STOP, nothing else
    assert to_stopped[0]["Body"] not in queued.values()
    assert sorted(m["To"] for m in fake_twilio.messages if m["Body"] in queued.values()) == sorted(
        n for n in numbers if n != stopped
    )
    states = statuses(twilio_runtime, list(queued))
    assert sorted(states.values()) == ["blocked", "queued", "queued", "queued", "queued"]


@both_backends
def test_twilio_500_and_429_in_a_batch_retry_only_the_messages_they_hit(
    twilio_runtime: Runtime, fake_twilio: Any, client: Any
) -> None:
    numbers = [worker_number(i) for i in range(10)]
    queued = queue_replies(twilio_runtime, numbers)
    by_number = {number: message_id for message_id, number in zip(queued, numbers, strict=True)}
    fake_twilio.fail(numbers[3], status=500)
    fake_twilio.fail(numbers[7], status=429, code=20429)

    run_jobs(twilio_runtime)

    hit = {by_number[numbers[3]], by_number[numbers[7]]}
    assert sorted(m["To"] for m in fake_twilio.messages) == sorted(
        n for n in numbers if n not in (numbers[3], numbers[7])
    )
    states = statuses(twilio_runtime, list(queued))
    assert {states[i] for i in hit} == {"pending"}
    assert {states[i] for i in queued if i not in hit} == {"queued"}
    with twilio_runtime.db.session() as session:
        for message_id in queued:
            job = sending_job(session, message_id)
            if message_id in hit:
                assert job.done_at is None and job.run_after is not None and job.attempts == 1
            else:
                assert job.done_at is not None and job.attempts == 1

    with twilio_runtime.db.session() as session:  # their backoff has passed
        session.execute(update(OutboxJob).values(run_after=utcnow()))
    run_jobs(twilio_runtime)

    assert sorted(m["To"] for m in fake_twilio.messages) == sorted(numbers)
    assert set(statuses(twilio_runtime, list(queued)).values()) == {"queued"}


@both_backends
def test_replies_pushed_one_by_one_go_out_in_one_batch_when_the_worker_gets_to_them(
    twilio_runtime: Runtime, fake_twilio: Any, client: Any
) -> None:
    numbers = [worker_number(i) for i in range(3)]
    callers = [make_caller(twilio_runtime, number=number) for number in numbers]
    for caller in callers:  # three commits, as three texts answered one after another
        with twilio_runtime.session() as session:  # each pushed to RQ on its own
            row = session.get(Caller, caller.id)
            assert row is not None
            assert queue_sms(session, purpose="reply", caller=row, body="reply") is not None
    fake_twilio.meet(3)  # Twilio takes them only all three in flight together

    run_jobs(twilio_runtime)

    assert not fake_twilio.barrier_broken, "each push was sent as a batch of its own"
    assert sorted(m["To"] for m in fake_twilio.messages) == sorted(numbers)


@both_backends
def test_a_stop_that_arrives_while_a_batch_is_being_sent_blocks_the_replies_not_sent_yet(
    twilio_runtime: Runtime, fake_twilio: Any, client: Any
) -> None:
    twilio_runtime.settings = twilio_runtime.settings.with_overrides(sms_send_concurrency=1)
    first, stopped = worker_number(0), worker_number(1)
    queued = queue_replies(twilio_runtime, [first, stopped])

    def stop_arrives() -> None:  # while Twilio takes the first reply of the batch
        text_in(client, "STOP", sender=stopped, process=False)
        process_due(twilio_runtime)

    fake_twilio.on_message[first] = stop_arrives

    run_jobs(twilio_runtime)

    assert [m["Body"] for m in fake_twilio.sms_to(first)] == [queued[min(queued)]]
    to_stopped = fake_twilio.sms_to(stopped)
    assert len(to_stopped) == 1 and to_stopped[0]["Body"] not in queued.values()  # the STOP's
    assert statuses(twilio_runtime, list(queued)) == {min(queued): "queued", max(queued): "blocked"}
