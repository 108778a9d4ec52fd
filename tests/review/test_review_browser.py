"""A reviewer in a real browser (Debian's Chromium via Playwright): opens their language,
reads a text beside its English source and back-translation, and marks it reviewed."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import GOOGLE_PROJECT
from tests.review.helpers import reviewer
from tests.web.conftest import save_screenshot


@pytest.fixture
def settings_overrides(fake_translate: Any) -> dict[str, Any]:
    return {
        "google_cloud_project": GOOGLE_PROJECT,
        "google_translate_endpoint": fake_translate.url,
    }


@pytest.mark.slow
def test_a_reviewer_marks_a_prompt_reviewed_in_the_browser(
    page: Page, live_url: str, runtime: Any, settings: Any
) -> None:
    lan = reviewer(runtime, settings, "Lan", "vi")
    page.goto(f"{live_url}/review")
    page.get_by_label("Name").fill(lan.name)
    page.get_by_label("Password").fill(lan.sign_in_password)
    page.get_by_label("Password").press("Enter")
    expect(page).to_have_url(f"{live_url}/review")
    vi = page.locator("#coverage-vi td")
    expect(vi.nth(0)).to_have_text("0")
    page.get_by_role("link", name=re.compile(r"Tiếng Việt \(vi\)")).click()
    expect(page).to_have_url(f"{live_url}/review/vi")

    row = page.get_by_role("row", name="voice greeting")
    expect(row).to_contain_text("Welcome to the workers' hotline.")
    expect(row).to_contain_text("[en] Chào mừng bạn đến với đường dây nóng cho người lao động.")
    expect(row.locator(".status")).to_have_text("machine draft")
    row.get_by_role("button", name="Mark reviewed: voice greeting").click()

    expect(page).to_have_url(f"{live_url}/review/vi#voice-greeting")
    expect(page.get_by_role("status")).to_contain_text("greeting marked reviewed.")
    row = page.get_by_role("row", name="voice greeting")
    expect(row.locator(".status")).to_have_text("reviewed")
    expect(row).to_contain_text("Last: reviewed by Lan")
    save_screenshot(page, "review.png")

    page.goto(f"{live_url}/review")
    expect(page.locator("#coverage-vi td").nth(0)).to_have_text("1")
