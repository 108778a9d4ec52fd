"""The 22 supported languages, loaded from `hotline/data/languages.csv`.

The rest of the code asks this registry, never the CSV: whether Twilio can speak a
language, which codes Gather, Google Translate and Speech-to-Text expect, and which
country calling codes select it on the keypad.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True)
class Language:
    code: str
    english_name: str
    native_name: str
    calling_codes: tuple[str, ...]
    twilio_say_language: str | None
    twilio_say_voice: str | None
    twilio_gather_language: str
    google_translate: str
    google_stt: str
    espeak_voice: str | None
    sms_encoding: str

    @property
    def has_tts(self) -> bool:
        """Twilio can `<Say>` this language; otherwise every prompt is a recording."""
        return self.twilio_say_language is not None

    @property
    def has_synthetic_voice(self) -> bool:
        """Either Twilio or espeak-ng can produce speech for it."""
        return self.has_tts or self.espeak_voice is not None


def _load() -> dict[str, Language]:
    text = resources.files("hotline").joinpath("data/languages.csv").read_text("utf-8")
    languages: dict[str, Language] = {}
    for row in csv.DictReader(text.splitlines()):
        lang = Language(
            code=row["code"],
            english_name=row["english_name"],
            native_name=row["native_name"],
            calling_codes=tuple(row["calling_codes"].split()),
            twilio_say_language=row["twilio_say_language"] or None,
            twilio_say_voice=row["twilio_say_voice"] or None,
            twilio_gather_language=row["twilio_gather_language"],
            google_translate=row["google_translate"],
            google_stt=row["google_stt"],
            espeak_voice=row["espeak_ng_voice"] or None,
            sms_encoding=row["sms_encoding"],
        )
        languages[lang.code] = lang
    return languages


LANGUAGES: dict[str, Language] = _load()

BY_CALLING_CODE: dict[str, Language] = {
    cc: lang for lang in LANGUAGES.values() for cc in lang.calling_codes
}


def get(code: str) -> Language:
    """The language with this code; KeyError for an unsupported one."""
    return LANGUAGES[code]


def by_calling_code(calling_code: str) -> Language | None:
    """The language a caller selects by keying this country calling code, if any."""
    # Twilio strips the finishing '#', but keys typed around it are tolerated too.
    return BY_CALLING_CODE.get(calling_code.strip().strip("#*").lstrip("+"))


def parse_codes(value: str) -> list[str]:
    """Parse a comma-separated list of language codes, rejecting unknown ones."""
    codes = [c.strip() for c in value.split(",") if c.strip()]
    unknown = [c for c in codes if c not in LANGUAGES]
    if unknown:
        raise ValueError(f"unknown language code(s): {', '.join(unknown)}")
    if not codes:
        raise ValueError("at least one language code is required")
    return codes
