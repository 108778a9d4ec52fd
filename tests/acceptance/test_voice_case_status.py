"""A returning caller with a case hears its status after the greeting, once; a new
caller hears none; a Nepali caller hears it as recorded audio. Only public surfaces:
the case is opened by a callback request made on an earlier call."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.acceptance.outsider import Deployment
from tests.acceptance.voice_engine import TwilioCall

pytestmark = pytest.mark.slow  # starts the deployment's servers

PROMPTS = Path(__file__).resolve().parents[2] / "ivr_scripts" / "prompts"
STATUSES = ("open", "waiting", "referred", "closed")


def prompt_text(language: str, prompt: str) -> str:
    data = yaml.safe_load((PROMPTS / f"{language}.yaml").read_text(encoding="utf-8"))
    return str(data["prompts"][prompt]["text"])


def status_texts(language: str) -> set[str]:
    return {prompt_text(language, f"case_status_{status}") for status in STATUSES}


def ask_for_a_callback(hotline: Deployment, number: str, calling_code: str) -> None:
    """A first call: language, 2 callback, 1 this number, 4 any time, 2 do not say who
    we are, 2 no SMS, 2 not urgent. This opens the caller's case."""
    call = TwilioCall(hotline, number)
    call.start()
    call.press(calling_code, finished_on_key="#")
    for key in "214222":
        call.press(key)
    call.hang_up()


def test_a_returning_caller_with_an_open_case_hears_it_once_after_the_greeting(
    hotline: Deployment,
) -> None:
    ask_for_a_callback(hotline, "+84900000211", "84")
    call = TwilioCall(hotline, "+84900000211")
    menu = call.start()
    said = [text for _, text in menu.says()]
    assert said[:3] == [
        prompt_text("vi", "greeting"),
        prompt_text("vi", "case_status_open"),
        prompt_text("vi", "main_menu"),
    ], menu.text
    repeated = call.press("*")
    assert not status_texts("vi") & {text for _, text in repeated.says()}, repeated.text
    call.hang_up()


def test_a_new_caller_hears_no_case_status(hotline: Deployment) -> None:
    call = TwilioCall(hotline, "+84900000212")
    call.start()
    menu = call.press("84", finished_on_key="#")
    said = {text for _, text in menu.says()}
    assert prompt_text("vi", "main_menu") in said
    assert not status_texts("vi") & said, menu.text
    call.hang_up()


def test_a_returning_nepali_caller_hears_the_status_played_never_said(
    hotline: Deployment,
) -> None:
    ask_for_a_callback(hotline, "+9779800000311", "977")
    call = TwilioCall(hotline, "+9779800000311")
    menu = call.start()
    assert not menu.says(), f"no <Say> for a language Twilio cannot speak: {menu.text}"
    plays = menu.plays()
    assert "/audio/ne/greeting.wav" in plays[0] and "/audio/ne/main_menu.wav" in plays[-1]
    status = [url for url in plays if "/audio/ne/case_status_open.wav" in url]
    assert len(status) == 1, plays
    audio = hotline.get_public(status[0])
    assert audio.status_code == 200 and len(audio.content) > 100
    call.hang_up()
