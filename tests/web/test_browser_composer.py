"""The reply composer in a real browser: the adviser says which language they write in
(their interface language unless they choose another), the preview translates from it,
and text that does not look like it draws a warning. Lan speaks Vietnamese and English
and reads the app in English: her English reply to a Vietnamese worker is translated,
never sent as "no translation needed" under a Vietnamese label."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from hotline.sms.models import SmsMessage
from tests.builders import EN_REPLY, PASSWORD, VI_REPLY, make_agent, make_vietnamese_sms_case
from tests.web.conftest import save_screenshot
from tests.web.test_browser import sign_in_with_browser

pytestmark = pytest.mark.slow  # a real browser

WARNING = "This text does not look like Tiếng Việt (vi)"


def test_the_adviser_chooses_the_language_they_write_in_and_is_warned_on_a_mismatch(
    page: Page, live_url: str, runtime: Any
) -> None:
    info = make_vietnamese_sms_case(runtime)
    lan = make_agent(
        runtime, name="Lan", languages="vi,en", password=PASSWORD
    )  # interface language: English
    sign_in_with_browser(page, live_url, lan)
    page.goto(f"{live_url}/cases/{info.case_id}")

    writes_in = page.get_by_label("I write in")
    expect(writes_in).to_have_value("en")  # the interface language, not the first shared one
    page.get_by_label("Your message").fill(EN_REPLY)
    page.get_by_role("button", name="Preview translation").click()
    expect(page.locator("#preview-translation")).to_have_text(VI_REPLY)
    expect(page.locator("#preview-back")).to_have_text(EN_REPLY)
    expect(page.locator("#language-warning")).to_have_count(0)

    # Saying the English text is Vietnamese: no translation, and a warning.
    page.get_by_label("I write in").select_option("vi")
    page.get_by_label("Your message").fill(EN_REPLY)
    page.get_by_role("button", name="Preview translation").click()
    expect(page.locator("#language-warning")).to_contain_text(WARNING)
    expect(page.get_by_label("I write in")).to_have_value("vi")
    save_screenshot(page, "composer-warning.png", full_page=True)

    # Back to English, and send: the worker gets the Vietnamese translation.
    page.get_by_label("I write in").select_option("en")
    page.get_by_label("Your message").fill(EN_REPLY)
    page.get_by_role("button", name="Preview translation").click()
    expect(page.locator("#language-warning")).to_have_count(0)
    page.get_by_role("button", name="Send this SMS").click()
    expect(page.locator(".flash")).to_contain_text("SMS queued")
    with runtime.db.session() as s:
        sent = s.scalars(select(SmsMessage).where(SmsMessage.kind == "agent")).one()
        assert (sent.body, sent.language) == (VI_REPLY, "vi")


def test_vietnamese_written_as_vietnamese_needs_no_translation_and_no_warning(
    page: Page, live_url: str, runtime: Any
) -> None:
    info = make_vietnamese_sms_case(runtime)
    lan = make_agent(runtime, name="Lan", languages="vi,en", password=PASSWORD)
    sign_in_with_browser(page, live_url, lan)
    page.goto(f"{live_url}/cases/{info.case_id}")
    page.get_by_label("I write in").select_option("vi")
    page.get_by_label("Your message").fill(VI_REPLY)
    page.get_by_role("button", name="Preview translation").click()
    expect(page.locator("#reply-preview")).to_contain_text("no translation needed")
    expect(page.locator("#preview-translation")).to_have_text(VI_REPLY)
    expect(page.locator("#language-warning")).to_have_count(0)
