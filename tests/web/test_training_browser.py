"""A trainee works a seeded case to closure in Chromium, in their training space, while
the real inbox (page and API), the reports and the fake Twilio and Google endpoints see
nothing of it. The real app here has Twilio and Google configured (the local fakes):
the space must reach neither."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from hotline.cases.models import Case
from hotline.training import space as spaces
from hotline.training.samples import load_samples
from tests.builders import auth, make_agent
from tests.training.helpers import PASSWORD, SLUG, SPACE, case_ids, seed, sign_in
from tests.web.conftest import save_screenshot

WAGES_PHONE = "+819000009101"
NOTE = "Practice note: ask for the pay slips"


@pytest.mark.slow
def test_a_trainee_works_a_seeded_case_to_closure_and_nothing_real_sees_it(
    page: Page,
    live_url: str,
    settings: Any,
    runtime: Any,
    client: Any,
    fake_twilio: Any,
    fake_translate: Any,
) -> None:
    seed(settings)  # SQLite: the space is a file in this test's instance folder
    reply = load_samples().replies[0]

    page.goto(f"{live_url}{SPACE}/")
    expect(page.locator(".training-banner")).to_contain_text("TRAINING — not real workers")
    page.get_by_label("Name").fill(SLUG)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    expect(page).to_have_url(f"{live_url}{SPACE}/inbox")
    expect(page.locator(".training-banner")).to_contain_text("TRAINING — not real workers")
    expect(page.locator("table.inbox tbody tr")).to_have_count(4)

    page.locator("table.inbox tbody tr", has_text="Tiếng Việt").get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(rf"{SPACE}/cases/\d+$"))
    case_id = int(page.url.rsplit("/", 1)[1])
    expect(page.locator("body")).to_contain_text("The company has not paid my wages")

    # Reply: the stored sample translation, never Google.
    page.locator("#reply-language").select_option("en")
    page.locator("#reply-text").fill(reply["text"])
    page.locator("#preview-button").click()
    expect(page.locator("#preview-translation")).to_have_text(reply["translations"]["vi"])
    page.locator("#send-button").click()
    expect(page.locator(".flash").first).to_be_visible()

    page.get_by_label("New note").fill(NOTE)
    page.get_by_role("button", name="Add note").click()
    expect(page.locator(".notes")).to_contain_text(NOTE)

    page.locator("input[name=organisations]").first.check()
    page.get_by_role("button", name="Refer", exact=True).click()
    expect(page.locator(".flash").first).to_contain_text(re.compile("1"))

    page.get_by_label("Status", exact=True).select_option("closed")
    page.get_by_label("Outcome (to close)").select_option("referred")
    page.get_by_role("button", name="Save status and topics").click()
    expect(page.locator("#history")).to_be_visible()
    save_screenshot(page, "training-case.png", full_page=True)

    # The worker's phone, in the simulator: the reply in Vietnamese, and the referral.
    page.goto(f"{live_url}{SPACE}/simulator?phone={WAGES_PHONE}")
    screen = page.locator("#sim-phone-screen")
    expect(screen).to_contain_text(reply["translations"]["vi"])
    expect(screen.locator(".bubble.theirs")).to_have_count(2)  # the reply and the referral
    for key in ("8", "4", "#"):
        page.locator(f".keypad .key[data-key='{key}']").click()
    expect(page.locator("#sim-keys")).to_have_value("84#")
    page.get_by_role("button", name="Call", exact=True).click()
    expect(page.locator("#sim-heard")).to_contain_text("bấm 1")
    save_screenshot(page, "training-simulator.png", full_page=True)

    rt = spaces.open_runtime(settings, SLUG)
    try:
        with rt.db.session() as session:
            case = session.get(Case, case_id)
            assert case is not None and case.status == "closed" and case.outcome == "referred"
    finally:
        rt.close()

    # Nothing reached Twilio or Google, and the real hotline has no case at all.
    assert fake_twilio.messages == [] and fake_twilio.calls == []
    assert fake_twilio.requests == []
    assert fake_translate.requests == []
    with runtime.db.session() as session:
        assert session.scalars(select(Case)).all() == []
    token = make_agent(runtime, name="Lan", languages="vi,id,fil,ne,en").token
    assert client.get("/api/cases", headers=auth(token)).get_json() == []
    lan = make_agent(runtime, name="Lan web", languages="vi,id,fil,ne,en", password=PASSWORD)
    sign_in(client, "", lan.name, lan.sign_in_password)
    assert case_ids(client.get("/inbox").get_data(as_text=True), "") == set()
    boss_token = make_agent(runtime, name="Kenji", role="supervisor").token
    report = client.get("/api/reports/cases.csv", headers=auth(boss_token))
    assert report.status_code == 200
    assert len(report.get_data(as_text=True).strip().splitlines()) == 1  # the header only
