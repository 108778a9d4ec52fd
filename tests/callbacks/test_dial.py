"""Dialling a callback: the agent's phone rings, the agent hears the case, presses 1, and
is bridged to the worker from the hotline number; the toll-fraud guard refuses premium
and foreign numbers.

The full flow is walked with the voice simulator (`hotline/voice/simulator.py`), which
checks every document against the twilio library's TwiML and delivers each webhook
twice; the shorter refusals fetch single documents with signed requests.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import time_machine
from sqlalchemy import select

from hotline import create_app
from hotline.callbacks.models import CallbackAttempt
from hotline.callbacks.tollfraud import RefusedDestination, check_destination
from hotline.cases.models import Case
from hotline.jobs.models import OutboxJob
from hotline.runtime import Runtime
from hotline.voice.simulator import CallSimulator, FlaskTransport, KeyScript
from tests.builders import AGENT_PHONE, auth, make_agent, make_callback, tokyo
from tests.helpers import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    HOTLINE_NUMBER,
    PUBLIC_URL,
    run_jobs,
    twilio_post,
)

WORKER = "+819000000077"
MORNING = tokyo(2030, 1, 15, 10)


@pytest.fixture
def phone_client(twilio_runtime: Runtime) -> Iterator[Any]:
    """The web app wired to the fake Twilio REST API."""
    app = create_app(runtime=twilio_runtime)
    app.testing = True
    yield app.test_client()


def twilio_fetches(client: Any, url: str, call_sid: str, **params: str) -> ET.Element:
    """POST to a TwiML URL the way Twilio does, and parse the answer."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    form = {"AccountSid": ACCOUNT_SID, "CallSid": call_sid, "From": HOTLINE_NUMBER, **params}
    response = twilio_post(client, path, form)
    assert response.status_code == 200, response.data
    return ET.fromstring(response.data)  # noqa: S314 - our own TwiML


def absolute(url: str) -> str:
    return url if url.startswith("http") else PUBLIC_URL + url


def claim_and_dial(client: Any, token: str) -> Any:
    with time_machine.travel(MORNING, tick=False):
        claimed = client.post("/api/queue/claim", headers=auth(token))
        assert claimed.status_code == 200
        return client.post(f"/api/callbacks/{claimed.json['id']}/dial", headers=auth(token))


def test_the_agent_hears_the_case_presses_1_and_is_bridged_to_the_worker(
    phone_client: Any, twilio_runtime: Runtime, fake_twilio: Any
) -> None:
    callback_id, case_id = make_callback(
        twilio_runtime, phone=WORKER, language="vi", may_identify=False
    )
    token = make_agent(twilio_runtime, phone=AGENT_PHONE).token
    dialled = claim_and_dial(phone_client, token)
    assert dialled.status_code == 200
    assert dialled.json["attempt"]["state"] == "dial_requested"

    run_jobs(twilio_runtime)
    [call] = fake_twilio.calls
    assert call["To"] == AGENT_PHONE
    assert call["From"] == HOTLINE_NUMBER
    assert WORKER.lstrip("+") not in call["Url"] + call["StatusCallback"]

    # Twilio calls the agent: the simulator answers as the agent, presses 1, and the
    # worker ("A") picks up the bridged call.
    answer_url = urlsplit(call["Url"])
    simulator = CallSimulator(
        FlaskTransport(phone_client, PUBLIC_URL),
        auth_token=AUTH_TOKEN,
        public_url=PUBLIC_URL,
        from_number=HOTLINE_NUMBER,
        to_number=AGENT_PHONE,
        account_sid=ACCOUNT_SID,
        call_sid=call["sid"],
        keys=KeyScript("1A"),
        deliver_twice=True,
    )
    result = simulator.run(f"{answer_url.path}?{answer_url.query}", direction="outbound-api")

    first = ET.fromstring(result.documents[0])  # noqa: S314 - our own TwiML
    assert [child.tag for child in first] == ["Gather", "Say", "Hangup"]
    assert first.find("Dial") is None  # nothing is bridged before the agent presses 1
    with twilio_runtime.db.session() as session:
        case = session.get(Case, case_id)
        assert case is not None
        reference = case.reference
    announcement = " ".join(result.says())
    assert "Vietnamese" in announcement
    assert ", ".join(reference) in announcement  # digit by digit
    assert "Do not say you are calling from the hotline" in announcement
    bridged = ET.fromstring(result.documents[1])  # noqa: S314 - our own TwiML
    dial = bridged.find("Dial")
    assert dial is not None
    assert dial.get("callerId") == HOTLINE_NUMBER
    assert bridged.findtext("Dial/Number") == WORKER
    assert "dialling Number " + WORKER in result.transcript()

    status_url = urlsplit(call["StatusCallback"])
    delivered = twilio_post(
        phone_client,
        f"{status_url.path}?{status_url.query}",
        {"AccountSid": ACCOUNT_SID, "CallSid": call["sid"], "CallStatus": "completed"},
    )
    assert delivered.status_code == 200

    with time_machine.travel(MORNING, tick=False):
        seen = phone_client.get(f"/api/cases/{case_id}", headers=auth(token)).json
    [attempt] = seen["callbacks"][0]["attempt_log"]
    assert seen["callbacks"][0]["id"] == callback_id
    assert attempt["state"] == "completed"
    assert (attempt["dial_status"], attempt["dial_duration_seconds"]) == ("completed", 60)
    assert attempt["call_status"] == "completed"
    assert WORKER[-8:] not in str(seen)


