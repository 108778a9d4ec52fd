"""Availability and taking the next live caller from a language queue."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from hotline import create_app
from hotline.agents.models import Agent
from hotline.audit import AuditEvent
from hotline.runtime import Runtime
from tests.builders import AGENT_PHONE, auth, make_agent
from tests.helpers import ACCOUNT_SID, HOTLINE_NUMBER, twilio_post


@pytest.fixture
def phone_client(twilio_runtime: Runtime) -> Iterator[Any]:
    app = create_app(runtime=twilio_runtime)
    app.testing = True
    yield app.test_client()


def test_an_agent_marks_themselves_available_and_it_is_audited(
    client: Any, runtime: Runtime
) -> None:
    adviser = make_agent(runtime)
    on = client.post(
        "/api/agents/me/availability", json={"available": True}, headers=auth(adviser.token)
    )
    assert (on.status_code, on.json["available"]) == (200, True)
    with runtime.db.session() as session:
        agent = session.get(Agent, adviser.id)
        assert agent is not None
        assert agent.available is True
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "agent.availability")
        )
        assert [e.detail for e in events] == [{"available": True}]


def test_an_unavailable_agent_cannot_take_live_callers(client: Any, runtime: Runtime) -> None:
    token = make_agent(runtime).token
    answer = client.post("/api/live/next", headers=auth(token))
    assert (answer.status_code, answer.json["error"]) == (409, "not_available")


def test_taking_the_next_caller_rings_the_agent_then_dials_the_language_queue(
    phone_client: Any, twilio_runtime: Runtime, fake_twilio: Any
) -> None:
    token = make_agent(twilio_runtime, languages="vi,en", phone=AGENT_PHONE).token
    phone_client.post("/api/agents/me/availability", json={"available": True}, headers=auth(token))
    answer = phone_client.post("/api/live/next", json={"language": "vi"}, headers=auth(token))
    assert answer.status_code == 200
    assert answer.json["queue"] == "hotline-vi"
    [call] = fake_twilio.calls
    assert (call["To"], call["From"]) == (AGENT_PHONE, HOTLINE_NUMBER)
    url = urlsplit(call["Url"])
    twiml = twilio_post(
        phone_client,
        f"{url.path}?{url.query}",
        {"AccountSid": ACCOUNT_SID, "CallSid": call["sid"], "CallStatus": "in-progress"},
    )
    document = ET.fromstring(twiml.data)  # noqa: S314 - our own TwiML
    assert "Vietnamese" in (document.findtext("Say") or "")
    assert document.findtext("Dial/Queue") == "hotline-vi"


def test_an_agent_can_only_take_callers_in_a_language_they_speak(
    client: Any, runtime: Runtime
) -> None:
    token = make_agent(runtime, languages="vi").token
    client.post("/api/agents/me/availability", json={"available": True}, headers=auth(token))
    answer = client.post("/api/live/next", json={"language": "km"}, headers=auth(token))
    assert answer.status_code == 422
