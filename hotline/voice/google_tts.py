"""Google Cloud Text-to-Speech (`text:synthesize` over REST) for placeholder prompts.

`hotline prompts render --engine google` uses it for the languages in `GOOGLE_VOICES`
and falls back to espeak-ng for the others. The client comes from hotline.clients
(GOOGLE_CLOUD_PROJECT; GOOGLE_TTS_ENDPOINT for an emulator or the tests' fake, with
anonymous credentials), so it is configured exactly like Translation and Speech.
"""

from __future__ import annotations

from dataclasses import dataclass

from hotline.config import Settings
from hotline.translation.google import ProviderError, classify

TIMEOUT_SECONDS = 60.0
SAMPLE_RATE = 8000  # telephone quality, as the espeak-ng placeholders
# Languages Twilio cannot <Say> for which Google lists a voice: code -> (BCP-47, voice).
# Khmer and Mongolian have none, so they stay on recordings made by phone; the others
# fall back to espeak-ng. Add a row when Google's voice list grows.
GOOGLE_VOICES: dict[str, tuple[str, str]] = {
    "ur": ("ur-IN", "ur-IN-Standard-A"),
}


@dataclass(frozen=True)
class Synthesised:
    audio: bytes  # a WAV file (LINEAR16 with its RIFF header, as Google answers)
    voice: str


class GoogleTTS:
    def __init__(self, settings: Settings) -> None:
        from google.auth.exceptions import GoogleAuthError

        from hotline.clients import tts_client

        try:
            self.client = tts_client(settings)
        except GoogleAuthError as exc:
            raise ProviderError(
                f"Google credentials are not available: {type(exc).__name__}", permanent=True
            ) from exc

    @staticmethod
    def voice_for(language: str) -> tuple[str, str] | None:
        return GOOGLE_VOICES.get(language)

    def synthesize(self, text: str, language: str) -> Synthesised:
        voice = GOOGLE_VOICES[language]
        try:
            response = self.client.synthesize_speech(
                request={
                    "input": {"text": text},
                    "voice": {"language_code": voice[0], "name": voice[1]},
                    "audio_config": {
                        "audio_encoding": "LINEAR16",
                        "sample_rate_hertz": SAMPLE_RATE,
                    },
                },
                retry=None,
                timeout=TIMEOUT_SECONDS,
            )
        except Exception as exc:
            raise classify(exc) from exc
        audio = bytes(response.audio_content)
        if not audio.startswith(b"RIFF"):
            raise ProviderError("Google answered audio that is not a WAV file", permanent=True)
        return Synthesised(audio, voice[1])
