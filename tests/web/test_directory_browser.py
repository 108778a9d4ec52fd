"""The referral directory in a real browser: a supervisor filters by the worker's
language, sees the unverified mark, verifies an entry, and corrects one with the form."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from hotline.directory import service
from hotline.directory.models import Organisation
from tests.builders import PASSWORD, make_agent
from tests.web.conftest import save_screenshot
from tests.web.test_browser import sign_in_with_browser

pytestmark = pytest.mark.slow  # a real browser


def test_supervisor_filters_verifies_and_edits_the_directory(
    page: Page, live_url: str, runtime: Any
) -> None:
    with runtime.db.session() as session:
        service.seed(session)
    kenji = make_agent(
        runtime,
        name="Kenji",
        languages="ja,en",
        role="supervisor",
        ui_language="en",
        password=PASSWORD,
    )
    sign_in_with_browser(page, live_url, kenji)

    page.goto(f"{live_url}/directory")
    page.get_by_label("Language", exact=True).select_option("vi")
    page.get_by_label("Kind", exact=True).select_option("helpline")
    page.get_by_role("button", name="Filter", exact=True).click()
    expect(page).to_have_url(re.compile(r"language=vi"))
    table = page.locator("#directory")
    hotline_row = table.get_by_role("row", name=re.compile(r"MHLW Labour Conditions Hotline"))
    expect(hotline_row).to_have_count(1)  # only the Vietnamese line of the hotline
    expect(hotline_row).to_contain_text("0120-558-815")
    expect(hotline_row).to_contain_text("Mon–Fri 17:00–22:00; Sat and Sun 09:00–21:00")
    expect(hotline_row.locator(".badge.unverified")).to_have_text("Unverified")
    expect(table).not_to_contain_text("0120-662-700")  # the Burmese line
    save_screenshot(page, "directory.png", full_page=True)

    hotline_row.get_by_role("button", name="Mark verified").click()
    expect(page.locator(".flash")).to_contain_text("Marked as verified")
    expect(page).to_have_url(re.compile(r"language=vi&prefecture=&kind=helpline#org-\d+$"))
    verified_row = page.locator("#directory").get_by_role(
        "row", name=re.compile(r"MHLW Labour Conditions Hotline")
    )
    expect(verified_row.locator(".badge.verified")).to_contain_text("Verified")

    verified_row.get_by_role("link", name="Edit").click()
    page.get_by_label(re.compile(r"^Hours")).fill("mon-fri 17:00-22:00; sat 09:00-21:00")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash")).to_contain_text("It needs verifying again")
    with runtime.db.session() as session:
        org = session.query(Organisation).filter_by(seed_key="mhlw-labour-hotline-vi").one()
        assert org.hours == "mon-fri 17:00-22:00; sat 09:00-21:00"
        assert org.verified_at is None
