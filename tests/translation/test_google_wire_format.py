"""The real Google client libraries against the local fakes of the REST wire format."""

from __future__ import annotations

import pytest

from hotline.runtime import Runtime
from hotline.translation.google import GoogleSpeech, GoogleTranslate, ProviderError
from hotline.translation.speech import recognition_config, transcribe
from tests.fakes.google_speech import FakeGoogleSpeech
from tests.fakes.google_translate import FakeGoogleTranslate
from tests.translation.conftest import PROJECT, tone_wav


def test_translate_text_sends_html_with_languages_to_the_project_path(
    google_runtime: Runtime, fake_translate: FakeGoogleTranslate
) -> None:
    client = GoogleTranslate(google_runtime.settings)

    answer = client.translate_html(
        "Công ty không trả lương cho tôi ba tháng.", source="vi", target="en"
    )

    assert answer == "The company has not paid me for three months."
    (request,) = fake_translate.requests
    assert request["method"] == "translateText"
    assert request["project"] == PROJECT
    assert request["body"] == {
        "contents": ["Công ty không trả lương cho tôi ba tháng."],
        "mimeType": "text/html",
        "sourceLanguageCode": "vi",
        "targetLanguageCode": "en",
    }


def test_detect_language_returns_googles_code_and_confidence(
    google_runtime: Runtime, fake_translate: FakeGoogleTranslate
) -> None:
    found = GoogleTranslate(google_runtime.settings).detect_html("明日の朝お電話します。")

    assert found.language == "ja"
    assert found.confidence > 0.9
    assert fake_translate.detect_requests() == [
        {"content": "明日の朝お電話します。", "mimeType": "text/html"}
    ]


@pytest.mark.parametrize(
    ("status", "permanent", "quota"),
    [(503, False, False), (500, False, False), (429, False, True), (400, True, False)],
)
def test_google_errors_say_whether_to_retry(
    google_runtime: Runtime,
    fake_translate: FakeGoogleTranslate,
    status: int,
    permanent: bool,
    quota: bool,
) -> None:
    fake_translate.fail(status)

    with pytest.raises(ProviderError) as caught:
        GoogleTranslate(google_runtime.settings).translate_html("hello", source="en", target="ja")

    assert (caught.value.permanent, caught.value.quota) == (permanent, quota)
    assert len(fake_translate.requests) == 1  # no hidden client-side retries


def test_speech_recognize_sends_linear16_audio_with_the_phone_call_model_for_japanese(
    google_runtime: Runtime, fake_speech: FakeGoogleSpeech
) -> None:
    audio = tone_wav(3)
    fake_speech.add_transcript(audio, "給料が払われていません", 0.87)

    transcript = transcribe(GoogleSpeech(google_runtime.settings), audio, "ja")

    assert transcript.text == "給料が払われていません"
    assert transcript.confidence == pytest.approx(0.87)
    (request,) = fake_speech.requests
    assert request["config"]["languageCode"] == "ja-JP"
    assert request["config"]["model"] == "phone_call"
    assert request["config"]["useEnhanced"] is True
    assert request["config"]["sampleRateHertz"] == 8000
    assert request["config"]["encoding"] == 1  # LINEAR16, sent as an enum number


def test_languages_without_a_telephone_model_use_the_default_model() -> None:
    config = recognition_config("vi", None)

    assert config["language_code"] == "vi-VN"
    assert "model" not in config


def test_unknown_language_is_recognised_with_alternatives() -> None:
    config = recognition_config(None, None)

    assert config["language_code"] == "ja-JP"
    assert len(config["alternative_language_codes"]) <= 3
