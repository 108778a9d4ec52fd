"""Bad input to any webhook gets a clear 4xx, never a 500, and stores nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from hotline.models import metadata
from tests.helpers import HOTLINE_NUMBER, PUBLIC_URL, WORKER_NUMBER, twilio_post, twilio_signature

WEBHOOKS = {
    "/voice/incoming": {"CallSid": "CA" + "1" * 32, "From": WORKER_NUMBER, "To": HOTLINE_NUMBER},
    "/sms/incoming": {
        "MessageSid": "SM" + "1" * 32,
        "From": WORKER_NUMBER,
        "To": HOTLINE_NUMBER,
        "Body": "HELP",
    },
    "/voice/status": {"CallSid": "CA" + "1" * 32, "CallStatus": "completed"},
    "/sms/status": {"MessageSid": "SM" + "1" * 32, "MessageStatus": "delivered"},
}


def stored_rows(runtime: Any) -> int:
    """Rows in every table a request could write (`data_keys` is written at start-up)."""
    with runtime.db.session() as s:
        return sum(
            int(s.scalar(select(func.count()).select_from(table)) or 0)
            for table in metadata.sorted_tables
            if table.name != "data_keys"
        )


REQUIRED = [
    (path, name)
    for path, params in WEBHOOKS.items()
    for name in ("CallSid", "MessageSid", "From", "CallStatus", "MessageStatus")
    if name in params
]


@pytest.mark.slow
@pytest.mark.parametrize(("path", "missing"), REQUIRED)
def test_missing_required_parameter_is_a_clear_400(
    client: Any, runtime: Any, path: str, missing: str
) -> None:
    params = dict(WEBHOOKS[path])
    del params[missing]
    response = twilio_post(client, path, params)
    assert response.status_code == 400
    assert missing in response.get_data(as_text=True)
    assert stored_rows(runtime) == 0


@pytest.mark.parametrize("path", list(WEBHOOKS))
def test_invalid_utf8_body_is_a_clear_400(client: Any, runtime: Any, path: str) -> None:
    # Signed over the values as they read with the bad bytes replaced.
    signature = twilio_signature(
        PUBLIC_URL + path, {"From": WORKER_NUMBER, "Body": "\ufffd\ufffd\ufffd"}
    )
    response = client.post(
        path,
        data=b"From=%2B819000000001&Body=%FF%FE%FA",
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": signature},
    )
    assert response.status_code == 400
    assert "UTF-8" in response.get_data(as_text=True)
    assert stored_rows(runtime) == 0


@pytest.mark.parametrize("path", list(WEBHOOKS))
def test_a_malformed_body_with_a_forged_signature_is_refused_unread(
    client: Any, runtime: Any, path: str
) -> None:
    """Only a request Twilio signed is told what is wrong with it."""
    for body, ctype in (
        (b"From=%2B819000000001&Body=%FF%FE%FA", "application/x-www-form-urlencoded"),
        (b"From=%ZZ%&&=Body", "application/x-www-form-urlencoded"),
        (b'{"From": "x"}', "application/json"),
    ):
        response = client.post(
            path, data=body, content_type=ctype, headers={"X-Twilio-Signature": "anything"}
        )
        assert response.status_code == 403, body
    assert stored_rows(runtime) == 0


@pytest.mark.parametrize("path", list(WEBHOOKS))
def test_non_form_body_is_a_clear_4xx(client: Any, runtime: Any, path: str) -> None:
    signature = twilio_signature(PUBLIC_URL + path, {})
    response = client.post(
        path,
        data='{"From": "x"}',
        content_type="application/json",
        headers={"X-Twilio-Signature": signature},
    )
    assert 400 <= response.status_code < 500
    assert stored_rows(runtime) == 0


@pytest.mark.slow
@pytest.mark.parametrize("path", list(WEBHOOKS))
def test_body_over_the_size_limit_is_a_413(client: Any, runtime: Any, path: str) -> None:
    params = {**WEBHOOKS[path], "Body": "x" * (70 * 1024)}
    response = twilio_post(client, path, params)
    assert response.status_code == 413
    assert stored_rows(runtime) == 0


@pytest.mark.parametrize("path", list(WEBHOOKS))
def test_malformed_urlencoding_is_a_clear_400(client: Any, runtime: Any, path: str) -> None:
    response = client.post(
        path,
        data=b"From=%ZZ%&&=Body",
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": "anything"},
    )
    assert 400 <= response.status_code < 500
    assert stored_rows(runtime) == 0


def test_unknown_paths_and_methods_are_4xx(client: Any) -> None:
    assert client.get("/voice/incoming").status_code == 405
    assert client.post("/voice/nowhere").status_code in (403, 404)
    assert client.get("/api/nowhere").status_code == 404
    assert client.get("/api/nowhere").is_json


def test_ids_no_row_can_have_are_404_not_500(client: Any) -> None:
    huge = "9" * 25
    for path in (f"/api/cases/{huge}", f"/api/voicemails/{huge}/audio", f"/cases/{huge}"):
        assert client.get(path).status_code in (401, 404, 302), path
    from tests.builders import auth, make_agent

    token = make_agent(client.application.extensions["hotline"]).token
    for path in (f"/api/cases/{huge}", f"/api/voicemails/{huge}/audio"):
        assert client.get(path, headers=auth(token)).status_code == 404, path
