"""Signature validation for every webhook: the matrix from the foundation issue."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from hotline.sms.models import SmsMessage
from hotline.webhooks import WebhookReceipt
from tests.helpers import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_URL, twilio_post, twilio_signature

STATUS = {"MessageSid": "SM" + "1" * 32, "MessageStatus": "delivered", "AccountSid": ACCOUNT_SID}


def receipts(runtime: Any) -> int:
    with runtime.db.session() as s:
        return int(s.scalar(select(func.count()).select_from(WebhookReceipt)) or 0)


def test_valid_signature_is_accepted(client: Any, runtime: Any) -> None:
    response = twilio_post(client, "/sms/status", STATUS)
    assert response.status_code == 200
    assert receipts(runtime) == 1


def test_tampered_parameter_is_refused_and_nothing_stored(client: Any, runtime: Any) -> None:
    signature = twilio_signature(PUBLIC_URL + "/sms/status", STATUS)
    tampered = {**STATUS, "MessageStatus": "failed"}
    response = client.post(
        "/sms/status",
        data=urlencode(tampered),
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": signature},
    )
    assert response.status_code == 403
    assert receipts(runtime) == 0


def test_missing_signature_header_is_refused(client: Any, runtime: Any) -> None:
    response = client.post("/sms/status", data=STATUS)
    assert response.status_code == 403
    assert receipts(runtime) == 0


def test_wrong_auth_token_is_refused(client: Any, runtime: Any) -> None:
    response = twilio_post(client, "/sms/status", STATUS, token="some-other-token")
    assert response.status_code == 403


@pytest.mark.parametrize("query", ["?b=2&a=1", "?a=1&b=2"])
def test_query_string_is_part_of_the_signed_url(client: Any, query: str) -> None:
    assert twilio_post(client, "/sms/status" + query, STATUS).status_code == 200
    # Signed without the query, posted with it: refused.
    signature = twilio_signature(PUBLIC_URL + "/sms/status", STATUS)
    response = client.post(
        "/sms/status" + query,
        data=urlencode(STATUS),
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": signature},
    )
    assert response.status_code == 403


@pytest.mark.slow
def test_https_public_url_behind_a_tls_proxy_on_another_port(client: Any) -> None:
    # Twilio signs https://hotline.example.org/...; the app sees plain http on :8000.
    response = twilio_post(client, "/sms/status", STATUS)
    signature = twilio_signature(PUBLIC_URL + "/sms/status", STATUS)
    response = client.post(
        "/sms/status",
        base_url="http://10.0.0.5:8000",
        data=urlencode(STATUS),
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": signature},
    )
    assert response.status_code == 200


def test_forged_forwarded_headers_are_ignored(client: Any) -> None:
    # Signed for the attacker's host; X-Forwarded-* must not make it validate.
    forged_url = "https://attacker.example.net/sms/status"
    signature = twilio_signature(forged_url, STATUS)
    response = client.post(
        "/sms/status",
        data=urlencode(STATUS),
        content_type="application/x-www-form-urlencoded",
        headers={
            "X-Twilio-Signature": signature,
            "X-Forwarded-Host": "attacker.example.net",
            "X-Forwarded-Proto": "https",
            "Host": "attacker.example.net",
        },
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    "value", ["Tiếng Việt ☎ 日本語", "it's", "worker@example.org", "time: 10:30", "a+b=c&d"]
)
def test_unicode_and_punctuation_in_values(client: Any, value: str) -> None:
    params = {**STATUS, "ErrorMessage": value}
    assert twilio_post(client, "/sms/status", params).status_code == 200


def test_sha256_signature_settings_header_is_honoured(client: Any) -> None:
    from twilio.request_validator import RequestValidator

    url = PUBLIC_URL + "/sms/status"
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, STATUS, "HMAC_SHA256")
    response = client.post(
        "/sms/status",
        data=urlencode(STATUS),
        content_type="application/x-www-form-urlencoded",
        headers={
            "X-Twilio-Signature": signature,
            "X-Twilio-Webhooks-Signature-Settings": (
                "key=webhooks_sharedkey_1,algorithm=HMAC_SHA256"
            ),
        },
    )
    assert response.status_code == 200


def test_status_callback_for_unknown_sid_answers_200(client: Any, runtime: Any) -> None:
    response = twilio_post(
        client, "/voice/status", {"CallSid": "CA" + "9" * 32, "CallStatus": "completed"}
    )
    assert response.status_code == 200
    with runtime.db.session() as s:
        assert s.scalar(select(func.count()).select_from(SmsMessage)) == 0
