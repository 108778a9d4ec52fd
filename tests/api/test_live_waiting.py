"""Live callers are noticed and availability tells the truth: GET /api/live/waiting,
availability off while on a call and after idling, and the wait limit's callback offer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from sqlalchemy import select

from hotline import create_app
from hotline.agents.models import Agent
from hotline.audit import AuditEvent
from hotline.cases.models import CaseEvent
from hotline.runtime import Runtime
from hotline.voice.models import Call
from hotline.voice.scripts import get_scripts
from tests.builders import AGENT_PHONE, TOKYO, auth, make_agent
from tests.helpers import OTHER_WORKER_NUMBER, WORKER_NUMBER
from tests.voice.live_caller import LiveCaller

OFFICE_HOURS = dt.datetime(2026, 11, 30, 10, 0, tzinfo=TOKYO)  # a Monday, 10:00 in Japan


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"live_wait_limits": (("default", 5), ("vi", 2)), "agent_idle_minutes": 15}


@pytest.fixture
def phone_client(twilio_runtime: Runtime) -> Iterator[Any]:
    app = create_app(runtime=twilio_runtime)
    app.testing = True
    yield app.test_client()


def says(doc: Any) -> list[str]:
    return [(el.text or "").strip() for el in doc.iter("Say")]


def text(prompt: str) -> str:
    return get_scripts().text("vi", prompt)


def available_agent(client: Any, runtime: Runtime, languages: str, **kw: Any) -> str:
    token = make_agent(runtime, languages=languages, name=f"Adviser {languages}", **kw).token
    on = client.post("/api/agents/me/availability", json={"available": True}, headers=auth(token))
    assert on.status_code == 200
    return token


def test_a_caller_waiting_in_vietnamese_is_shown_to_vietnamese_advisers_only(
    client: Any, runtime: Runtime
) -> None:
    with time_machine.travel(OFFICE_HOURS, tick=False) as clock:
        vi = available_agent(client, runtime, "vi,en")
        ne = available_agent(client, runtime, "ne")
        caller = LiveCaller(client)
        doc = caller.press_one("84")
        assert (enqueue := doc.find("Enqueue")) is not None and enqueue.text == "hotline-vi"
        clock.shift(dt.timedelta(seconds=90))

        seen = client.get("/api/live/waiting", headers=auth(vi))
        assert seen.status_code == 200
        assert seen.json["availability"] == "on" and seen.json["alert"] is True
        [row] = seen.json["languages"]
        assert (row["language"], row["waiting"], row["longest_wait_seconds"]) == ("vi", 1, 90)
        assert row["can_take"] is True and row["callers"][0]["wait_seconds"] == 90
        assert WORKER_NUMBER[-8:] not in seen.get_data(as_text=True)

        # Nothing changed but the clock: 304, until a caller joins or leaves.
        clock.shift(dt.timedelta(seconds=3))
        etag = seen.headers["ETag"]
        same = client.get("/api/live/waiting", headers={**auth(vi), "If-None-Match": etag})
        assert same.status_code == 304 and same.get_data() == b""

        other = client.get("/api/live/waiting", headers=auth(ne))
        assert other.json["languages"] == [] and other.json["alert"] is False

        caller.leave_queue("hangup")
        gone = client.get("/api/live/waiting", headers={**auth(vi), "If-None-Match": etag})
        assert gone.status_code == 200 and gone.json["languages"] == []


def test_the_wait_limit_offers_the_callback_request_in_vietnamese_and_the_case_records_it(
    client: Any, runtime: Runtime
) -> None:
    with time_machine.travel(OFFICE_HOURS, tick=False):
        available_agent(client, runtime, "vi")
        caller = LiveCaller(client)
        caller.press_one("84")
        before_limit = caller.wait(119)
        assert before_limit.find("Leave") is None
        assert text("queue_offer_callback") in says(before_limit)

        at_limit = caller.wait(120)  # HOTLINE_LIVE_WAIT_LIMITS vi=2 (minutes)
        assert at_limit.find("Leave") is not None

        offer = caller.leave_queue("leave", seconds=121)
        assert text("talk_unavailable") in says(offer)
        gather = offer.find("Gather")
        assert gather is not None and "/voice/node/talk_unavailable" in gather.attrib["action"]
        confirm = caller.post(gather.attrib["action"], Digits="1")
        assert text("callback_confirm_number") in says(confirm)

    with runtime.db.session() as session:
        [event] = session.scalars(select(CaseEvent).where(CaseEvent.kind == "waited_live"))
        assert event.detail == {"waited_seconds": 120}
        call = session.scalars(select(Call).where(Call.sid == caller.sid)).one()
        assert call.queued_at is not None and call.dequeued_at is not None


def test_an_adviser_on_a_live_call_is_not_offered_to_callers_until_the_call_ends(
    phone_client: Any, twilio_runtime: Runtime, fake_twilio: Any
) -> None:
    with time_machine.travel(OFFICE_HOURS, tick=False):
        token = available_agent(phone_client, twilio_runtime, "vi", phone=AGENT_PHONE)
        first = LiveCaller(phone_client)
        first.press_one("84")
        taken = phone_client.post("/api/live/next", json={"language": "vi"}, headers=auth(token))
        assert taken.status_code == 200
        first.leave_queue("bridged")

        waiting = phone_client.get("/api/live/waiting", headers=auth(token))
        assert waiting.json["availability"] == "on_call"
        second = LiveCaller(phone_client, from_number=OTHER_WORKER_NUMBER)
        doc = second.press_one("84")
        assert doc.find("Enqueue") is None and text("talk_unavailable") in says(doc)

        with twilio_runtime.db.session() as session:
            agent_call = session.get(Call, taken.json["call_id"])
            assert agent_call is not None
            agent_leg = LiveCaller(phone_client, from_number=AGENT_PHONE)
            agent_leg.sid = agent_call.sid
        agent_leg.status("completed")

        back = phone_client.get("/api/live/waiting", headers=auth(token))
        assert back.json["availability"] == "on"
        third = LiveCaller(phone_client, from_number="+819000000177")
        assert third.press_one("84").find("Enqueue") is not None


def test_an_idle_adviser_is_not_offered_and_finds_availability_off_on_return(
    client: Any, runtime: Runtime
) -> None:
    with time_machine.travel(OFFICE_HOURS, tick=False) as clock:
        token = available_agent(client, runtime, "vi")
        clock.shift(dt.timedelta(minutes=16))  # HOTLINE_AGENT_IDLE_MINUTES=15
        doc = LiveCaller(client).press_one("84")
        assert doc.find("Enqueue") is None and text("talk_unavailable") in says(doc)
        # Polling is not activity: the adviser is still idle, and told so.
        polled = client.get("/api/live/waiting", headers=auth(token))
        assert polled.json["availability"] == "idle" and polled.json["alert"] is False

        back = client.get("/api/agents/me", headers=auth(token))
        assert back.json["available"] is False
    with runtime.db.session() as session:
        agent = session.scalars(select(Agent)).one()
        assert agent.available is False
        details = [
            e.detail
            for e in session.scalars(
                select(AuditEvent)
                .where(AuditEvent.action == "agent.availability")
                .order_by(AuditEvent.id)
            )
        ]
        assert details == [{"available": True}, {"available": False, "reason": "idle"}]


def test_an_active_adviser_stays_available_past_the_idle_time(
    client: Any, runtime: Runtime
) -> None:
    with time_machine.travel(OFFICE_HOURS, tick=False) as clock:
        token = available_agent(client, runtime, "vi")
        for _ in range(4):
            clock.shift(dt.timedelta(minutes=10))
            assert client.get("/api/queue", headers=auth(token)).status_code == 200
        assert LiveCaller(client).press_one("84").find("Enqueue") is not None
