"""Signature validation for every webhook: the matrix from the foundation issue."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

from hotline.sms.models import SmsMessage
from hotline.webhooks import WebhookReceipt, signature_matches
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


@settings(max_examples=300, deadline=None)
@given(
    pairs=st.lists(
        st.tuples(
            st.sampled_from(["Body", "From", "Digits", "body", "Body2", "MediaUrl0", ""]),
            st.text(max_size=12),
        ),
        max_size=8,
    ),
    algorithm=st.sampled_from([None, "HMAC_SHA256", "hmac_sha256"]),
    url=st.sampled_from(
        ["https://hotline.example.org/sms/incoming", "https://h.example.org:8443/voice/x?s=1"]
    ),
)
def test_the_signature_is_decided_exactly_as_twilios_validator_decides_it(
    pairs: list[tuple[str, str]], algorithm: str | None, url: str
) -> None:
    # Repeated names, repeated values, empty ones, any Unicode: signed by the library,
    # checked by ours, and a tampered form refused by both.
    form = MultiDict(pairs)
    header = None if algorithm is None else f"key=webhooks_sharedkey_1,algorithm={algorithm}"
    validator = RequestValidator(AUTH_TOKEN)
    signature = validator.compute_signature(url, form, algorithm)
    assert signature_matches(AUTH_TOKEN, url, form, signature, header)
    tampered = MultiDict([*pairs, ("Body", "x")])
    assert signature_matches(AUTH_TOKEN, url, tampered, signature, header) == validator.validate(
        url, tampered, signature, algorithm
    )
