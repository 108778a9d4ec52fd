"""Replying to a worker by SMS through the agent API."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from hotline.callers.models import Caller
from hotline.cases.models import Case
from hotline.db import utcnow
from hotline.runtime import Runtime
from hotline.sms.models import SmsMessage
from tests.builders import auth, make_agent, make_callback


def sent_sms(runtime: Runtime) -> list[SmsMessage]:
    with runtime.db.session() as session:
        return list(session.scalars(select(SmsMessage).order_by(SmsMessage.id)))


def test_a_reply_in_the_workers_own_language_is_sent_as_written(
    client: Any, runtime: Runtime
) -> None:
    _, case_id = make_callback(runtime, language="vi")
    agent = make_agent(runtime, languages="vi")
    answer = client.post(
        f"/api/cases/{case_id}/reply",
        json={"text": "Chúng tôi sẽ gọi lại"},
        headers=auth(agent.token),
    )
    assert answer.status_code == 200
    assert answer.json["translation_status"] == "same_language"
    assert answer.json["sent_text"] == "Chúng tôi sẽ gọi lại"
    assert answer.json["translated_text"] is None  # not presented as a translation
    [message] = sent_sms(runtime)
    assert (message.id, message.kind, message.agent_id) == (
        answer.json["message_id"],
        "agent",
        agent.id,
    )
    assert message.body == "Chúng tôi sẽ gọi lại"
    assert answer.json["segments"] == message.segments


def test_without_translation_configured_a_reply_goes_out_marked_not_translated(
    client: Any, runtime: Runtime
) -> None:
    _, case_id = make_callback(runtime, language="vi")
    agent = make_agent(runtime, languages="en")
    with runtime.db.session() as session:
        case = session.get(Case, case_id)
        assert case is not None
        case.assigned_agent_id = agent.id  # an English-speaking adviser took the case on
    answer = client.post(
        f"/api/cases/{case_id}/reply", json={"text": "We will call you"}, headers=auth(agent.token)
    )
    assert answer.status_code == 200
    assert answer.json["translation_status"] == "not_translated"
    assert answer.json["translated_text"] is None
    assert answer.json["back_translation"] is None
    assert [m.body for m in sent_sms(runtime)] == ["We will call you"]


def test_no_reply_reaches_a_worker_who_opted_out(client: Any, runtime: Runtime) -> None:
    _, case_id = make_callback(runtime, language="vi")
    with runtime.db.session() as session:
        for caller in session.scalars(select(Caller)):
            caller.sms_opted_out_at = utcnow()
    token = make_agent(runtime, languages="vi").token
    answer = client.post(
        f"/api/cases/{case_id}/reply", json={"text": "Xin chào"}, headers=auth(token)
    )
    assert (answer.status_code, answer.json["error"]) == (409, "opted_out")
    assert sent_sms(runtime) == []


def test_bad_reply_bodies_get_a_clear_4xx(client: Any, runtime: Runtime) -> None:
    _, case_id = make_callback(runtime, language="vi")
    token = make_agent(runtime, languages="vi").token
    path = f"/api/cases/{case_id}/reply"
    cases: list[tuple[dict[str, Any], int]] = [
        ({"json": {}}, 422),
        ({"json": {"text": ""}}, 422),
        ({"json": {"text": 12}}, 422),
        ({"json": ["text"]}, 422),
        ({"json": {"text": "x" * 1601}}, 422),
        ({"data": "{not json", "content_type": "application/json"}, 400),
        ({"data": "text=hi", "content_type": "application/x-www-form-urlencoded"}, 400),
    ]
    for kwargs, status in cases:
        answer = client.post(path, headers=auth(token), **kwargs)
        assert answer.status_code == status, kwargs
        assert set(answer.json) == {"error", "message"}
    assert sent_sms(runtime) == []
