"""Forged and malformed requests, the API's authentication, and its published description."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
import requests
from twilio.request_validator import RequestValidator

from tests.acceptance.outsider import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    HOTLINE_NUMBER,
    PUBLIC_URL,
    Agent,
    Deployment,
    assert_conforms,
    sms_reply,
)
from tests.acceptance.voice_engine import TwilioCall

pytestmark = pytest.mark.slow  # starts the deployment's servers

FORGER = "+819000007001"
DESIGN_OPERATIONS = [
    ("get", "/api/queue"),
    ("post", "/api/queue/claim"),
    ("get", "/api/cases"),
    ("get", "/api/cases/{case_id}"),
    ("post", "/api/cases/{case_id}/reply"),
    ("post", "/api/callbacks/{callback_id}/dial"),
    ("post", "/api/callbacks/{callback_id}/outcome"),
]


@pytest.fixture(scope="module")
def supervisor(hotline: Deployment) -> Agent:
    done = hotline.cli(
        "agent", "add", "--name", "Sachiko", "--languages", "ja,en", "--role", "supervisor"
    )
    assert done.returncode == 0, done.stderr
    return Agent(None, done.stdout.strip().splitlines()[-1].split()[-1], done.stdout)


def all_case_ids(hotline: Deployment, supervisor: Agent) -> set[int]:
    listed = hotline.api(supervisor).get("/api/cases")
    assert listed.status_code == 200
    return {case["id"] for case in listed.json()}


def sms_params(body: str) -> dict[str, str]:
    sid = "SM" + secrets.token_hex(16)
    return {
        "MessageSid": sid,
        "SmsSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": FORGER,
        "To": HOTLINE_NUMBER,
        "Body": body,
        "NumMedia": "0",
        "ApiVersion": "2010-04-01",
    }


def test_forged_webhooks_get_403_and_store_nothing(hotline: Deployment, supervisor: Agent) -> None:
    before = all_case_ids(hotline, supervisor)
    text = "Công ty không trả lương cho tôi ba tháng."
    attempts = {
        "unsigned": hotline.twilio_post("/sms/incoming", sms_params(text), signature=""),
        "wrong token": hotline.twilio_post("/sms/incoming", sms_params(text), token="f" * 32),
        "signed for the local address": hotline.twilio_post(
            "/sms/incoming",
            sms_params(text),
            signed_url=hotline.base_url + "/sms/incoming",
        ),
        "signed for another path": hotline.twilio_post(
            "/sms/incoming", sms_params(text), signed_url=PUBLIC_URL + "/sms/status"
        ),
        "garbage signature": hotline.twilio_post(
            "/sms/incoming", sms_params(text), signature="bm90IGEgc2lnbmF0dXJl"
        ),
    }
    tampered = sms_params("CALL")
    good = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + "/sms/incoming", tampered)
    attempts["tampered body"] = hotline.twilio_post(
        "/sms/incoming", {**tampered, "Body": text}, signature=good
    )
    call = TwilioCall(hotline, FORGER)
    for path in ("/voice/incoming", "/voice/status", "/sms/status"):
        attempts[f"unsigned {path}"] = hotline.twilio_post(path, call.params(), signature="")
    attempts["voice language choice, wrong token"] = hotline.twilio_post(
        "/voice/incoming", {**call.params(), "Digits": "84"}, token="0" * 32
    )
    statuses = {name: r.status_code for name, r in attempts.items()}
    assert set(statuses.values()) == {403}, statuses

    assert all_case_ids(hotline, supervisor) == before, "a forged request stored a case"
    # The forger's number is unknown to the hotline: a signed call starts at the
    # language menu, a signed text is the first one of a new case.
    first = TwilioCall(hotline, FORGER).start()
    assert first.gather().get("finishOnKey") == "#", "the language menu, not a greeting"
    assert first.says()[0][0] != "vi-VN", first.text


def test_malformed_webhooks_get_a_4xx_never_a_500(hotline: Deployment) -> None:
    call = TwilioCall(hotline, "+819000007101")
    no_call_sid = {k: v for k, v in call.params().items() if k != "CallSid"}
    no_from = {k: v for k, v in sms_params("HELP").items() if k != "From"}
    no_sid = {k: v for k, v in sms_params("HELP").items() if k not in ("MessageSid", "SmsSid")}
    answers = {
        "voice without CallSid": hotline.twilio_post("/voice/incoming", no_call_sid),
        "sms without From": hotline.twilio_post("/sms/incoming", no_from),
        "sms without MessageSid": hotline.twilio_post("/sms/incoming", no_sid),
        "sms status without MessageSid": hotline.twilio_post(
            "/sms/status", {"AccountSid": ACCOUNT_SID, "MessageStatus": "delivered"}
        ),
    }
    json_body = requests.post(
        hotline.base_url + "/sms/incoming",
        json=sms_params("HELP"),
        headers={"X-Twilio-Signature": "x"},
        timeout=10,
    )
    answers["a JSON body"] = json_body
    for name, answer in answers.items():
        assert 400 <= answer.status_code < 500, (name, answer.status_code, answer.text[:200])


def test_the_agent_api_requires_a_bearer_token_and_rejects_bad_bodies(
    hotline: Deployment, supervisor: Agent, openapi: dict[str, Any]
) -> None:
    for token in (None, "hl_not-a-real-token", ""):
        queue = hotline.api(token).get("/api/queue")
        assert queue.status_code == 401, (token, queue.status_code)
        assert_conforms(openapi, "GET", "/api/queue", queue)
    basic = requests.get(hotline.base_url + "/api/queue", auth=("agent", "secret"), timeout=10)
    assert basic.status_code == 401

    api = hotline.api(supervisor)
    sender = "+819000007201"
    assert len(sms_reply(hotline.sms(sender, "Xin chào, tôi cần giúp đỡ về lương."))) == 1
    case_id = max(all_case_ids(hotline, supervisor))
    reply_path = f"/api/cases/{case_id}/reply"
    invalid_json = api.session.post(
        hotline.base_url + reply_path,
        data="{not json",
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert invalid_json.status_code == 400, invalid_json.text
    assert_conforms(openapi, "POST", "/api/cases/{case_id}/reply", invalid_json)
    for body in ({"text": 5}, {"text": ""}, {}, {"text": "x" * 1601}, {"txt": "hello"}):
        answer = api.post(reply_path, body)
        assert answer.status_code == 422, (body, answer.status_code, answer.text)
        assert_conforms(openapi, "POST", "/api/cases/{case_id}/reply", answer)
    missing = api.get("/api/cases/999999")
    assert missing.status_code == 404
    assert_conforms(openapi, "GET", "/api/cases/{case_id}", missing)
    assert api.get("/api/cases/not-a-number").status_code == 404
    outcome = api.post("/api/callbacks/999999/outcome", {"outcome": "maybe"})
    assert outcome.status_code in (404, 422), outcome.text


def test_the_openapi_document_is_valid_openapi_3_and_covers_the_design(
    hotline: Deployment, openapi: dict[str, Any]
) -> None:
    from openapi_spec_validator import validate

    assert str(openapi["openapi"]).startswith("3.")
    validate(openapi)
    for method, path in DESIGN_OPERATIONS:
        assert method in openapi["paths"].get(path, {}), f"{method.upper()} {path} undocumented"
    no_token = requests.get(hotline.base_url + "/api/openapi.json", timeout=10)
    assert no_token.status_code == 200


def test_healthz_answers_200(hotline: Deployment) -> None:
    assert requests.get(hotline.base_url + "/healthz", timeout=10).status_code == 200
