"""Every SMS test's replies go to a fake Twilio REST API (they are sent by the worker)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def settings_overrides(fake_twilio: Any) -> dict[str, Any]:
    return {"twilio_api_url": fake_twilio.url}
