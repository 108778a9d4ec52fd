"""Outbound SMS, sent by the real `twilio` client from the real `sms.send` job, checked on
the wire against Twilio's own OpenAPI description of the Messages resource."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from flask import request

from hotline.callers.service import get_or_create_caller
from hotline.runtime import Runtime, set_current
from hotline.sms.outbound import queue_sms
from tests.conftest import make_settings
from tests.contract.twilio_oai import (
    OAI_PATH,
    ContractViolation,
    check_form_request,
    check_json_response,
    match_path,
)
from tests.fakes.server import ThreadedServer
from tests.fakes.twilio_api import FakeTwilio, build_app
from tests.helpers import ACCOUNT_SID, AUTH_TOKEN, HOTLINE_NUMBER, WORKER_NUMBER, run_jobs

if not OAI_PATH.exists():  # shipped in tests/contract/twilio_oai_data/: never skipped
    raise RuntimeError(f"Twilio's API description is missing: {OAI_PATH}")

MESSAGES = "/2010-04-01/Accounts/{AccountSid}/Messages.json"


@pytest.fixture
def wire() -> Iterator[tuple[FakeTwilio, list[dict[str, Any]]]]:
    """The fake Twilio, recording every request and answer exactly as on the wire."""
    fake = FakeTwilio(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN)
    app = build_app(fake)
    seen: list[dict[str, Any]] = []

    @app.before_request
    def _capture() -> None:
        seen.append(
            {
                "method": request.method.lower(),
                "path": request.path,
                "content_type": request.content_type or "",
                "authorization": request.headers.get("Authorization", ""),
                "body": request.get_data(cache=True, as_text=True),
            }
        )

    @app.after_request
    def _answer(response: Any) -> Any:
        seen[-1]["status"] = response.status_code
        seen[-1]["answer"] = response.get_data(as_text=True)
        return response

    fake.server = ThreadedServer(app).start()
    yield fake, seen
    fake.server.stop()


@pytest.fixture
def wire_runtime(tmp_path: Any, database_url: str, redis_url: str, wire: Any) -> Iterator[Runtime]:
    fake, _ = wire
    settings = make_settings(tmp_path, database_url, redis_url, twilio_api_url=fake.url)
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    runtime = Runtime(settings, redis_client=client)
    set_current(runtime)
    yield runtime
    set_current(None)
    runtime.close()


BODIES = [
    "Your adviser replied: please call us back.",
    "Tư vấn viên đã trả lời: vui lòng gọi lại cho chúng tôi.",
    "相談員から返信があります。",
    "Emoji and extension characters: 👍 € [ok] {ref} ~",
    "x" * 1600,
]


@pytest.mark.parametrize("body", BODIES, ids=["gsm", "vietnamese", "japanese", "emoji", "long"])
def test_outbound_sms_requests_match_twilios_api_description(
    wire: Any, wire_runtime: Runtime, body: str
) -> None:
    fake, seen = wire
    with wire_runtime.db.session() as session:
        caller = get_or_create_caller(session, wire_runtime.settings.secret_key, WORKER_NUMBER)
        message = queue_sms(session, purpose="reply", caller=caller, body=body, kind="agent")
        assert message is not None
    run_jobs(wire_runtime)

    [sent] = [r for r in seen if r["method"] == "post"]
    template = match_path(sent["path"])
    assert template == MESSAGES
    assert sent["path"] == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    scheme, _, credentials = sent["authorization"].partition(" ")
    assert scheme == "Basic"
    assert base64.b64decode(credentials).decode() == f"{ACCOUNT_SID}:{AUTH_TOKEN}"
    typed = check_form_request(MESSAGES, "post", sent["content_type"], sent["body"])
    assert typed["To"] == WORKER_NUMBER and typed["From"] == HOTLINE_NUMBER
    assert typed["Body"] == body
    assert typed["StatusCallback"].endswith(f"/sms/status?m={message.id}")
    # The fake answers in Twilio's documented format too, or the client would be misled.
    check_json_response(MESSAGES, "post", sent["status"], json.loads(sent["answer"]))
    assert len(fake.messages) == 1


def test_the_contract_check_rejects_what_twilio_would_reject() -> None:
    form = "application/x-www-form-urlencoded"
    good = "To=%2B819000000001&From=%2B81500000000&Body=hi"
    check_form_request(MESSAGES, "post", form, good)
    for bad, reason in [
        ("From=%2B81500000000&Body=hi", "'To' is a required property"),
        ("To=090-0000-0001&From=%2B81500000000&Body=hi", "phone-number"),
        (good + "&StatusCallback=not-a-url", "uri"),
        (good + "&Unknown=1", "unknown parameter"),
        (good + "&ValidityPeriod=soon", "not a valid integer"),
    ]:
        with pytest.raises(ContractViolation, match=reason):
            check_form_request(MESSAGES, "post", form, bad)
    with pytest.raises(ContractViolation, match="not accepted"):
        check_form_request(MESSAGES, "post", "application/json", good)
