"""A worker who said "no SMS" is never texted by anything the hotline starts, their answer
outlives the callback request it was given with, and every outbound path asks the gate."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

import hotline
from hotline import create_app
from hotline.callbacks.models import CallbackRequest
from hotline.callers.models import Caller, ConsentEntry
from hotline.cases.models import Case
from hotline.jobs.models import OutboxJob
from hotline.runtime import Runtime
from hotline.sms.gate import PURPOSES, UnknownPurpose
from hotline.sms.models import SmsMessage
from hotline.sms.outbound import queue_sms
from hotline.voice.scripts import get_scripts
from tests.builders import auth, make_agent, make_organisation, tokyo
from tests.callbacks.test_outcomes import claim_and_record
from tests.conftest import both_backends
from tests.helpers import PUBLIC_URL, run_jobs
from tests.sms.helpers import reply_of, text_in
from tests.voice.helpers import place_call

WORKER = "+819000000777"
PACKAGE = Path(hotline.__file__).resolve().parent


@pytest.fixture
def client(twilio_runtime: Runtime) -> Iterator[Any]:
    yield create_app(runtime=twilio_runtime).test_client()


def the_caller(runtime: Runtime) -> Caller:
    with runtime.db.session() as session:
        return session.scalars(select(Caller)).one()


def the_case(runtime: Runtime) -> Case:
    with runtime.db.session() as session:
        return session.scalars(select(Case)).one()


@pytest.mark.slow
@both_backends
def test_no_sms_holds_for_replies_referrals_and_the_last_missed_call_even_after_a_second_request(
    client: Any, twilio_runtime: Runtime, fake_twilio: Any
) -> None:
    # 84# Vietnamese, 2 callback, 1 this number, 3 evening, 2 discreet, 2 NO SMS, 2 not urgent.
    first = place_call(client, "84#2 1 3 2 2 2", from_number=WORKER)
    assert get_scripts().text("vi", "callback_sms") in first.says()
    caller = the_caller(twilio_runtime)
    assert (caller.sms_allowed, caller.may_identify, caller.call_window) == (
        False,
        False,
        "evening",
    )

    # A second request by phone skips the questions already answered; one by SMS never
    # asks them: the "no" stands for both.
    second = place_call(client, "2 1 2", from_number=WORKER)
    says = second.says()
    assert get_scripts().text("vi", "callback_done") in says
    for question in ("callback_window", "callback_identify", "callback_sms"):
        assert get_scripts().text("vi", question) not in says, question
    assert reply_of(text_in(client, "CALL", sender=WORKER)) is not None
    with twilio_runtime.db.session() as session:
        [callback] = session.scalars(select(CallbackRequest)).all()
        assert (callback.sms_allowed, callback.window) == (False, "evening")
        answers = session.scalars(
            select(ConsentEntry.value).where(ConsentEntry.subject == "sms")
        ).all()
    assert answers == ["no"], "asked once, answered once"
    assert the_caller(twilio_runtime).sms_allowed is False

    case = the_case(twilio_runtime)
    token = make_agent(twilio_runtime, languages="vi").token
    queue = client.get("/api/queue", headers=auth(token)).json
    assert queue[0]["discretion"] == {"may_identify": False, "sms_allowed": False}

    reply = client.post(
        f"/api/cases/{case.id}/reply", json={"text": "Xin chào"}, headers=auth(token)
    )
    assert reply.status_code == 409, reply.json
    assert reply.json["error"] == "sms_refused"

    org = make_organisation(twilio_runtime, languages=["vi"])
    referral = client.post(
        f"/api/cases/{case.id}/referrals",
        json={"organisations": [org], "send_sms": True},
        headers=auth(token),
    )
    assert referral.status_code == 409 and referral.json["error"] == "sms_refused"

    moments = [tokyo(2030, 1, 15, 17), tokyo(2030, 1, 16, 17), tokyo(2030, 1, 17, 17)]
    moments += [tokyo(2030, 1, 18, 17), tokyo(2030, 1, 19, 17)]
    for moment in moments:
        claim_and_record(client, token, moment, "no_answer")
    with twilio_runtime.db.session() as session:
        assert session.get(CallbackRequest, callback.id).closed_reason == "max_attempts"  # type: ignore[union-attr]
        sends = session.scalars(select(OutboxJob).where(OutboxJob.name == "sms.send")).all()
        answered = {j.args["message_id"] for j in sends if j.args["purpose"] == "keyword_answer"}
        hotline_started = [
            m
            for m in session.scalars(select(SmsMessage).where(SmsMessage.direction == "out"))
            if m.id not in answered
        ]
    assert hotline_started == []  # only the answers to the worker's own texts

    run_jobs(twilio_runtime)
    # Nothing reached Twilio's REST API but the answers to the worker's own texts.
    callbacks = {m["StatusCallback"] for m in fake_twilio.messages}
    assert callbacks <= {f"{PUBLIC_URL}/sms/status?m={answer}" for answer in answered}


def test_not_asked_is_not_no_an_adviser_may_text_a_worker_never_asked(
    client: Any, twilio_runtime: Runtime, fake_twilio: Any
) -> None:
    # A caller in a language with no voice yet gets a callback with discreet defaults,
    # never asked about SMS: an adviser's reply still goes.
    place_call(client, "855#", from_number=WORKER)
    caller = the_caller(twilio_runtime)
    assert caller.sms_allowed is None
    case = the_case(twilio_runtime)
    token = make_agent(twilio_runtime, languages="km,en").token
    reply = client.post(
        f"/api/cases/{case.id}/reply",
        json={"text": "Hello", "language": "en"},
        headers=auth(token),
    )
    assert reply.status_code in (200, 201), reply.json
    run_jobs(twilio_runtime)
    assert len(fake_twilio.sms_to(WORKER)) == 1


@pytest.mark.slow
def test_a_no_given_after_a_message_was_queued_stops_it_before_twilio(
    client: Any, twilio_runtime: Runtime, fake_twilio: Any
) -> None:
    place_call(client, "84#2 1 4 1 1 2", from_number=WORKER)  # SMS allowed: a confirmation
    with twilio_runtime.db.session() as session:
        session.scalars(select(Caller)).one().sms_allowed = False  # changed before the job ran
    run_jobs(twilio_runtime)
    assert fake_twilio.messages == []
    with twilio_runtime.db.session() as session:
        assert [m.status for m in session.scalars(select(SmsMessage))] == ["blocked"]


def test_keyword_answers_still_reach_a_worker_who_said_no_sms_but_not_one_who_sent_stop(
    client: Any, twilio_runtime: Runtime
) -> None:
    place_call(client, "84#2 1 4 2 2 2", from_number=WORKER)
    assert reply_of(text_in(client, "HELP", sender=WORKER)) is not None
    text_in(client, "STOP", sender=WORKER)
    assert reply_of(text_in(client, "HELP", sender=WORKER)) is None


# --- Every outbound path goes through the gate ---------------------------------------


def _calls_to(name: str) -> list[tuple[Path, ast.Call]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call):
                func = node.func
                called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
                if called == name:
                    found.append((path, node))
    return found


@pytest.mark.slow
def test_every_call_to_queue_sms_names_a_registered_purpose_and_every_purpose_is_used() -> None:
    used = set()
    for path, call in _calls_to("queue_sms"):
        purpose = next((k.value for k in call.keywords if k.arg == "purpose"), None)
        where = f"{path.relative_to(PACKAGE)}:{call.lineno}"
        assert isinstance(purpose, ast.Constant), f"{where}: purpose must be a literal"
        assert purpose.value in PURPOSES, f"{where}: unregistered purpose {purpose.value!r}"
        used.add(purpose.value)
    # The paths the issue names, each found in the code.
    assert (
        used
        == set(PURPOSES)
        == {
            "reply",
            "referral",
            "callback_confirmation",
            "callback_gave_up",
            "keyword_answer",
            "stop_confirmation",
        }
    )


@pytest.mark.slow
def test_only_the_send_job_hands_an_sms_to_twilio() -> None:
    senders = {
        str(path.relative_to(PACKAGE))
        for path, _ in _calls_to("send_sms")
        if path.name != "telephony.py"
    }
    assert senders == {"sms/jobs.py"}
    # Twilio's client is touched in one place: the REST telephony behind `send_sms`.
    messages_create = {
        str(path.relative_to(PACKAGE))
        for path, call in _calls_to("create")
        if getattr(getattr(call.func, "value", None), "attr", None) == "messages"
    }
    mentions = {
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if "messages.create" in path.read_text()
    }
    assert messages_create | mentions == {"telephony.py"}


def test_an_unregistered_purpose_is_refused(
    runtime: Runtime,
) -> None:
    from hotline.callers.service import get_or_create_caller

    with runtime.db.session() as session:
        caller = get_or_create_caller(session, runtime.settings.secret_key, WORKER)
        with pytest.raises(UnknownPurpose):
            queue_sms(session, purpose="newsletter", caller=caller, body="hi")
        session.rollback()
