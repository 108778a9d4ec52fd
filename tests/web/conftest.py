"""Fixtures for the agent web app: Google and Twilio answered by local fakes, no quiet
hours (so the queue works at any time of day), the app on a real loopback server, and
Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import GOOGLE_PROJECT, UNDER_CI
from tests.fakes.google_translate import FakeGoogleTranslate
from tests.fakes.server import ThreadedServer

PROJECT = GOOGLE_PROJECT
CHROMIUM = os.environ.get("HOTLINE_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "docs" / "screenshots"
ARTIFACTS = REPO / "test-artifacts" / "web"


@pytest.fixture
def settings_overrides(fake_translate: FakeGoogleTranslate, fake_twilio: Any) -> dict[str, Any]:
    return {
        "google_cloud_project": PROJECT,
        "google_translate_endpoint": fake_translate.url,
        "twilio_api_url": fake_twilio.url,
        "quiet_hours": "00:00-00:00",  # never quiet: tests run at any hour
    }


@pytest.fixture
def live_url(app: Any) -> Iterator[str]:
    """The app served over real HTTP on 127.0.0.1, for the browser."""
    server = ThreadedServer(app).start()
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's Chromium, never a downloaded browser. Missing: fail under CI, else skip."""
    if not os.access(CHROMIUM, os.X_OK):
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if UNDER_CI:
            pytest.fail(message + ": CI requires it", pytrace=False)
        pytest.skip(message)
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_context_args,
        "viewport": {"width": 1100, "height": 800},
        "locale": "en-GB",
        "timezone_id": "Asia/Tokyo",
    }


def save_screenshot(page: Any, name: str, *, full_page: bool = False) -> Path:
    """Keep a screenshot as a test artifact (test-artifacts/web/); with
    HOTLINE_UPDATE_SCREENSHOTS=1 also refresh the copy in docs/screenshots/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    data = page.screenshot(full_page=full_page, type="png")
    (ARTIFACTS / name).write_bytes(data)
    if os.environ.get("HOTLINE_UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        (SCREENSHOTS / name).write_bytes(data)
    return ARTIFACTS / name
