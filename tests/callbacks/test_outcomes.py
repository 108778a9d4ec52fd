"""Outcomes: closing, retrying with backoff inside the worker's window, giving up."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from sqlalchemy import select

from hotline.audit import AuditEvent
from hotline.callbacks.messages import gave_up_sms
from hotline.callbacks.models import CallbackRequest
from hotline.callers.models import Caller
from hotline.cases.models import Case
from hotline.db import utcnow
from hotline.runtime import Runtime
from hotline.sms.models import SmsMessage
from tests.builders import auth, make_agent, make_callback, tokyo


def claim_and_record(client: Any, token: str, at: dt.datetime, outcome: str) -> Any:
    with time_machine.travel(at, tick=False):
        claimed = client.post("/api/queue/claim", headers=auth(token))
        assert claimed.status_code == 200, claimed.data
        return client.post(
            f"/api/callbacks/{claimed.json['id']}/outcome",
            json={"outcome": outcome, "note": "rang out"},
            headers=auth(token),
        )


def claim_status(client: Any, token: str, at: dt.datetime) -> int:
    with time_machine.travel(at, tick=False):
        return int(client.post("/api/queue/claim", headers=auth(token)).status_code)


def callback_row(runtime: Runtime, callback_id: int) -> CallbackRequest:
    with runtime.db.session() as session:
        row = session.get(CallbackRequest, callback_id)
        assert row is not None
        return row


def test_missed_calls_are_retried_with_growing_backoff_then_the_worker_gets_one_sms(
    client: Any, runtime: Runtime
) -> None:
    _, _ = make_callback(runtime, language="vi", sms_allowed=True)
    token = make_agent(runtime).token
    schedule = [
        (tokyo(2030, 1, 15, 9, 0), tokyo(2030, 1, 15, 9, 30)),  # +30 min
        (tokyo(2030, 1, 15, 9, 30), tokyo(2030, 1, 15, 11, 30)),  # +2 h
        (tokyo(2030, 1, 15, 11, 30), tokyo(2030, 1, 15, 17, 30)),  # +6 h
        (tokyo(2030, 1, 15, 17, 30), tokyo(2030, 1, 16, 17, 30)),  # +24 h
    ]
    for number, (attempt_at, next_at) in enumerate(schedule, start=1):
        answer = claim_and_record(client, token, attempt_at, "no_answer" if number % 2 else "busy")
        assert answer.status_code == 200
        assert answer.json["status"] == "queued"
        assert answer.json["attempts"] == number
        assert dt.datetime.fromisoformat(answer.json["next_attempt_at"]) == next_at
        assert claim_status(client, token, next_at - dt.timedelta(minutes=1)) == 204

    last = claim_and_record(client, token, tokyo(2030, 1, 16, 17, 30), "no_answer")
    assert last.json["status"] == "closed"
    assert last.json["closed_reason"] == "max_attempts"
    assert last.json["attempts"] == 5
    assert claim_status(client, token, tokyo(2030, 1, 20, 10)) == 204
    with runtime.db.session() as session:
        sms = session.scalars(select(SmsMessage)).all()
    assert [(m.direction, m.language, m.body) for m in sms] == [("out", "vi", gave_up_sms("vi")[0])]


def test_a_retry_that_would_fall_in_quiet_hours_waits_for_the_workers_window(
    client: Any, runtime: Runtime
) -> None:
    make_callback(runtime, window="evening")
    token = make_agent(runtime).token
    answer = claim_and_record(client, token, tokyo(2030, 1, 15, 20, 50), "no_answer")
    assert dt.datetime.fromisoformat(answer.json["next_attempt_at"]) == tokyo(2030, 1, 16, 17)


@pytest.mark.parametrize("refusal", ["no_sms_allowed", "opted_out"])
def test_no_sms_after_the_last_attempt_when_the_worker_refused_sms(
    client: Any, runtime: Runtime, settings_overrides: dict[str, Any], refusal: str
) -> None:
    callback_id, _ = make_callback(runtime, sms_allowed=refusal == "opted_out")
    if refusal == "opted_out":
        with runtime.db.session() as session:
            for caller in session.scalars(select(Caller)):
                caller.sms_opted_out_at = utcnow()
    token = make_agent(runtime).token
    moments = [
        tokyo(2030, 1, 15, 9),
        tokyo(2030, 1, 15, 10),
        tokyo(2030, 1, 15, 12),
        tokyo(2030, 1, 15, 18),
        tokyo(2030, 1, 16, 19),
    ]
    for moment in moments:
        claim_and_record(client, token, moment, "busy")
    assert callback_row(runtime, callback_id).closed_reason == "max_attempts"
    with runtime.db.session() as session:
        assert session.scalars(select(SmsMessage)).all() == []
        skipped = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "callback.gave_up_sms_skipped")
        ).all()
    assert len(skipped) == 1


def test_reached_closes_the_request_and_the_case_stays_open(client: Any, runtime: Runtime) -> None:
    _, case_id = make_callback(runtime)
    token = make_agent(runtime).token
    answer = claim_and_record(client, token, tokyo(2030, 1, 15, 10), "reached")
    assert answer.json["status"] == "closed"
    assert answer.json["closed_reason"] == "reached"
    with runtime.db.session() as session:
        case = session.get(Case, case_id)
        assert case is not None
        assert case.status == "open"


@pytest.mark.slow
@pytest.mark.parametrize("outcome", ["wrong_number", "unsafe"])
def test_wrong_number_and_unsafe_close_the_request_for_good(
    client: Any, runtime: Runtime, outcome: str
) -> None:
    _, _ = make_callback(runtime)
    token = make_agent(runtime).token
    answer = claim_and_record(client, token, tokyo(2030, 1, 15, 10), outcome)
    assert (answer.json["status"], answer.json["closed_reason"]) == ("closed", outcome)
    assert claim_status(client, token, tokyo(2030, 1, 17, 10)) == 204
    with runtime.db.session() as session:
        assert session.scalars(select(SmsMessage)).all() == []


def test_each_transition_is_an_audit_event_naming_the_agent(client: Any, runtime: Runtime) -> None:
    callback_id, _ = make_callback(runtime)
    agent = make_agent(runtime)
    claim_and_record(client, agent.token, tokyo(2030, 1, 15, 10), "no_answer")
    claim_and_record(client, agent.token, tokyo(2030, 1, 15, 11), "reached")
    with runtime.db.session() as session:
        events = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.subject_type == "callback", AuditEvent.subject_id == callback_id)
            .order_by(AuditEvent.id)
        ).all()
    assert [e.action for e in events] == [
        "callback.claimed",
        "callback.outcome",
        "callback.rescheduled",
        "callback.claimed",
        "callback.outcome",
        "callback.closed",
    ]
    assert {e.agent_id for e in events} == {agent.id}
    assert [(e.detail or {})["outcome"] for e in events if e.action == "callback.outcome"] == [
        "no_answer",
        "reached",
    ]


def test_an_outcome_needs_the_claim_and_a_known_value(client: Any, runtime: Runtime) -> None:
    callback_id, _ = make_callback(runtime)
    token = make_agent(runtime).token
    other = make_agent(runtime, name="Other").token
    path = f"/api/callbacks/{callback_id}/outcome"
    with time_machine.travel(tokyo(2030, 1, 15, 10), tick=False):
        unclaimed = client.post(path, json={"outcome": "reached"}, headers=auth(token))
        client.post("/api/queue/claim", headers=auth(token))
        not_mine = client.post(path, json={"outcome": "reached"}, headers=auth(other))
        unknown = client.post(path, json={"outcome": "maybe"}, headers=auth(token))
        wrong_type = client.post(path, json={"outcome": "reached", "note": 5}, headers=auth(token))
        not_json = client.post(
            path, data="{outcome", content_type="application/json", headers=auth(token)
        )
    assert (unclaimed.status_code, unclaimed.json["error"]) == (409, "not_claimed")
    assert not_mine.status_code == 409
    assert (unknown.status_code, unknown.json["error"]) == (422, "validation_error")
    assert wrong_type.status_code == 422
    assert (not_json.status_code, not_json.json["error"]) == (400, "invalid_json")
    assert callback_row(runtime, callback_id).status == "claimed"
