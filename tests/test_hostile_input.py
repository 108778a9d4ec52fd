"""Malformed but correctly signed input: control characters, ids no row can have,
SIDs of the wrong shape, steps of calls never seen. Each is a clear 4xx that stores
nothing, on both backends (PostgreSQL refuses NUL bytes that SQLite takes)."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine

from tests.builders import auth, make_agent, make_callback, tokyo
from tests.conftest import both_backends
from tests.helpers import HOTLINE_NUMBER, WORKER_NUMBER, twilio_post, twilio_signature
from tests.test_bad_input import stored_rows

CALL_SID = "CA" + "0123456789abcdef" * 2
MESSAGE_SID = "SM" + "0123456789abcdef" * 2
RECORDING_SID = "RE" + "0123456789abcdef" * 2
HUGE_ID = str(2**31)

CALL = {"CallSid": CALL_SID, "From": WORKER_NUMBER, "To": HOTLINE_NUMBER}
SMS = {"MessageSid": MESSAGE_SID, "From": WORKER_NUMBER, "To": HOTLINE_NUMBER, "Body": "HELP"}

HOSTILE_WEBHOOKS = {
    "NUL in a message": ("/sms/incoming", {**SMS, "Body": "help\x00me"}),
    "control character in a message": ("/sms/incoming", {**SMS, "Body": "help\x1bme"}),
    "NUL in the caller's number": ("/voice/incoming", {**CALL, "From": "+8190\x00000001"}),
    "NUL in a parameter name": ("/voice/incoming", {**CALL, "Digits\x00": "1"}),
    "NUL in digits": ("/voice/language", {**CALL, "Digits": "84\x00#"}),
    "CallSid over 64 characters": ("/voice/incoming", {**CALL, "CallSid": "CA" + "a" * 70}),
    "MessageSid over 64 characters": (
        "/sms/incoming",
        {**SMS, "MessageSid": "SM" + "a" * 70},
    ),
    "CallSid with the wrong prefix": ("/voice/incoming", {**CALL, "CallSid": "SM" + "a" * 32}),
    "MessageSid with the wrong prefix": ("/sms/incoming", {**SMS, "MessageSid": "CA" + "a" * 32}),
    "CallSid that is not hex": ("/voice/incoming", {**CALL, "CallSid": "CA" + "z" * 32}),
    "short RecordingSid": (
        "/voice/recording",
        {
            **CALL,
            "RecordingSid": "RE123",
            "RecordingStatus": "completed",
            "RecordingUrl": "https://api.twilio.com/x",
        },
    ),
    "AccountSid of the wrong shape": ("/voice/incoming", {**CALL, "AccountSid": "AC1"}),
    "status id above 2^31": (
        f"/sms/status?m={HUGE_ID}",
        {"MessageSid": MESSAGE_SID, "MessageStatus": "sent"},
    ),
    "status id with 25 digits": (
        "/sms/status?m=" + "9" * 25,
        {"MessageSid": MESSAGE_SID, "MessageStatus": "sent"},
    ),
    "attempt id above 2^31": (
        f"/voice/callbacks/1/agent?attempt={HUGE_ID}",
        {"CallSid": CALL_SID, "CallStatus": "in-progress"},
    ),
    "agent id above 2^31": (f"/voice/live/agent?lang=vi&agent={HUGE_ID}", {"CallSid": CALL_SID}),
    "a later step of a call never seen": ("/voice/language?s=3", {**CALL, "Digits": "84#"}),
    "a menu answer of a call never seen": ("/voice/node/main?s=4", {**CALL, "Digits": "1"}),
    "a recording of a call never seen": ("/voice/record/voicemail?s=5&t=1", CALL),
}


@both_backends
@pytest.mark.parametrize("case", list(HOSTILE_WEBHOOKS))
@pytest.mark.slow
def test_malformed_signed_webhooks_are_a_clear_400_that_stores_nothing(
    client: Any, runtime: Any, case: str
) -> None:
    path, params = HOSTILE_WEBHOOKS[case]
    response = twilio_post(client, path, params)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.get_data(as_text=True).strip()  # says what is wrong
    assert stored_rows(runtime) == 0


@both_backends
def test_a_captured_sms_resent_with_shifted_parameter_boundaries_is_refused(
    client: Any, runtime: Any
) -> None:
    """Twilio signs the concatenation of each key and value, so `MessageSid=SMx` +
    `NumMedia=0` signs the same as `MessageSid=SMxNumMedia0`: a captured delivery resent
    that way must not pass as a new message."""
    original = {**SMS, "NumMedia": "0"}
    assert twilio_post(client, "/sms/incoming", original).status_code == 200
    rows = stored_rows(runtime)
    shifted = {key: value for key, value in original.items() if key != "NumMedia"}
    shifted["MessageSid"] = MESSAGE_SID + "NumMedia0"
    assert twilio_signature("https://x/sms/incoming", original) == twilio_signature(
        "https://x/sms/incoming", shifted
    )
    response = twilio_post(client, "/sms/incoming", shifted)
    assert response.status_code == 400
    assert stored_rows(runtime) == rows


MORNING = tokyo(2030, 1, 15, 10)


@both_backends
@pytest.mark.parametrize("text", ["hello\x00", "hello\x07there", "\x1b[31mred"])
@pytest.mark.slow
def test_control_characters_in_api_texts_are_a_422(client: Any, runtime: Any, text: str) -> None:
    _, case_id = make_callback(runtime)
    token = make_agent(runtime).token
    with time_machine.travel(MORNING, tick=False):
        claimed = client.post("/api/queue/claim", headers=auth(token)).json
        rows = stored_rows(runtime)
        reply = client.post(f"/api/cases/{case_id}/reply", json={"text": text}, headers=auth(token))
        outcome = client.post(
            f"/api/callbacks/{claimed['id']}/outcome",
            json={"outcome": "reached", "note": text},
            headers=auth(token),
        )
    for response in (reply, outcome):
        assert response.status_code == 422
        assert response.json["error"] == "validation_error"
        assert "control character" in response.json["message"]
    assert stored_rows(runtime) == rows


@both_backends
def test_a_reply_may_span_lines(client: Any, runtime: Any) -> None:
    _, case_id = make_callback(runtime)
    token = make_agent(runtime).token
    response = client.post(
        f"/api/cases/{case_id}/reply", json={"text": "Xin chào\r\nline\ttwo"}, headers=auth(token)
    )
    assert response.status_code != 422


@both_backends
@pytest.mark.parametrize("field", ["name", "password"])
def test_control_characters_in_the_sign_in_form_are_a_400(
    client: Any, runtime: Any, field: str
) -> None:
    from tests.web.helpers import csrf_from

    token = csrf_from(client.get("/sign-in").get_data(as_text=True))
    form = {"csrf_token": token, "name": "Lan", "password": "a long enough password"}
    form[field] = form[field] + "\x00"
    rows = stored_rows(runtime)
    response = client.post("/sign-in", data=form)
    assert response.status_code == 400
    assert stored_rows(runtime) == rows


@both_backends
def test_query_strings_with_control_characters_are_a_400(client: Any, runtime: Any) -> None:
    token = make_agent(runtime).token
    for path in ("/sign-in?next=/queue%00", "/api/queue?x=%01"):
        response = client.get(path, headers=auth(token))
        assert response.status_code == 400, path
