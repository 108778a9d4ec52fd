"""`hotline simulate call` as a new user drives it: a fresh caller on every call unless
--from is given, the text beside every recorded prompt, and what the call created."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner

from hotline.cli import main
from hotline.voice.scripts import get_scripts
from tests.fakes.server import ThreadedServer
from tests.helpers import AUTH_TOKEN, PUBLIC_URL


@pytest.fixture
def hotline_url(app: Any, runtime: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The app on a loopback port; the CLI configured as its operator's terminal."""
    settings = runtime.settings
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    monkeypatch.setenv("HOTLINE_PUBLIC_URL", PUBLIC_URL)
    monkeypatch.setenv("HOTLINE_SECRET_KEY", settings.secret_key)
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("HOTLINE_INSTANCE_PATH", str(settings.instance_path))
    server = ThreadedServer(app).start()
    yield server.url
    server.stop()


def simulate(url: str, digits: str, *extra: str) -> str:
    result = CliRunner().invoke(
        main, ["simulate", "call", "--url", url, "--digits", digits, *extra]
    )
    assert result.exit_code == 0, result.output
    return result.output


VIETNAMESE_MENU = "[vi-VN] Để nói chuyện ngay với tư vấn viên, bấm 1."


def test_each_call_comes_from_a_fresh_number_so_84_hash_always_picks_the_language(
    hotline_url: str,
) -> None:
    first = simulate(hotline_url, "84#")
    second = simulate(hotline_url, "84#")
    numbers = [re.search(r"calling from (\+\d+)", out) for out in (first, second)]
    assert all(n is not None and n.group(1).startswith("+81900000") for n in numbers)
    assert numbers[0] and numbers[1] and numbers[0].group(1) != numbers[1].group(1)
    for output in (first, second):
        assert "caller: new, never called or texted before" in output
        assert VIETNAMESE_MENU in output


def test_a_given_number_is_greeted_as_a_returning_caller_in_their_language(
    hotline_url: str,
) -> None:
    simulate(hotline_url, "84#", "--from", "+819000000321")
    again = simulate(hotline_url, "", "--from", "+819000000321")
    assert "caller: returning caller, language vi" in again
    assert VIETNAMESE_MENU in again  # no language question the second time


def test_every_recorded_prompt_is_shown_with_its_text(hotline_url: str) -> None:
    output = simulate(hotline_url, "84#")
    plays = [line for line in output.splitlines() if line.startswith("[play] ")]
    nepali = [line for line in plays if "/audio/ne/language_choice." in line]
    assert nepali, output
    assert nepali[0].endswith(f'"{get_scripts().text("ne", "language_choice")}"')


def test_the_call_ends_with_the_case_and_voicemail_it_created(hotline_url: str) -> None:
    output = simulate(hotline_url, "84#3R5#")
    tail = output.splitlines()[-2:]
    assert re.fullmatch(r"-- case: \S+ \(new, language vi\)", tail[0]), output
    assert re.fullmatch(r"-- voicemail: #\d+ 5 s, transcription \w+", tail[1]), output


@pytest.mark.slow
def test_the_call_ends_with_the_callback_it_requested(hotline_url: str) -> None:
    output = simulate(hotline_url, "84#2 1 3 2 1 2")
    assert re.search(r"^-- case: \S+ \(new, language vi\)$", output, re.MULTILINE), output
    assert re.search(r"^-- callback: #\d+ queued, window evening$", output, re.MULTILINE), output


def test_a_call_that_left_nothing_says_so(hotline_url: str) -> None:
    assert simulate(hotline_url, "84#").splitlines()[-1] == "-- created: nothing"
