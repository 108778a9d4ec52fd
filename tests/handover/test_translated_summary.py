"""With Google configured, the partner reads the adviser's summary machine-translated
into their language, labelled as such; a failed translation is never shown as one."""

from __future__ import annotations

from typing import Any

import pytest

from hotline.runtime import Runtime
from tests.builders import auth, make_agent, make_callback
from tests.conftest import GOOGLE_PROJECT
from tests.fakes.google_translate import FakeGoogleTranslate

SUMMARY = "I want to quit but the company is keeping my passport."
SUMMARY_JA = "仕事を辞めたいのですが、会社が私のパスポートを持っています。"


@pytest.fixture
def settings_overrides(fake_translate: FakeGoogleTranslate) -> dict[str, Any]:
    return {
        "google_cloud_project": GOOGLE_PROJECT,
        "google_translate_endpoint": fake_translate.url,
    }


@pytest.mark.slow
def test_the_partner_gets_a_machine_translation_of_the_summary(
    client: Any, runtime: Runtime, fake_translate: FakeGoogleTranslate
) -> None:
    _, case_id = make_callback(runtime, language="vi")
    token = make_agent(runtime, name="Lan", languages="en,vi").token
    client.put(f"/api/cases/{case_id}/summary", json={"text": SUMMARY}, headers=auth(token))
    answer = client.get(f"/api/cases/{case_id}/handover.json", headers=auth(token)).json
    assert answer["partner_language"] == "ja"
    assert answer["summary"]["language"] == "en"
    assert answer["summary_translation"] == {
        "language": "ja",
        "status": "done",
        "label": "machine translation",
        "text": SUMMARY_JA,
    }


def test_a_failed_translation_is_shown_as_failed_not_as_text(
    client: Any, runtime: Runtime, fake_translate: FakeGoogleTranslate
) -> None:
    _, case_id = make_callback(runtime, language="vi")
    token = make_agent(runtime, name="Lan", languages="en,vi").token
    client.put(f"/api/cases/{case_id}/summary", json={"text": SUMMARY}, headers=auth(token))
    fake_translate.fail(503, times=10)
    answer = client.get(
        f"/api/cases/{case_id}/handover.json", query_string={"language": "vi"}, headers=auth(token)
    )
    assert answer.status_code == 200
    assert answer.json["summary_translation"]["status"] == "failed"
    assert answer.json["summary_translation"]["text"] is None
