"""Without Google Translate the review page says there is no back-translation, and shows
nothing that could be mistaken for one."""

from __future__ import annotations

from typing import Any

import pytest

from tests.review.helpers import reviewer, signed_in


@pytest.mark.slow
def test_no_back_translation_is_shown_without_google(
    client: Any, runtime: Any, settings: Any
) -> None:
    assert not settings.google_configured
    lan = reviewer(runtime, settings, "Lan", "vi")
    signed_in(client, lan)
    html = client.get("/review/vi").get_data(as_text=True)
    assert "no back-translation: Google Translate is not configured" in html
    assert "[en]" not in html
