"""Khmer and Mongolian have no voice yet: the caller hears a short recorded tone sequence
and the language's own name (no sentence in another language), and a callback request
is filed; the coverage report (CLI and
page) says so first and loudly."""

from __future__ import annotations

import io
import wave
from typing import Any

import pytest

from hotline.callbacks.models import CallbackRequest
from hotline.voice.no_voice import NO_VOICE_TONES_PATH, tone_sequence_wav
from hotline.voice.scripts import audio_dir
from tests.builders import PASSWORD, make_agent
from tests.review.helpers import prompts_check, signed_in
from tests.voice.helpers import call_row, place_call


def callbacks(runtime: Any) -> list[CallbackRequest]:
    from sqlalchemy import select

    with runtime.db.session() as s:
        return list(s.scalars(select(CallbackRequest)))


@pytest.mark.parametrize(
    ("keys", "code", "name"), [("855#", "km", "Khmer"), ("976#", "mn", "Mongolian")]
)
def test_a_caller_in_a_language_without_a_voice_hears_tones_and_its_name_then_is_called_back(
    client: Any, runtime: Any, keys: str, code: str, name: str
) -> None:
    result = place_call(client, keys)
    first_tone = next(i for i, u in enumerate(result.played) if "/tones/" in u)
    after_choice = result.played[first_tone:]
    # Tones, the language's own name, "noted": played, never a sentence in another language.
    assert [url.rsplit("/", 1)[1] for url in after_choice] == [
        "no_voice.wav",
        f"name_{code}.wav",
        "ack.wav",
    ]
    assert name not in result.says()
    assert [cb.language for cb in callbacks(runtime)] == [code]
    assert call_row(runtime, result.call_sid).ended_reason == "no_voice_callback"
    # The tone sequence is served as a real WAV file, to Twilio as to anyone.
    response = client.get(NO_VOICE_TONES_PATH)
    assert response.status_code == 200 and response.content_type == "audio/wav"
    with wave.open(io.BytesIO(response.get_data()), "rb") as w:
        assert (w.getframerate(), w.getnchannels()) == (8000, 1)
        assert 0.5 < w.getnframes() / w.getframerate() < 2.0
    spoken = client.get(f"/audio/tones/name_{code}.wav")
    assert spoken.status_code == 200 and spoken.get_data()[:4] == b"RIFF"
    assert len(spoken.get_data()) > 2000  # about half a second at 8 kHz μ-law


def test_the_shipped_tone_sequence_is_the_one_the_code_makes() -> None:
    assert (audio_dir() / "tones" / "no_voice.wav").read_bytes() == tone_sequence_wav()


@pytest.mark.slow
def test_the_coverage_report_says_first_that_khmer_and_mongolian_callers_hear_no_voice(
    client: Any, runtime: Any, settings: Any
) -> None:
    output = prompts_check(settings).output
    coverage = output[output.index("!! NO VOICE") :]
    lines = coverage.splitlines()
    assert lines[0].startswith("!! NO VOICE: Khmer callers hear a tone sequence")
    assert lines[1].startswith("!! NO VOICE: Mongolian callers")
    assert "NO VOICE" in next(x for x in lines if x.startswith("km   |"))
    assert "NO VOICE" not in next(x for x in lines if x.startswith("ne   |"))
    signed_in(client, make_agent(runtime, name="Lan", languages="en,vi", password=PASSWORD))
    html = client.get("/review").get_data(as_text=True)
    assert html.count('class="flash error no-voice"') == 2
    assert "NO VOICE: Khmer callers" in html
