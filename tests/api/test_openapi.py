"""The OpenAPI document at /api/openapi.json is valid and describes what the API answers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from openapi_spec_validator import validate

from hotline import create_app
from hotline.cases.models import Case
from hotline.runtime import Runtime
from hotline.sms.models import SmsMessage
from hotline.translation.models import Translation
from tests.api.openapi_check import check_response
from tests.builders import auth, make_agent, make_callback, tokyo, worker_number

MORNING = tokyo(2030, 1, 15, 10)


@pytest.fixture
def phone_client(twilio_runtime: Runtime) -> Iterator[Any]:
    app = create_app(runtime=twilio_runtime)
    app.testing = True
    yield app.test_client()


def test_the_document_is_valid_openapi_and_needs_no_token(client: Any) -> None:
    answer = client.get("/api/openapi.json")
    assert answer.status_code == 200
    validate(answer.json)
    assert answer.json["openapi"].startswith("3.")
    for path in (
        "/api/queue",
        "/api/queue/claim",
        "/api/cases",
        "/api/cases/{case_id}",
        "/api/cases/{case_id}/reply",
        "/api/callbacks/{callback_id}/dial",
        "/api/callbacks/{callback_id}/outcome",
    ):
        assert path in answer.json["paths"]


@pytest.mark.slow
def test_every_answer_of_a_working_session_matches_the_document(
    phone_client: Any, twilio_runtime: Runtime
) -> None:
    client = phone_client
    document = client.get("/api/openapi.json").json
    runtime = twilio_runtime
    callback_id, case_id = make_callback(runtime, phone=worker_number(1), language="vi")
    premium_id, _ = make_callback(runtime, phone="+81990123456", language="vi")
    khmer_id, khmer_case = make_callback(runtime, phone=worker_number(3), language="km")
    token = make_agent(runtime, languages="vi,en").token
    with runtime.db.session() as session:
        case = session.get(Case, case_id)
        assert case is not None
        sms = SmsMessage(
            direction="in",
            caller_id=case.caller_id,
            case_id=case_id,
            body="Xin chào",
            language="vi",
            status="received",
        )
        session.add(sms)
        session.flush()
        session.add(
            Translation(
                source_kind="sms",
                source_id=sms.id,
                source_language="vi",
                target_language="en",
                status="done",
                text="Hello",
            )
        )
    headers = auth(token)

    def check(method: str, path: str, url: str, **kwargs: Any) -> Any:
        response = client.open(url, method=method, headers=kwargs.pop("headers", headers), **kwargs)
        check_response(document, method, path, response)
        return response

    with time_machine.travel(MORNING, tick=False):
        check("GET", "/api/agents/me", "/api/agents/me")
        check("GET", "/api/agents/me", "/api/agents/me", headers={})
        check(
            "POST",
            "/api/agents/me/availability",
            "/api/agents/me/availability",
            json={"available": "yes"},
        )
        check(
            "POST",
            "/api/agents/me/availability",
            "/api/agents/me/availability",
            data="{",
            content_type="application/json",
        )
        check("POST", "/api/live/next", "/api/live/next", json={})
        check(
            "POST",
            "/api/agents/me/availability",
            "/api/agents/me/availability",
            json={"available": True},
        )
        live = check("POST", "/api/live/next", "/api/live/next", json={"language": "vi"})
        assert live.status_code == 200
        check("GET", "/api/queue", "/api/queue")
        check("GET", "/api/cases", "/api/cases")
        seen = check("GET", "/api/cases/{case_id}", f"/api/cases/{case_id}")
        assert seen.json["messages"][0]["translations"][0]["text"] == "Hello"
        check("GET", "/api/cases/{case_id}", f"/api/cases/{khmer_case}")
        check("POST", "/api/callbacks/{callback_id}/dial", f"/api/callbacks/{callback_id}/dial")
        check("POST", "/api/callbacks/{callback_id}/dial", f"/api/callbacks/{khmer_id}/dial")
        first = check("POST", "/api/queue/claim", "/api/queue/claim")
        assert first.json["id"] == callback_id
        check("POST", "/api/callbacks/{callback_id}/dial", f"/api/callbacks/{callback_id}/dial")
        check("POST", "/api/callbacks/{callback_id}/dial", f"/api/callbacks/{callback_id}/dial")
        check(
            "POST",
            "/api/callbacks/{callback_id}/outcome",
            f"/api/callbacks/{callback_id}/outcome",
            json={"outcome": "later"},
        )
        check(
            "POST",
            "/api/callbacks/{callback_id}/outcome",
            f"/api/callbacks/{callback_id}/outcome",
            json={"outcome": "no_answer", "note": "x"},
        )
        second = check("POST", "/api/queue/claim", "/api/queue/claim")
        assert second.json["id"] == premium_id
        refused = check(
            "POST", "/api/callbacks/{callback_id}/dial", f"/api/callbacks/{premium_id}/dial"
        )
        assert refused.status_code == 422
        check(
            "POST",
            "/api/callbacks/{callback_id}/outcome",
            f"/api/callbacks/{premium_id}/outcome",
            json={"outcome": "wrong_number"},
        )
        nothing = check("POST", "/api/queue/claim", "/api/queue/claim")
        assert nothing.status_code == 204
        reply = check(
            "POST",
            "/api/cases/{case_id}/reply",
            f"/api/cases/{case_id}/reply",
            json={"text": "Chúng tôi sẽ gọi lại"},
        )
        assert reply.status_code == 200
        check(
            "POST", "/api/cases/{case_id}/reply", f"/api/cases/{case_id}/reply", json={"text": None}
        )
        check("GET", "/api/cases/{case_id}", f"/api/cases/{case_id}")
