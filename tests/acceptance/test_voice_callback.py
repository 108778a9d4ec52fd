"""A Vietnamese worker asks for a callback by phone and an adviser works it through the
agent API, with Twilio's side played by the tests (webhooks in, REST calls out)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest

from hotline.voice.simulator import CallSimulator, HttpTransport, KeyScript
from tests.acceptance.conftest import Edge
from tests.acceptance.outsider import (
    AUTH_TOKEN,
    HOTLINE_NUMBER,
    PUBLIC_URL,
    Deployment,
    assert_conforms,
    wait_for,
)
from tests.acceptance.voice_engine import TwilioCall

pytestmark = pytest.mark.slow  # starts the deployment's servers

WORKER = "+84900000101"  # made-up Vietnamese mobile number
SECOND_WORKER = "+84900000102"
AGENT_PHONE = "+819000001001"
OTHER_AGENT_PHONE = "+819000001002"


def spoken_digits(says: list[tuple[str | None, str]]) -> str:
    """Digits read out one by one (a <Say> of digits and separators only), in order."""
    return "".join(re.sub(r"\D", "", text) for _, text in says if re.fullmatch(r"[\d\s,.]+", text))


def iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def walk_callback_request(call: TwilioCall) -> list[tuple[str | None, str]]:
    """From the main menu: 2 callback, 1 this number, 4 any time, 2 discreet, 1 SMS ok,
    2 not in danger. Returns what was said in the final document."""
    for key in ("2", "1", "4", "2", "1", "2"):
        call.press(key)
    return call.doc.says()


def test_a_vietnamese_callback_request_is_claimed_dialled_and_closed_by_a_vietnamese_adviser(
    hotline: Deployment, edge: Edge, openapi: dict[str, Any]
) -> None:
    lan = hotline.add_agent("Lan", "vi,en", AGENT_PHONE)
    emma = hotline.add_agent("Emma", "en", OTHER_AGENT_PHONE)

    # --- the worker calls: language menu, 84#, Vietnamese from then on ---
    call = TwilioCall(hotline, WORKER)
    first = call.start()
    language_menu = first.gather()
    assert "#" in language_menu.get("finishOnKey", "#")
    menu = call.press("84", finished_on_key="#")
    vietnamese = [text for lang, text in menu.says() if lang == "vi-VN"]
    assert vietnamese, f"expected <Say language='vi-VN'> after 84#: {menu.text}"
    assert {lang for lang, _ in menu.says()} == {"vi-VN"}, menu.text
    assert menu.gather() is not None

    said = walk_callback_request(call)
    assert said and {lang for lang, _ in said} == {"vi-VN"}, call.doc.text
    digits = spoken_digits(said)
    assert len(digits) >= 7, f"the case reference should be read digit by digit: {said}"
    assert call.doc.verbs("Hangup") or not call.doc.verbs("Gather"), call.doc.text
    assert call.hang_up().status_code in (200, 204)

    # --- the adviser's queue ---
    api = hotline.api(lan)
    queue = api.get("/api/queue")
    assert_conforms(openapi, "GET", "/api/queue", queue)
    assert isinstance(queue.json(), list)
    mine = [cb for cb in queue.json() if cb["case_reference"] and cb["case_reference"] in digits]
    assert len(mine) == 1, queue.json()
    callback = mine[0]
    assert digits.startswith(callback["case_reference"]), (digits, callback["case_reference"])
    assert callback["language"] == "vi"
    assert callback["status"] == "queued"
    assert callback["phone_masked"] and WORKER not in callback["phone_masked"]
    assert WORKER not in queue.text
    confirmation = wait_for(
        lambda: edge.twilio.sms_to(WORKER), what="the SMS confirmation the worker allowed"
    )
    assert len(confirmation) == 1 and callback["case_reference"] in confirmation[0]["Body"]
    assert confirmation[0]["From"] == HOTLINE_NUMBER

    claimed = api.post("/api/queue/claim")
    assert_conforms(openapi, "POST", "/api/queue/claim", claimed)
    assert claimed.status_code == 200, claimed.text
    assert claimed.json()["id"] == callback["id"]
    assert claimed.json()["claimed_by_id"] == lan.id
    again = api.post("/api/queue/claim")
    assert again.status_code == 200 and again.json()["id"] == callback["id"], again.text

    # --- an adviser without Vietnamese sees nothing of it ---
    outsider = hotline.api(emma)
    assert outsider.get(f"/api/cases/{callback['case_id']}").status_code == 404
    assert callback["id"] not in [cb["id"] for cb in outsider.get("/api/queue").json()]
    assert outsider.post(f"/api/callbacks/{callback['id']}/dial").status_code == 404

    # --- dial: Twilio is asked to ring the adviser from the hotline number ---
    dialled = api.post(f"/api/callbacks/{callback['id']}/dial")
    assert dialled.status_code == 200, dialled.text
    assert_conforms(openapi, "POST", "/api/callbacks/{callback_id}/dial", dialled)
    twilio_call = wait_for(
        lambda: next((c for c in edge.twilio.calls if c["To"] == AGENT_PHONE), None),
        what="a Calls.json create to the adviser's phone",
    )
    assert twilio_call["From"] == HOTLINE_NUMBER
    assert WORKER not in str(twilio_call), "the worker's number must not leave in a URL"
    assert twilio_call["Url"].startswith(PUBLIC_URL + "/")

    # --- the adviser answers; Twilio fetches the TwiML and the adviser presses 1 ---
    leg = TwilioCall(
        hotline,
        HOTLINE_NUMBER,
        to_number=AGENT_PHONE,
        direction="outbound-api",
        call_sid=twilio_call["sid"],
    )
    announcement = leg.fetch(twilio_call["Url"])
    gather = announcement.gather()
    assert gather.get("numDigits") == "1"
    bridge = leg.press("1")
    dials = bridge.verbs("Dial")
    assert dials, bridge.text
    assert dials[0].get("callerId") == HOTLINE_NUMBER
    numbers = [(n.text or "").strip() for n in dials[0].iter("Number")]
    assert numbers == [WORKER], bridge.text
    if dials[0].get("action"):
        finished = leg.fetch(
            bridge.absolute(dials[0].get("action")),
            DialCallStatus="no-answer",
            DialCallDuration="0",
        )
        assert finished.root.tag == "Response"

    # --- outcome no_answer: back in the queue later; reached closes a request ---
    no_answer = api.post(
        f"/api/callbacks/{callback['id']}/outcome", {"outcome": "no_answer", "note": "rang out"}
    )
    assert no_answer.status_code == 200, no_answer.text
    assert_conforms(openapi, "POST", "/api/callbacks/{callback_id}/outcome", no_answer)
    rescheduled = no_answer.json()
    assert rescheduled["status"] == "queued"
    assert rescheduled["closed_reason"] is None
    assert rescheduled["claimed_by_id"] is None
    created = iso(rescheduled["created_at"])
    assert iso(rescheduled["next_attempt_at"]) >= created + timedelta(minutes=29)

    # A second Vietnamese worker asks for a callback (a whole call through the
    # simulator, every request delivered twice as Twilio may do) and is reached.
    simulator = CallSimulator(
        HttpTransport(hotline.base_url, PUBLIC_URL),
        auth_token=AUTH_TOKEN,
        public_url=PUBLIC_URL,
        from_number=SECOND_WORKER,
        to_number=HOTLINE_NUMBER,
        keys=KeyScript("84# 2 1 4 1 1 2"),
        deliver_twice=True,
    )
    simulator.run()
    second = api.post("/api/queue/claim")
    assert second.status_code == 200, second.text
    assert second.json()["id"] != callback["id"], "a rescheduled request is not due yet"
    assert second.json()["discretion"] == {"may_identify": True, "sms_allowed": True}
    assert api.post(f"/api/callbacks/{second.json()['id']}/dial").status_code == 200
    reached = api.post(f"/api/callbacks/{second.json()['id']}/outcome", {"outcome": "reached"})
    assert reached.status_code == 200, reached.text
    assert reached.json()["status"] == "closed"
    assert reached.json()["closed_reason"] == "reached"
    case = api.get(f"/api/cases/{second.json()['case_id']}")
    assert case.status_code == 200 and case.json()["status"] == "open", case.text
    assert_conforms(openapi, "GET", "/api/cases/{case_id}", case)
    assert [cb["status"] for cb in case.json()["callbacks"]] == ["closed"]
    assert SECOND_WORKER not in case.text
