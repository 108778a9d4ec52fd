"""The honest not-configured states in a real browser, as `make run` starts the app:
no Twilio account and no Google project."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.builders import PASSWORD, make_agent, make_vietnamese_sms_case
from tests.helpers import run_jobs
from tests.voice.helpers import place_call
from tests.web.conftest import save_screenshot
from tests.web.test_browser import sign_in_with_browser

pytestmark = pytest.mark.slow  # a real browser


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"twilio_account_sid": None, "quiet_hours": "00:00-00:00"}


def test_voicemail_and_calls_say_what_is_true_without_twilio_or_google(
    page: Page, live_url: str, app: Any, runtime: Any
) -> None:
    info = make_vietnamese_sms_case(runtime)
    # The same worker (language known: no language question) leaves a voice message.
    place_call(app.test_client(), "3R6#")
    run_jobs(runtime)
    lan = make_agent(runtime, name="Lan", languages="vi,en", password=PASSWORD)
    sign_in_with_browser(page, live_url, lan)
    page.get_by_role("button", name="Claim next callback").click()
    expect(page).to_have_url(re.compile(rf"/cases/{info.case_id}#callback$"))

    voicemails = page.get_by_role("region", name="Voice messages")
    expect(voicemails).to_contain_text("Not transcribed: speech-to-text is not configured")
    expect(voicemails).not_to_contain_text("Transcription failed")
    expect(voicemails.locator("audio")).to_have_count(0)
    expect(voicemails).to_contain_text("calls are simulated on this machine")

    before_call = page.get_by_role("region", name="Before you call")
    expect(before_call).to_contain_text("Calls are simulated on this machine")
    before_call.get_by_role("button", name=re.compile("Call the worker")).click()
    expect(page.locator(".flash")).to_contain_text("simulated on this machine: no phone rings")
    expect(page.locator(".flash")).not_to_contain_text("Your phone will ring")
    run_jobs(runtime)
    page.reload()
    attempts = page.get_by_role("region", name="Callbacks").locator(".attempts")
    expect(attempts).to_contain_text("simulated on this machine: no phone rang")
    for raw in ("dial_requested", "calling_agent"):
        expect(attempts).not_to_contain_text(raw)
    save_screenshot(page, "case-not-configured.png", full_page=True)
