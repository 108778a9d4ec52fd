"""The browser fixtures of the web app tests (Debian's Chromium, the app on loopback)."""

from tests.web.conftest import (  # noqa: F401
    browser_context_args,
    browser_type_launch_args,
    live_url,
)
