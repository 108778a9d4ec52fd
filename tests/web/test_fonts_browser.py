"""Every script of the 22 languages is drawn with real glyphs in the agent web app.

Khmer and Burmese once showed as empty boxes. The browser reports, per element, which
installed fonts drew its text (Chrome DevTools' CSS.getPlatformFontsForNode): each script's
text must come from its Noto family (web.css names one per script; Debian's fonts-noto-core
and fonts-noto-cjk, from scripts/install-system-deps). A letter no font has is drawn as an
empty box by the first font of the list, which the control below shows the check catches.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from hotline.languages import LANGUAGES
from tests.builders import PASSWORD, make_agent
from tests.web.conftest import save_screenshot
from tests.web.test_browser import sign_in_with_browser

pytestmark = pytest.mark.slow  # a real browser

# Languages in a script of their own -> the family that must draw their native name.
SCRIPT_FONTS = {
    "km": "Noto Sans Khmer",
    "my": "Noto Sans Myanmar",
    "ne": "Noto Sans Devanagari",
    "hi": "Noto Sans Devanagari",
    "si": "Noto Sans Sinhala",
    "bn": "Noto Sans Bengali",
    "th": "Noto Sans Thai",
    "ur": "Noto Naskh Arabic",
    "ja": "Noto Sans CJK JP",
    "zh": "Noto Sans CJK SC",
    "ko": "Noto Sans CJK KR",
}


def _fonts_drawing(page: Page, selector: str) -> dict[str, int]:
    """Font family -> number of glyphs it drew for the element's text."""
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    finally:
        cdp.detach()
    return {font["familyName"]: int(font["glyphCount"]) for font in fonts}


def test_khmer_burmese_and_every_other_script_are_drawn_by_their_noto_fonts(
    page: Page, live_url: str, runtime: Any
) -> None:
    lead = make_agent(
        runtime,
        name="Lead",
        languages="ja,en",
        role="supervisor",
        ui_language="en",
        password=PASSWORD,
    )
    sign_in_with_browser(page, live_url, lead)
    page.goto(f"{live_url}/posters")
    wrong = {}
    for code, family in SCRIPT_FONTS.items():
        selector = f'#poster-languages span[lang="{code}"]'
        expect(page.locator(selector)).to_have_text(LANGUAGES[code].native_name)
        drawn = _fonts_drawing(page, selector)
        if set(drawn) != {family}:
            wrong[code] = drawn
    assert wrong == {}, f"drawn by other fonts than their script's Noto family: {wrong}"
    save_screenshot(page, "posters.png", full_page=True)

    # The control: letters no installed font has (private use) are empty boxes, and the
    # check above sees them drawn by the first font of the list, not by a script's font.
    page.evaluate(
        """() => { const s = document.createElement('span');
                   s.id = 'tofu'; s.textContent = '\\ue000\\ue001';
                   document.querySelector('main').appendChild(s); }"""
    )
    tofu = _fonts_drawing(page, "#tofu")
    # Chromium reports the fallback font it drew the boxes with, or none at all,
    # depending on the fonts installed; either way no script's font, so the check above,
    # which wants exactly the script's family, would flag it.
    assert not set(tofu) & set(SCRIPT_FONTS.values()), tofu
