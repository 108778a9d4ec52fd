"""The opt-out ledger: STOP in any language silences every later SMS until START."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update

from hotline.callers.models import Caller
from hotline.cases.service import open_case_for
from hotline.db import utcnow
from hotline.jobs.models import OutboxJob
from hotline.sms.models import OptOutEvent, SmsMessage
from hotline.sms.outbound import queue_sms
from tests.conftest import both_backends
from tests.helpers import WORKER_NUMBER, run_jobs
from tests.sms.helpers import caller_for, expected, opted_out, outbound, reply_of, text_in


def queue_from_elsewhere(runtime: Any, body: str, kind: str = "system") -> int | None:
    """What the voice and agent code do: an outbound SMS through queue_sms and the job."""
    with runtime.db.session() as session:
        caller = session.get(Caller, caller_for(runtime).id)
        assert caller is not None
        case = open_case_for(session, caller)
        message = queue_sms(
            session, purpose="reply", caller=caller, body=body, case=case, kind=kind
        )
        return message.id if message is not None else None


def sending_job(session: Any, message_id: int | None) -> OutboxJob:
    """The `sms.send` job of one message (the replies to texts have their own)."""
    jobs = session.scalars(select(OutboxJob).where(OutboxJob.name == "sms.send")).all()
    [job] = [job for job in jobs if job.args["message_id"] == message_id]
    return job


def ledger(runtime: Any) -> list[tuple[str, str]]:
    with runtime.db.session() as session:
        return [
            (e.action, e.source)
            for e in session.scalars(select(OptOutEvent).order_by(OptOutEvent.id))
        ]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("stop", "start", "language"),
    [("DỪNG", "BẮT ĐẦU", "vi"), ("berhenti", "MULAI", "id"), ("Hinto", "SIMULA", "fil")],
)
@both_backends
def test_stop_in_the_workers_language_blocks_every_later_sms_until_start(
    twilio_runtime: Any, fake_twilio: Any, stop: str, start: str, language: str
) -> None:
    from hotline import create_app

    runtime = twilio_runtime
    client = create_app(runtime=runtime).test_client()
    text_in(client, "hello")  # a first contact, so that the number is known
    before = queue_from_elsewhere(runtime, "queued before the STOP arrived")

    assert reply_of(text_in(client, stop)) == expected(language, "stopped")
    assert opted_out(runtime)
    fake_twilio.messages.clear()  # the answers so far: only what follows must be silence

    # Silence: keywords, free text, a CALL and a repeated STOP get no reply at all...
    for body in ("HELP", "CALL", "Công ty không trả lương", stop, "STATUS 1234567"):
        assert reply_of(text_in(client, body)) is None
    # ...and neither the callback confirmation nor an agent reply can be queued.
    assert queue_from_elsewhere(runtime, "We will call you back", kind="callback") is None
    assert queue_from_elsewhere(runtime, "Hello from your adviser", kind="agent") is None
    run_jobs(runtime)
    assert fake_twilio.sms_to(WORKER_NUMBER) == []
    with runtime.db.session() as session:
        blocked = session.get(SmsMessage, before)
        assert blocked is not None and blocked.status == "blocked"

    assert reply_of(text_in(client, start)) == expected(language, "started")
    assert not opted_out(runtime)
    fake_twilio.messages.clear()
    queued = queue_from_elsewhere(runtime, "We will call you back", kind="callback")
    assert queued is not None
    run_jobs(runtime)
    assert [m["Body"] for m in fake_twilio.sms_to(WORKER_NUMBER)] == ["We will call you back"]
    assert ledger(runtime) == [("stop", "sms"), ("stop", "sms"), ("start", "sms")]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("word", "keyword"),
    [
        ("STOPALL", "stop"),
        ("unsubscribe", "stop"),
        ("Cancel", "stop"),
        ("END", "stop"),
        ("quit", "stop"),
        ("REVOKE", "stop"),
        ("OPTOUT", "stop"),
        ("STOP", "stop"),
    ],
)
def test_the_carriers_stop_words_opt_out(
    client: Any, runtime: Any, word: str, keyword: str
) -> None:
    assert reply_of(text_in(client, word)) == expected("en", "stopped")
    assert opted_out(runtime)


@pytest.mark.parametrize("word", ["UNSTOP", "yes", "START"])
def test_the_carriers_start_words_opt_back_in(client: Any, runtime: Any, word: str) -> None:
    text_in(client, "STOP")
    assert reply_of(text_in(client, word)) == expected("en", "started")
    assert not opted_out(runtime)


def test_only_one_confirmation_is_ever_sent_for_a_stop(client: Any, runtime: Any) -> None:
    replies = [reply_of(text_in(client, "STOP")) for _ in range(3)]
    assert replies == [expected("en", "stopped"), None, None]
    assert len(outbound(runtime)) == 1


@pytest.mark.slow
@both_backends
def test_a_21610_from_twilio_marks_the_number_opted_out_and_is_never_retried(
    twilio_runtime: Any, fake_twilio: Any
) -> None:
    from hotline import create_app

    runtime = twilio_runtime
    text_in(create_app(runtime=runtime).test_client(), "hello")
    fake_twilio.requests.clear()
    fake_twilio.fail(WORKER_NUMBER, status=400, code=21610, times=100)
    message_id = queue_from_elsewhere(runtime, "Your adviser replied")
    run_jobs(runtime)
    run_jobs(runtime)
    attempts = [r for r in fake_twilio.requests if r.get("To") == WORKER_NUMBER]
    assert len(attempts) == 1
    with runtime.db.session() as session:
        message = session.get(SmsMessage, message_id)
        assert message is not None
        assert (message.status, message.error_code) == ("failed", 21610)
        job = sending_job(session, message_id)
        assert job.done_at is not None and job.attempts == 1
    assert opted_out(runtime)
    assert ledger(runtime) == [("stop", "twilio-21610")]
    assert queue_from_elsewhere(runtime, "anything else") is None


def test_a_permanent_twilio_error_is_recorded_on_the_message(
    twilio_runtime: Any, fake_twilio: Any
) -> None:
    from hotline import create_app

    runtime = twilio_runtime
    text_in(create_app(runtime=runtime).test_client(), "hello")
    fake_twilio.fail(WORKER_NUMBER, status=400, code=21211)
    message_id = queue_from_elsewhere(runtime, "Your adviser replied")
    run_jobs(runtime)
    with runtime.db.session() as session:
        message = session.get(SmsMessage, message_id)
        assert message is not None
        assert (message.status, message.error_code) == ("failed", 21211)
    assert not opted_out(runtime)


def test_a_transient_twilio_error_is_retried_with_backoff(
    twilio_runtime: Any, fake_twilio: Any
) -> None:
    from hotline import create_app

    runtime = twilio_runtime
    text_in(create_app(runtime=runtime).test_client(), "hello")
    fake_twilio.messages.clear()
    fake_twilio.fail(WORKER_NUMBER, status=503, code=None, times=1)
    message_id = queue_from_elsewhere(runtime, "Your adviser replied")
    run_jobs(runtime)
    with runtime.db.session() as session:
        message = session.get(SmsMessage, message_id)
        job = sending_job(session, message_id)
        assert message is not None and message.status == "pending"
        assert job.run_after is not None and job.run_after > utcnow()  # backing off
        session.execute(update(OutboxJob).values(run_after=utcnow()))
    run_jobs(runtime)
    with runtime.db.session() as session:
        message = session.get(SmsMessage, message_id)
        assert message is not None
        assert message.status == "queued" and message.sid is not None
    assert len(fake_twilio.sms_to(WORKER_NUMBER)) == 1
    sent = fake_twilio.sms_to(WORKER_NUMBER)[0]
    assert sent["StatusCallback"] == f"https://hotline.example.org/sms/status?m={message_id}"
