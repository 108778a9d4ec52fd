"""Live hand-off in a real browser: a Vietnamese caller presses 1 and the signed-in
Vietnamese adviser's page shows it without a reload and takes it with one click; the
supervisors' floor view then shows the adviser on the call, and no worker's data."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from hotline.agents.models import Agent
from tests.builders import PASSWORD, TOKYO, VI_COMPLAINT, make_agent, make_vietnamese_sms_case
from tests.helpers import WORKER_NUMBER
from tests.voice.live_caller import LiveCaller
from tests.web.conftest import save_screenshot
from tests.web.test_browser import sign_in_with_browser

pytestmark = pytest.mark.slow  # a real browser

LAN_PHONE = "+819000000150"  # made up


def hours_around_now() -> str:
    """Opening hours from an hour ago to an hour ahead: the hotline is open whenever
    the test runs (within_hours spans midnight)."""
    now = dt.datetime.now(TOKYO)
    before, after = now - dt.timedelta(hours=1), now + dt.timedelta(hours=1)
    return f"{before:%H}:00-{after:%H}:59"


@pytest.fixture
def settings_overrides(settings_overrides: dict[str, Any]) -> dict[str, Any]:
    return {**settings_overrides, "opening_hours": hours_around_now()}


def available(runtime: Any, agent_id: int) -> bool:
    with runtime.db.session() as session:
        return bool(session.scalars(select(Agent.available).where(Agent.id == agent_id)).one())


def test_a_vietnamese_caller_is_noticed_without_reload_taken_in_one_click_and_seen_on_the_floor(
    page: Page, browser: Browser, live_url: str, client: Any, runtime: Any, fake_twilio: Any
) -> None:
    make_vietnamese_sms_case(runtime)  # a worker's text exists; the floor must not show it
    lan = make_agent(runtime, name="Lan", languages="vi,en", phone=LAN_PHONE, password=PASSWORD)
    sato = make_agent(
        runtime, name="Sato", languages="en,ja", role="supervisor", phone=None, password=PASSWORD
    )

    sign_in_with_browser(page, live_url, lan)
    panel = page.get_by_role("region", name="Callers waiting now")
    expect(panel).to_contain_text("No live caller is waiting.")
    page.get_by_role("button", name="Make me available").click()
    expect(panel).to_contain_text("You are available")
    page.evaluate("window.hotlineNotReloaded = true")

    caller = LiveCaller(client)
    caller.press_one("84")  # Tiếng Việt, then 1: talk to an adviser now

    row = panel.locator("tr[data-language='vi']")
    expect(row).to_be_visible(timeout=3000)
    expect(row).to_contain_text("Tiếng Việt (vi)")
    expect(panel.get_by_role("alert")).to_have_text(re.compile("waiting in your language"))
    assert page.evaluate("window.hotlineNotReloaded") is True
    save_screenshot(page, "live-waiting.png")

    row.get_by_role("button", name="Take this caller").click()
    expect(page.locator(".flash").first).to_contain_text("Your phone will ring")
    [ring] = [c for c in fake_twilio.calls if c["To"] == LAN_PHONE]
    assert "/voice/live/agent?lang=vi" in ring["Url"]
    caller.leave_queue("bridged")

    supervisor = browser.new_context(
        viewport={"width": 1100, "height": 800}, locale="en-GB", timezone_id="Asia/Tokyo"
    ).new_page()
    sign_in_with_browser(supervisor, live_url, sato)
    supervisor.get_by_role("link", name="Floor").click()
    advisers = supervisor.get_by_role("region", name="Advisers")
    lan_row = advisers.get_by_role("row", name=re.compile("^Lan "))
    expect(lan_row).to_contain_text("on a call")
    expect(lan_row).to_contain_text(re.compile(r"live call in Tiếng Việt \(vi\) for \d+ min"))
    content = supervisor.content()
    for secret in (WORKER_NUMBER, WORKER_NUMBER[-4:], LAN_PHONE[-4:], VI_COMPLAINT):
        assert secret not in content
    save_screenshot(supervisor, "floor.png", full_page=True)
    supervisor.context.close()

    # Signing out turns availability off: nobody is promised to an empty chair.
    assert available(runtime, lan.id)
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile("/sign-in"))
    assert not available(runtime, lan.id)
