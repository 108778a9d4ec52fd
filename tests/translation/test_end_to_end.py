"""From Twilio's webhook to translations an agent reads through the API."""

from __future__ import annotations

import pytest

from hotline import create_app
from hotline.runtime import Runtime
from hotline.sms.processor import process_due
from tests.builders import make_agent
from tests.fakes.google_translate import FakeGoogleTranslate
from tests.helpers import HOTLINE_NUMBER, WORKER_NUMBER, run_jobs, twilio_post

VIETNAMESE = "Tôi muốn nghỉ việc nhưng công ty giữ hộ chiếu của tôi."


@pytest.mark.slow
def test_signed_sms_in_vietnamese_reaches_agents_in_english_and_japanese(
    google_runtime: Runtime, fake_translate: FakeGoogleTranslate
) -> None:
    client = create_app(runtime=google_runtime).test_client()

    response = twilio_post(
        client,
        "/sms/incoming",
        {
            "MessageSid": "SM" + "7" * 32,
            "AccountSid": "AC" + "0123456789abcdef" * 2,
            "From": WORKER_NUMBER,
            "To": HOTLINE_NUMBER,
            "Body": VIETNAMESE,
            "NumMedia": "0",
        },
    )
    assert response.status_code == 200
    process_due(google_runtime)  # the worker: the stored text becomes a case and a message
    run_jobs(google_runtime)
    token = make_agent(
        google_runtime, name="Agent vi,en", languages="vi,en", phone=None, role="supervisor"
    ).token
    auth = {"Authorization": f"Bearer {token}"}
    (case,) = client.get("/api/cases", headers=auth).get_json()

    detail = client.get(f"/api/cases/{case['id']}", headers=auth).get_json()

    incoming = [m for m in detail["messages"] if m["direction"] == "in"]
    assert incoming[0]["text"] == VIETNAMESE
    by_language = {t["language"]: t for t in incoming[0]["translations"]}
    assert by_language["en"]["text"] == ("I want to quit but the company is keeping my passport.")
    assert by_language["ja"]["text"] == (
        "仕事を辞めたいのですが、会社が私のパスポートを持っています。"
    )
    assert {t["status"] for t in by_language.values()} == {"done"}
