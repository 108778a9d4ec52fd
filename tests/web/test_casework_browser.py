"""An adviser carries a case in a real browser, in English and in Japanese: inbox, case,
internal note, referral by SMS, closure; the worker's STATUS then says closed."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from hotline.sms.segments import count_segments
from tests.builders import PASSWORD, make_agent, make_organisation
from tests.helpers import run_jobs
from tests.sms.helpers import expected, reply_of, text_in
from tests.web.conftest import save_screenshot

pytestmark = pytest.mark.slow  # a real browser

WORKER = "+819000000701"
VI_TEXT = "Chủ giữ hộ chiếu của tôi và không trả lương"
NOTE = "Worker is at a farm in Ibaraki; call after 18:00 only"

WORDS = {
    "en": {
        "name": "Name",
        "password": "Password",
        "inbox": "Inbox",
        "note_field": "New note",
        "add_note": "Add note",
        "refer": "Refer",
        "status": "Status",
        "outcome": "Outcome (to close)",
        "save": "Save status and topics",
        "closed": "closed",
        "topic": "Passport or residence card held",
        "new": "new",
    },
    "ja": {
        "name": "Name",
        "password": "Password",
        "inbox": "受信箱",
        "note_field": "新しいメモ",
        "add_note": "メモを追加",
        "refer": "紹介する",
        "status": "状態",
        "outcome": "結果（終了時）",
        "save": "状態と相談内容を保存",
        "closed": "closed",
        "topic": "パスポート・在留カードの取り上げ",
        "new": "未読",
    },
}


@pytest.mark.parametrize("ui", ["en", "ja"])
def test_inbox_case_note_referral_close_in_the_browser(
    page: Page, live_url: str, runtime: Any, client: Any, fake_twilio: Any, ui: str
) -> None:
    words = WORDS[ui]
    text_in(client, VI_TEXT, sender=WORKER)
    run_jobs(runtime)  # translated for the adviser
    org = make_organisation(
        runtime,
        known_as="OTIT",
        kind="otit",
        phone="0120-250-168",
        hours="mon-fri 11:00-19:00",
        languages=["vi"],
    )
    lan = make_agent(runtime, name="Lan", languages="vi,en", ui_language=ui, password=PASSWORD)

    page.goto(f"{live_url}/")
    page.get_by_label(words["name"]).fill(lan.name)
    page.get_by_label(words["password"]).fill(lan.sign_in_password)
    page.get_by_label(words["password"]).press("Enter")
    expect(page).to_have_url(f"{live_url}/inbox")
    nav = page.get_by_role("navigation")
    expect(nav.get_by_role("link", name=re.compile(words["inbox"]))).to_contain_text("1")
    row = page.locator("table.inbox tbody tr").first
    expect(row).to_contain_text(words["new"])
    expect(row).to_contain_text("Tiếng Việt")
    save_screenshot(page, f"inbox-{ui}.png", full_page=True)

    row.get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(r"/cases/\d+$"))
    reference = re.search(r"\d{7}", page.get_by_role("heading", level=1).inner_text())
    assert reference is not None

    page.get_by_label(words["note_field"]).fill(NOTE)
    page.get_by_role("button", name=words["add_note"]).click()
    expect(page.locator(".notes")).to_contain_text(NOTE)

    page.locator(f"#org-{org}").check()
    page.get_by_role("button", name=words["refer"], exact=True).click()
    expect(page.locator(".flash")).to_contain_text(re.compile("1"))
    run_jobs(runtime)
    [sms] = fake_twilio.sms_to(WORKER)[-1:]
    assert "0120-250-168" in sms["Body"] and count_segments(sms["Body"]).segments <= 3
    assert all(NOTE not in m["Body"] for m in fake_twilio.messages)  # notes stay inside

    page.get_by_label(words["status"], exact=True).select_option("closed")
    page.get_by_label(words["outcome"]).select_option("referred")
    page.get_by_label(words["topic"]).check()
    page.get_by_role("button", name=words["save"]).click()
    expect(page.locator("#history")).to_be_visible()
    save_screenshot(page, f"case-work-{ui}.png", full_page=True)

    answer = reply_of(text_in(client, f"STATUS {reference.group(0)}", sender=WORKER))
    assert answer == expected("vi", "status_closed", reference=reference.group(0))
    page.goto(f"{live_url}/inbox?status=closed")
    expect(page.locator("table.inbox")).to_contain_text(reference.group(0))
