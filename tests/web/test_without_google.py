"""Without Google configured the app says so: nothing is shown as a translation that is
not one, and a reply goes out as the agent wrote it, labelled untranslated."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from hotline.sms.models import SmsMessage
from tests.builders import EN_REPLY, PASSWORD, VI_COMPLAINT, make_agent, make_vietnamese_sms_case
from tests.web.helpers import page_csrf, sign_in


@pytest.fixture
def settings_overrides(fake_twilio: Any) -> dict[str, Any]:
    return {"twilio_api_url": fake_twilio.url, "quiet_hours": "00:00-00:00"}


@pytest.mark.slow
def test_untranslated_texts_are_marked_and_replies_preview_as_written(
    client: Any, runtime: Any
) -> None:
    info = make_vietnamese_sms_case(runtime)
    lan = make_agent(runtime, name="Lan", languages="en,vi", password=PASSWORD)
    sign_in(client, lan)
    html = client.get(f"/cases/{info.case_id}").get_data(as_text=True)
    assert VI_COMPLAINT in html
    assert "not translated" in html
    assert "machine translation" not in html

    token = page_csrf(client, f"/cases/{info.case_id}")
    preview = client.post(
        f"/cases/{info.case_id}/reply", data={"csrf_token": token, "text": EN_REPLY}
    ).get_data(as_text=True)
    assert "Not translated: the text will be sent as you wrote it." in preview
    assert re.search(r'id="preview-translation"[^>]*>' + re.escape(EN_REPLY) + "</p>", preview)
    assert "No back-translation available." in preview

    sent = client.post(
        f"/cases/{info.case_id}/reply",
        data={"csrf_token": token, "text": EN_REPLY, "action": "send"},
    )
    assert sent.status_code == 302
    with runtime.db.session() as s:
        message = s.scalars(select(SmsMessage).where(SmsMessage.kind == "agent")).one()
    assert message.body == EN_REPLY
