"""Sign-in limits: keyed by name and address together with a growing delay, so nobody
can lock an adviser out from elsewhere; the address comes through the configured
number of trusted proxies and never from a header a client wrote itself."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from hotline.config import ConfigError, load_settings
from hotline.web.security import (
    FREE_FAILURES,
    MAX_DELAY,
    MAX_FAILURES_PER_ADDRESS,
    delay_after,
)
from tests.builders import PASSWORD, BuiltAgent, make_agent
from tests.web.helpers import csrf_from

START = dt.datetime(2030, 1, 15, 1, 0, tzinfo=dt.UTC)
WRONG = "not the password at all"
BEHIND_ONE_PROXY = pytest.mark.parametrize("settings_overrides", [{"trusted_proxies": 1}])


def attempt(client: Any, agent: BuiltAgent, password: str, address: str | None = None) -> Any:
    """A sign-in from `address` as the proxy reports it in X-Forwarded-For."""
    headers = {"X-Forwarded-For": address} if address else {}
    token = csrf_from(client.get("/sign-in", headers=headers).get_data(as_text=True))
    return client.post(
        "/sign-in",
        data={"csrf_token": token, "name": agent.name, "password": password},
        headers=headers,
    )


def at(seconds: float) -> Any:
    return time_machine.travel(START + dt.timedelta(seconds=seconds), tick=False)


def test_the_delay_doubles_with_each_failure_up_to_a_ceiling() -> None:
    assert [delay_after(n).total_seconds() for n in range(FREE_FAILURES + 4)] == [
        *([0.0] * FREE_FAILURES),
        1.0,
        2.0,
        4.0,
        8.0,
    ]
    assert delay_after(10_000) == MAX_DELAY


@pytest.mark.slow
@BEHIND_ONE_PROXY
def test_wrong_passwords_from_elsewhere_do_not_lock_the_adviser_out(
    client: Any, runtime: Any
) -> None:
    lan = make_agent(runtime, name="Lan", languages="vi,en", password=PASSWORD)
    with at(0):
        for _ in range(FREE_FAILURES + 3):
            attempt(client, lan, WRONG, "203.0.113.7")
        assert attempt(client, lan, lan.sign_in_password, "203.0.113.7").status_code == 429
        # Lan, at her own desk, signs in at once.
        assert attempt(client, lan, lan.sign_in_password, "198.51.100.20").status_code == 302


@pytest.mark.slow
@BEHIND_ONE_PROXY
def test_each_failure_beyond_the_free_ones_doubles_the_wait(client: Any, runtime: Any) -> None:
    lan = make_agent(runtime, name="Lan", languages="vi,en", password=PASSWORD)
    here = "203.0.113.7"
    with at(0):
        for _ in range(FREE_FAILURES):
            assert attempt(client, lan, WRONG, here).status_code == 401
        limited = attempt(client, lan, lan.sign_in_password, here)
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "1"
    with at(1):
        assert attempt(client, lan, WRONG, here).status_code == 401  # checked again
    with at(2.5):
        limited = attempt(client, lan, lan.sign_in_password, here)
        assert limited.status_code == 429
        assert limited.headers["Retry-After"] == "1"  # 2 s after the last failure
    with at(3):
        assert attempt(client, lan, lan.sign_in_password, here).status_code == 302


@BEHIND_ONE_PROXY
@pytest.mark.slow
def test_one_address_guessing_many_names_is_stopped(client: Any, runtime: Any) -> None:
    agents = [
        make_agent(runtime, name=f"Agent {i}", languages="vi", password=PASSWORD)
        for i in range(MAX_FAILURES_PER_ADDRESS)
    ]
    lan = make_agent(runtime, name="Lan", languages="vi,en", password=PASSWORD)
    with at(0):
        for agent in agents:
            assert attempt(client, agent, WRONG, "203.0.113.7").status_code == 401
        assert attempt(client, lan, lan.sign_in_password, "203.0.113.7").status_code == 429
        assert attempt(client, lan, lan.sign_in_password, "198.51.100.20").status_code == 302


@pytest.mark.slow
def test_without_trusted_proxies_a_forwarded_address_is_ignored(client: Any, runtime: Any) -> None:
    lan = make_agent(runtime, name="Lan", languages="vi,en", password=PASSWORD)
    with at(0):
        for i in range(FREE_FAILURES):
            attempt(client, lan, WRONG, f"203.0.113.{i}")  # a fresh address each time
        assert attempt(client, lan, lan.sign_in_password, "198.51.100.99").status_code == 429


def test_trusted_proxies_is_read_and_checked_from_the_environment(tmp_path: Any) -> None:
    base = {"HOTLINE_INSTANCE_PATH": str(tmp_path), "HOTLINE_SECRET_KEY": "k" * 32}
    assert load_settings(base).trusted_proxies == 0
    assert load_settings({**base, "HOTLINE_TRUSTED_PROXIES": "2"}).trusted_proxies == 2
    for bad in ("-1", "two", "99"):
        with pytest.raises(ConfigError, match="HOTLINE_TRUSTED_PROXIES"):
            load_settings({**base, "HOTLINE_TRUSTED_PROXIES": bad})
