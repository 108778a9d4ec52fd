"""The fallback URLs and the safe answer of a voice step that fails: signed like every
webhook, spoken in the caller's language when the request tells it, and independent
of the database and Redis (here both point at closed ports)."""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from hotline import create_app
from hotline.languages import LANGUAGES
from hotline.runtime import Runtime
from hotline.voice.engine import MenuEngine
from hotline.voice.scripts import get_scripts
from tests.conftest import free_port, make_settings
from tests.helpers import PUBLIC_URL, WORKER_NUMBER, twilio_post

CALL = {"CallSid": "CA" + "f" * 32, "From": WORKER_NUMBER, "To": "+81500000000"}
MESSAGE = {"MessageSid": "SM" + "f" * 32, "From": WORKER_NUMBER, "Body": "hello"}


@pytest.fixture
def offline_client(tmp_path: Path) -> Any:
    """An app whose database and Redis are closed ports: any use of them would fail."""
    settings = make_settings(
        tmp_path,
        f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nowhere",
        f"redis://127.0.0.1:{free_port()}/0",
    )
    app = create_app(runtime=Runtime(settings))
    return app.test_client()


def verbs(response: Any) -> list[ET.Element]:
    assert response.status_code == 200
    assert response.content_type.startswith("text/xml")
    return list(ET.fromstring(response.get_data(as_text=True)))  # noqa: S314 - our own TwiML


def text(lang: str) -> str:
    return get_scripts().text(lang, "fallback")


def test_voice_fallback_without_a_signature_is_refused(offline_client: Any) -> None:
    response = offline_client.post("/voice/fallback", data=CALL)
    assert response.status_code == 403


def test_sms_fallback_with_a_bad_signature_is_refused(offline_client: Any) -> None:
    response = twilio_post(offline_client, "/sms/fallback", MESSAGE, token="not-the-token")
    assert response.status_code == 403


def test_voice_fallback_speaks_japanese_and_english_with_the_emergency_numbers(
    offline_client: Any,
) -> None:
    answer = verbs(twilio_post(offline_client, "/voice/fallback", {**CALL, "ErrorCode": "11200"}))
    assert [v.tag for v in answer] == ["Say", "Say", "Hangup"]
    assert [(v.get("language"), v.text) for v in answer[:2]] == [
        ("ja-JP", text("ja")),
        ("en-US", text("en")),
    ]
    assert "110" in text("ja") and "119" in text("ja")
    assert "1 1 0" in text("en") and "1 1 9" in text("en")
    assert "call again" in text("en")


def test_voice_fallback_answers_in_the_language_named_by_the_failed_step_url(
    offline_client: Any,
) -> None:
    error_url = f"{PUBLIC_URL}/voice/node/main?s=3&l=vi"
    answer = verbs(
        twilio_post(
            offline_client, "/voice/fallback", {**CALL, "ErrorCode": "11205", "ErrorUrl": error_url}
        )
    )
    assert [v.tag for v in answer] == ["Say", "Hangup"]
    assert (answer[0].get("language"), answer[0].text) == ("vi-VN", text("vi"))


def test_voice_fallback_plays_the_recording_in_a_language_twilio_cannot_speak(
    offline_client: Any,
) -> None:
    answer = verbs(twilio_post(offline_client, "/voice/fallback?lang=ne", CALL))
    assert [v.tag for v in answer] == ["Play", "Hangup"]
    assert urlsplit(answer[0].text or "").path == "/audio/ne/fallback.wav"
    audio = offline_client.get(urlsplit(answer[0].text or "").path)
    assert audio.status_code == 200 and audio.content_type == "audio/wav"


def test_voice_fallback_never_says_text_in_a_language_without_voice_or_recording(
    offline_client: Any,
) -> None:
    assert not LANGUAGES["km"].has_tts
    answer = verbs(twilio_post(offline_client, "/voice/fallback?lang=km", CALL))
    assert [(v.tag, v.get("language")) for v in answer] == [
        ("Say", "ja-JP"),
        ("Say", "en-US"),
        ("Hangup", None),
    ]


def test_sms_fallback_answers_in_japanese_and_english(offline_client: Any) -> None:
    answer = verbs(twilio_post(offline_client, "/sms/fallback", MESSAGE))
    assert [v.tag for v in answer] == ["Message"]
    body = answer[0].text or ""
    assert get_scripts().sms_text("ja", "fallback") in body
    assert get_scripts().sms_text("en", "fallback") in body


def test_sms_fallback_answers_a_vietnamese_number_in_vietnamese(offline_client: Any) -> None:
    answer = verbs(
        twilio_post(offline_client, "/sms/fallback", {**MESSAGE, "From": "+84900000123"})
    )
    assert [v.text for v in answer] == [get_scripts().sms_text("vi", "fallback")]


def test_sms_fallback_sends_nothing_back_to_a_stop(offline_client: Any) -> None:
    assert verbs(twilio_post(offline_client, "/sms/fallback", {**MESSAGE, "Body": "STOP"})) == []
    assert verbs(twilio_post(offline_client, "/sms/fallback", {**MESSAGE, "Body": "dừng"})) == []


def test_a_voice_step_that_raises_answers_the_fallback_and_logs_it(
    client: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    first = verbs(twilio_post(client, "/voice/incoming", CALL))
    gather = next(v for v in first if v.tag == "Gather")
    language_step = urlsplit(gather.get("action") or "")
    chosen = verbs(
        twilio_post(client, f"{language_step.path}?{language_step.query}", {**CALL, "Digits": "84"})
    )
    menu = urlsplit(next(v for v in chosen if v.tag == "Gather").get("action") or "")
    assert parse_qs(menu.query)["l"] == ["vi"]

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("a bug in a call step")

    monkeypatch.setattr(MenuEngine, "answer_node", broken)
    with caplog.at_level(logging.ERROR, logger="hotline.fallback"):
        response = twilio_post(client, f"{menu.path}?{menu.query}", {**CALL, "Digits": "1"})
    answer = verbs(response)
    assert [v.tag for v in answer] == ["Say", "Hangup"]
    assert (answer[0].get("language"), answer[0].text) == ("vi-VN", text("vi"))
    assert "a bug in a call step" in caplog.text
    assert WORKER_NUMBER not in caplog.text


def test_a_voice_step_with_a_bad_signature_is_still_refused_not_answered(client: Any) -> None:
    response = twilio_post(client, "/voice/node/main?s=2", CALL, token="not-the-token")
    assert response.status_code == 403
