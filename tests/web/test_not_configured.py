"""The web app as `make run` starts it, with neither Twilio nor Google configured: it says
what is true. A voicemail is "not transcribed: speech-to-text is not configured" and has
no empty player; "Call the worker" says calls are simulated here; attempts read as
words, never as raw states like `dial_requested`, in English and Japanese."""

from __future__ import annotations

from typing import Any

import pytest

from hotline.web.i18n import MESSAGES
from tests.builders import PASSWORD, make_agent, make_vietnamese_sms_case
from tests.helpers import run_jobs
from tests.voice.helpers import place_call
from tests.web.helpers import page_csrf, sign_in

RAW_STATES = ("dial_requested", "calling_agent", "agent_answered", "bridging")


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    # No TWILIO_ACCOUNT_SID (webhooks are still signed with the local token), no Google.
    return {"twilio_account_sid": None, "quiet_hours": "00:00-00:00"}


@pytest.mark.slow
def test_a_voicemail_says_speech_to_text_is_not_configured_and_shows_no_empty_player(
    client: Any, runtime: Any
) -> None:
    place_call(client, "84#3R6#")
    run_jobs(runtime)
    lan = make_agent(runtime, name="Lan", languages="vi,en", password=PASSWORD)
    sign_in(client, lan)
    from hotline.voice.models import Voicemail

    with runtime.db.session() as session:
        voicemail = session.query(Voicemail).one()
        assert voicemail.transcription_status == "not_configured"
        case_id = voicemail.case_id
    html = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Not transcribed: speech-to-text is not configured" in html
    assert "Transcription failed" not in html
    assert "<audio" not in html
    assert MESSAGES["en"]["case.audio_simulated"] in html


@pytest.mark.slow
def test_calling_the_worker_says_calls_are_simulated_and_attempts_read_as_words(
    client: Any, runtime: Any
) -> None:
    info = make_vietnamese_sms_case(runtime)
    lan = make_agent(runtime, name="Lan", languages="vi,en", password=PASSWORD)
    sign_in(client, lan)
    client.post("/queue/claim", data={"csrf_token": page_csrf(client)})
    html = client.get(f"/cases/{info.case_id}").get_data(as_text=True)
    assert MESSAGES["en"]["call.simulated"] in html
    assert "Your phone will ring" not in html

    dialled = client.post(
        f"/callbacks/{info.callback_id}/dial",
        data={"csrf_token": page_csrf(client)},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert MESSAGES["en"]["call.simulated_started"] in dialled
    assert "Your phone will ring" not in dialled
    for moment in ("before the job", "after the job"):
        html = client.get(f"/cases/{info.case_id}").get_data(as_text=True)
        assert "simulated on this machine: no phone rang" in html, moment
        assert not [s for s in RAW_STATES if s in html], moment
        run_jobs(runtime)


@pytest.mark.slow
def test_attempts_read_as_words_in_japanese_too(client: Any, runtime: Any) -> None:
    info = make_vietnamese_sms_case(runtime)
    kenji = make_agent(
        runtime, name="Kenji", languages="vi,ja", ui_language="ja", password=PASSWORD
    )
    sign_in(client, kenji)
    client.post("/queue/claim", data={"csrf_token": page_csrf(client)})
    html = client.get(f"/cases/{info.case_id}").get_data(as_text=True)
    assert MESSAGES["ja"]["call.simulated"] in html
    client.post(f"/callbacks/{info.callback_id}/dial", data={"csrf_token": page_csrf(client)})
    run_jobs(runtime)
    html = client.get(f"/cases/{info.case_id}").get_data(as_text=True)
    assert MESSAGES["ja"]["attempt.simulated"] in html
    assert not [s for s in RAW_STATES if s in html]


def test_every_attempt_state_the_code_sets_has_a_label_in_both_languages() -> None:
    import re
    from pathlib import Path

    import hotline

    package = Path(hotline.__file__).parent
    sources = [p.read_text("utf-8") for p in (package / "callbacks").glob("*.py")]
    states = {m for text in sources for m in re.findall(r'\bstate\s*=\s*"(\w+)"', text)}
    assert set(RAW_STATES) | {"failed", "completed", "recorded"} <= states
    for ui in ("en", "ja"):
        for state in states:
            assert MESSAGES[ui].get(f"attempt.{state}"), (ui, state)
        for status in ("completed", "answered", "busy", "no-answer", "failed", "canceled"):
            assert MESSAGES[ui].get(f"dial.{status}"), (ui, status)


@pytest.mark.slow
def test_taking_a_live_caller_says_the_call_is_simulated_not_that_a_phone_rings(
    client: Any, runtime: Any
) -> None:
    place_call(client, "84#1", from_number="+819000000731")  # a Vietnamese caller waits
    lan = make_agent(runtime, name="Lan", languages="vi,en", password=PASSWORD)
    sign_in(client, lan)
    client.post("/availability", data={"csrf_token": page_csrf(client), "available": "1"})
    answer = client.post(
        "/live/next",
        data={"csrf_token": page_csrf(client), "language": "vi"},
        follow_redirects=True,
    )
    html = answer.get_data(as_text=True)
    assert "simulated on this machine" in html
    assert "Your phone will ring" not in html
