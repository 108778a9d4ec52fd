"""Speaking prompts in TwiML: `<Say>` where Twilio has a voice, `<Play>` otherwise.

A language without Twilio text-to-speech is never `<Say>`-ed: its prompts are audio
files served by the app under `/audio/<lang>/<prompt>.wav`. A prompt with neither is
skipped (and shows as missing in `hotline prompts check`), never read in English.
"""

from __future__ import annotations

from collections.abc import Mapping

from twilio.twiml.voice_response import Gather, VoiceResponse

from hotline.languages import Language
from hotline.voice.scripts import Scripts


def audio_url(public_url: str, language: str, prompt: str, ext: str, version: str) -> str:
    return f"{public_url}/audio/{language}/{prompt}{ext}?v={version}"


TONE_URL_PATH = "/audio/tones/ack.wav"


class Speaker:
    """Turns prompt names into `<Say>` or `<Play>` verbs for one language."""

    def __init__(
        self,
        scripts: Scripts,
        language: Language,
        public_url: str,
        recorded: Mapping[str, int] | None = None,
        values: Mapping[str, str] | None = None,
    ) -> None:
        self.scripts = scripts
        self.language = language
        self.public_url = public_url
        # Prompts staff recorded by phone (prompt -> recording id): they beat files.
        self.recorded = recorded or {}
        # What `{placeholders}` in the texts stand for (the retention periods).
        self.values = values or {}

    def can_speak(self, prompt: str) -> bool:
        return (
            self.language.has_tts
            or prompt in self.recorded
            or self.scripts.audio(self.language.code, prompt) is not None
        )

    def missing(self, prompts: list[str]) -> list[str]:
        return [p for p in prompts if not self.can_speak(p)]

    def add(self, parent: VoiceResponse | Gather, prompt: str) -> bool:
        """Append the prompt to `parent`; False when it cannot be spoken in this language."""
        lang = self.language
        if lang.has_tts:
            parent.say(
                self.scripts.text(lang.code, prompt, self.values),
                language=lang.twilio_say_language,
                voice=lang.twilio_say_voice,
            )
            return True
        if prompt in self.recorded:
            parent.play(
                audio_url(self.public_url, lang.code, prompt, ".wav", f"r{self.recorded[prompt]}")
            )
            return True
        audio = self.scripts.audio(lang.code, prompt)
        if audio is None:
            return False
        parent.play(audio_url(self.public_url, lang.code, prompt, audio.path.suffix, audio.version))
        return True

    def add_all(self, parent: VoiceResponse | Gather, prompts: list[str]) -> None:
        for prompt in prompts:
            self.add(parent, prompt)

    def add_digits(self, parent: VoiceResponse | Gather, digits: str) -> None:
        """Read a number digit by digit (a case reference, a place in the queue)."""
        lang = self.language
        if lang.has_tts:
            parent.say(
                ", ".join(self.scripts.text(lang.code, f"digit_{d}") for d in digits),
                language=lang.twilio_say_language,
                voice=lang.twilio_say_voice,
            )
            return
        for d in digits:
            self.add(parent, f"digit_{d}")
