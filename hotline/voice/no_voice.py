"""What a caller hears in a language with no voice at all yet (Khmer, Mongolian).

Twilio cannot speak it, no engine has a voice for it and nobody has recorded its
prompts: the caller hears a short tone sequence (`audio/tones/no_voice.wav`, made by
`tone_sequence_wav`), the language's own name (`audio/tones/name_<lang>.wav`), and the
"noted" tone, and the call flow has already filed a callback request in that language
(CallFlow.no_voice). Nothing is `<Say>`-ed: no sentence in a language the caller may
not understand. The name files are the name as the language says it, approximated by
espeak-ng with a voice that reads its spelling right (`NAME_SOUNDS`); replace one with a
person's recording when there is one (`hotline prompts render` keeps existing files).
"""

from __future__ import annotations

import io
import math
import struct
import wave
from pathlib import Path

from twilio.twiml.voice_response import VoiceResponse

from hotline.languages import Language
from hotline.voice.twiml import TONE_URL_PATH

NO_VOICE_TONES_PATH = "/audio/tones/no_voice.wav"
# How to approximate a language's own name with espeak-ng: (espeak voice, spelling).
NAME_SOUNDS: dict[str, tuple[str, str]] = {
    "km": ("id", "Khmae"),  # ខ្មែរ, read as Indonesian spells it
    "mn": ("ru", "Монгол"),  # Монгол, in Cyrillic as Mongolian writes it
}
RATE = 8000
# Three rising notes (C5, E5, G5): "we heard you", recognisable on any phone line.
NOTES = ((523.25, 0.18), (0.0, 0.06), (659.25, 0.18), (0.0, 0.06), (783.99, 0.30))


def tone_sequence_wav() -> bytes:
    """The tone sequence as an 8 kHz mono 16-bit WAV, made the same way every time."""
    frames = bytearray()
    for freq, seconds in NOTES:
        count = int(RATE * seconds)
        fade = min(count // 2, int(RATE * 0.01))  # 10 ms ramps: no clicks
        for i in range(count):
            ramp = min(1.0, i / fade, (count - i) / fade) if fade else 1.0
            value = 0.4 * ramp * math.sin(2 * math.pi * freq * i / RATE) if freq else 0.0
            frames += struct.pack("<h", int(value * 32767))
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(bytes(frames))
    return out.getvalue()


def name_file(code: str) -> str:
    return f"name_{code}.wav"


def announce(
    response: VoiceResponse, public_url: str, audio_root: Path, language: Language
) -> None:
    """Tones, the language's own name (if its file exists), and "noted"."""
    response.play(public_url + NO_VOICE_TONES_PATH)
    if (audio_root / "tones" / name_file(language.code)).is_file():
        response.play(f"{public_url}/audio/tones/{name_file(language.code)}")
    response.play(public_url + TONE_URL_PATH)
