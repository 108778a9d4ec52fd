"""`hotline simulate call|sms` against the running server, as DESIGN.md's CLI promises."""

from __future__ import annotations

import pytest

from tests.acceptance.outsider import Deployment, looks_vietnamese

pytestmark = pytest.mark.slow  # starts the deployment's servers


def test_simulate_call_with_84_hash_reaches_the_vietnamese_menu(hotline: Deployment) -> None:
    done = hotline.cli(
        "simulate", "call", "--url", hotline.base_url, "--from", "+819000008001", "--digits", "84#"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert looks_vietnamese(done.stdout), done.stdout


def test_simulate_sms_help_prints_the_reply(hotline: Deployment) -> None:
    done = hotline.cli(
        "simulate", "sms", "--url", hotline.base_url, "--from", "+819000008101", "HELP"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "200" in done.stdout
    assert "helpline" in done.stdout.lower() or "hotline" in done.stdout.lower(), done.stdout
