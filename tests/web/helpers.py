"""Signing in to the web app as a browser does: through the form, CSRF token included."""

from __future__ import annotations

import re
from typing import Any

from tests.builders import BuiltAgent

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    found = CSRF_INPUT.search(html)
    assert found is not None, "the page has no CSRF field"
    return found.group(1)


def sign_in(client: Any, agent: BuiltAgent, *, password: str | None = None) -> Any:
    """Sign in through the form, as a browser would (CSRF token included)."""
    token = csrf_from(client.get("/sign-in").get_data(as_text=True))
    return client.post(
        "/sign-in",
        data={
            "csrf_token": token,
            "name": agent.name,
            "password": password or agent.sign_in_password,
        },
    )


def page_csrf(client: Any, path: str = "/queue") -> str:
    return csrf_from(client.get(path).get_data(as_text=True))