def test_any_key_but_1_cancels_and_the_worker_is_not_rung(
    phone_client: Any, twilio_runtime: Runtime, fake_twilio: Any
) -> None:
    make_callback(twilio_runtime, phone=WORKER)
    token = make_agent(twilio_runtime, phone=AGENT_PHONE, ui_language="ja").token
    claim_and_dial(phone_client, token)
    run_jobs(twilio_runtime)
    [call] = fake_twilio.calls
    answered = twilio_fetches(phone_client, call["Url"], call["sid"], CallStatus="in-progress")
    gather = answered.find("Gather")
    assert gather is not None
    say = gather.find("Say")
    assert say is not None
    assert say.get("language") == "ja-JP"
    assert "ベトナム語" in (say.text or "")
    cancelled = twilio_fetches(
        phone_client, absolute(gather.get("action", "")), call["sid"], Digits="2"
    )
    assert cancelled.find("Dial") is None
    assert cancelled.find("Hangup") is not None


def test_a_callback_that_is_no_longer_held_is_not_bridged(
    phone_client: Any, twilio_runtime: Runtime, fake_twilio: Any
) -> None:
    callback_id, _ = make_callback(twilio_runtime, phone=WORKER)
    token = make_agent(twilio_runtime, phone=AGENT_PHONE).token
    claim_and_dial(phone_client, token)
    run_jobs(twilio_runtime)
    with time_machine.travel(MORNING, tick=False):
        phone_client.post(
            f"/api/callbacks/{callback_id}/outcome",
            json={"outcome": "wrong_number"},
            headers=auth(token),
        )
    [call] = fake_twilio.calls
    answered = twilio_fetches(phone_client, call["Url"], call["sid"], CallStatus="in-progress")
    assert answered.find("Gather") is None
    assert answered.find("Dial") is None


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("+81990123456", "premium-rate"),  # Dial Q2 0990
        ("+81570012345", "special service"),  # Navi Dial 0570
        ("+81180123456", "special-service"),  # Tele-dome 0180
        ("+18095551234", "DO"),  # +1 but the Dominican Republic
        ("+882345678", "not allowed"),  # international networks
    ],
)
def test_the_toll_fraud_guard_refuses_premium_and_foreign_numbers(number: str, reason: str) -> None:
    with pytest.raises(RefusedDestination, match=reason):
        check_destination(number)


@pytest.mark.parametrize(
    "number", ["+819012345678", "+819000000001", "+84912345678", "+855123456789", "+12025550123"]
)
def test_the_toll_fraud_guard_allows_japan_and_the_workers_home_countries(number: str) -> None:
    check_destination(number)


def test_only_configured_countries_may_be_called() -> None:
    with pytest.raises(RefusedDestination, match="VN"):
        check_destination("+84912345678", ("JP",))


@pytest.mark.slow
def test_dialling_a_premium_number_is_refused_with_a_clear_error_and_no_call(
    client: Any, runtime: Runtime
) -> None:
    _, _ = make_callback(runtime, phone="+81990123456")
    token = make_agent(runtime).token
    answer = claim_and_dial(client, token)
    assert answer.status_code == 422
    assert answer.json["error"] == "cannot_dial"
    assert "premium-rate" in answer.json["message"]
    with runtime.db.session() as session:
        assert session.scalars(select(CallbackAttempt)).all() == []
        assert session.scalars(select(OutboxJob)).all() == []


def test_an_agent_without_a_phone_cannot_dial(client: Any, runtime: Runtime) -> None:
    make_callback(runtime, phone=WORKER)
    token = make_agent(runtime, phone=None).token
    answer = claim_and_dial(client, token)
    assert (answer.status_code, answer.json["error"]) == (422, "cannot_dial")


def test_dialling_needs_the_claim(client: Any, runtime: Runtime) -> None:
    callback_id, _ = make_callback(runtime, phone=WORKER)
    token = make_agent(runtime).token
    with time_machine.travel(MORNING, tick=False):
        answer = client.post(f"/api/callbacks/{callback_id}/dial", headers=auth(token))
    assert (answer.status_code, answer.json["error"]) == (409, "not_claimed")


def test_a_claim_made_before_the_window_closed_cannot_ring_the_worker_after_it(
    client: Any, runtime: Runtime
) -> None:
    callback_id, _ = make_callback(runtime, phone=WORKER, window="morning")
    token = make_agent(runtime).token
    with time_machine.travel(tokyo(2030, 1, 15, 11, 58), tick=False):
        assert client.post("/api/queue/claim", headers=auth(token)).status_code == 200
    with time_machine.travel(tokyo(2030, 1, 15, 12, 5), tick=False):
        answer = client.post(f"/api/callbacks/{callback_id}/dial", headers=auth(token))
    assert (answer.status_code, answer.json["error"]) == (409, "outside_window")
    with runtime.db.session() as session:
        assert session.scalars(select(OutboxJob)).all() == []
