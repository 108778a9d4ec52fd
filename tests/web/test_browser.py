"""The agent web app in a real browser: Debian's Chromium driven by Playwright against
the app served on 127.0.0.1, with the language pipeline and Twilio at local fakes."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from hotline.agents.models import Agent
from hotline.callbacks.models import CallbackRequest
from hotline.callbacks.queue import claim_next
from hotline.callbacks.service import record_outcome
from hotline.sms.models import SmsMessage
from tests.builders import (
    EN_COMPLAINT,
    EN_REPLY,
    PASSWORD,
    VI_COMPLAINT,
    VI_REPLY,
    BuiltAgent,
    make_agent,
    make_vietnamese_sms_case,
)
from tests.helpers import WORKER_NUMBER, run_jobs
from tests.web.conftest import save_screenshot

pytestmark = pytest.mark.slow  # a real browser


def sign_in_with_browser(page: Page, base: str, agent: BuiltAgent) -> None:
    page.goto(f"{base}/queue")
    expect(page).to_have_url(re.compile(r"/sign-in\?next=/queue$"))
    page.get_by_label("Name").fill(agent.name)
    page.get_by_label("Password").fill(agent.sign_in_password)
    page.get_by_label("Password").press("Enter")  # keyboard only
    expect(page).to_have_url(f"{base}/queue")


def test_agent_signs_in_claims_reads_a_vietnamese_sms_replies_with_preview_and_records_outcome(
    page: Page, live_url: str, runtime: Any, fake_twilio: Any
) -> None:
    info = make_vietnamese_sms_case(runtime)
    lan = make_agent(runtime, name="Lan", languages="en,vi", password=PASSWORD)

    sign_in_with_browser(page, live_url, lan)
    languages = page.get_by_role("region", name="Waiting per language")
    expect(languages.get_by_role("row", name=re.compile(r"Tiếng Việt \(vi\)"))).to_contain_text("1")
    save_screenshot(page, "queue.png")

    page.get_by_role("button", name="Claim next callback").click()
    expect(page).to_have_url(re.compile(rf"/cases/{info.case_id}#callback$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(info.reference)

    # The worker's discretion choices come before the call button; the number is masked.
    before_call = page.get_by_role("region", name="Before you call")
    expect(before_call).to_contain_text("do NOT say this is the hotline")
    expect(before_call.get_by_role("button", name=re.compile("Call the worker"))).to_be_visible()
    expect(page.locator(".masked")).to_have_text(re.compile(r"^\+84 •••• ••|\+81 •••• ••01$"))
    assert WORKER_NUMBER not in page.content()

    # The Vietnamese original and the pipeline's English translation, side by side.
    message = page.locator(f"#message-{info.message_id}")
    expect(message.locator(".original")).to_contain_text(VI_COMPLAINT)
    expect(message.locator(".translations")).to_contain_text(EN_COMPLAINT)
    expect(message.locator(".translations")).to_contain_text("machine translation")

    # Reply: type in English, preview the Vietnamese and its back-translation, send.
    page.get_by_label("Your message").fill(EN_REPLY)
    page.get_by_role("button", name="Preview translation").click()
    expect(page.locator("#preview-translation")).to_have_text(VI_REPLY)
    expect(page.locator("#preview-back")).to_have_text(EN_REPLY)
    expect(page.locator("#preview-segments")).to_have_text("1 SMS segment(s)")
    save_screenshot(page, "case.png", full_page=True)
    page.get_by_role("button", name="Send this SMS").click()
    expect(page.locator(".flash")).to_contain_text("SMS queued (1 segment(s))")
    with runtime.db.session() as s:
        sent = s.scalars(select(SmsMessage).where(SmsMessage.kind == "agent")).one()
        assert (sent.body, sent.language, sent.agent_id) == (VI_REPLY, "vi", lan.id)
    expect(page.locator(f"#message-{sent.id}")).to_contain_text(VI_REPLY)
    run_jobs(runtime)
    assert [m["Body"] for m in fake_twilio.sms_to(WORKER_NUMBER)] == [VI_REPLY]

    # Call (rings the agent's phone through the callbacks service), then the outcome.
    page.get_by_role("button", name=re.compile("Call the worker")).click()
    expect(page.locator(".flash")).to_contain_text("Your phone will ring")
    page.get_by_label("Outcome", exact=True).select_option("reached")
    page.get_by_label("Note (optional)").fill("Advised on unpaid wages; will visit Monday.")
    page.get_by_role("button", name="Record outcome").click()
    expect(page.locator(".flash")).to_contain_text("Outcome recorded: Reached")
    expect(page.get_by_role("region", name="Callbacks")).to_contain_text("Advised on unpaid wages")
    with runtime.db.session() as s:
        callback = s.get(CallbackRequest, info.callback_id)
        assert callback is not None
        assert (callback.status, callback.outcome) == ("closed", "reached")

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/sign-in$"))
    page.goto(f"{live_url}/cases/{info.case_id}")
    expect(page).to_have_url(re.compile(r"/sign-in\?next="))


def test_a_second_agent_without_vietnamese_cannot_open_the_vietnamese_case(
    page: Page, live_url: str, runtime: Any
) -> None:
    info = make_vietnamese_sms_case(runtime)
    dara = make_agent(
        runtime, name="Dara", languages="km,en", phone="+819000000151", password=PASSWORD
    )
    sign_in_with_browser(page, live_url, dara)
    expect(page.get_by_role("region", name="Waiting per language")).not_to_contain_text(
        "Tiếng Việt"
    )
    response = page.goto(f"{live_url}/cases/{info.case_id}")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Error 404")
    assert VI_COMPLAINT not in page.content()


def test_supervisor_dashboard_shows_backlog_outcomes_and_translation_cost(
    page: Page, live_url: str, runtime: Any
) -> None:
    make_vietnamese_sms_case(runtime)
    make_vietnamese_sms_case(
        runtime,
        text="Tôi muốn nghỉ việc nhưng công ty giữ hộ chiếu của tôi.",
        number="+819000000002",
    )
    boss = make_agent(
        runtime,
        name="Kenji",
        languages="en,ja",
        role="supervisor",
        phone="+819000000152",
        password=PASSWORD,
    )
    # Two callbacks worked today through the callbacks service: one reached, one not.
    lan = make_agent(runtime, name="Lan", languages="vi,en", password=PASSWORD)
    for outcome in ("reached", "no_answer"):
        with runtime.db.session() as s:
            agent = s.get(Agent, lan.id)
            assert agent is not None
            callback = claim_next(s, agent, quiet_hours=runtime.settings.quiet_hours)
            assert callback is not None
            record_outcome(s, runtime.settings, callback=callback, agent=agent, outcome=outcome)
    sign_in_with_browser(page, live_url, boss)
    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Supervisor dashboard")
    backlog = page.get_by_role("region", name="Backlog per language")
    expect(backlog.get_by_role("img", name=re.compile("Bar chart"))).to_be_visible()
    expect(backlog.get_by_role("row", name=re.compile(r"Tiếng Việt"))).to_contain_text("1")
    expect(page.locator("#tile-waiting")).to_have_text("1")  # the missed one, retried later
    expect(page.locator("#tile-done-today")).to_have_text("2")
    expect(page.locator("#tile-reached-today")).to_have_text("50%")
    outcomes = page.get_by_role("region", name="Callback outcomes, last 7 days")
    expect(outcomes.get_by_role("img", name=re.compile("Column chart"))).to_be_visible()
    # Two texts, each translated into English and Japanese by the fake Google.
    expect(page.locator("#tile-characters")).not_to_have_text("0")
    save_screenshot(page, "dashboard.png", full_page=True)
