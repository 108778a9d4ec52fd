"""`languages.csv` validated: one row per language, every column checked, each problem
naming the file and line.

Codes are unique; a calling code belongs to one language unless `menu.yaml` declares
it shared (`language_selection.shared_calling_codes`, which makes the call ask which
language); a Twilio voice is one Twilio can speak; the font is one of the Noto families
the system-deps script installs (posters and the web app draw every script with them).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from pathlib import Path

from hotline.languages import LANGUAGES_FILE, language_from_row
from hotline.packs.problems import Problem, rel

COLUMNS = (
    "code",
    "english_name",
    "native_name",
    "calling_codes",
    "twilio_say_language",
    "twilio_say_voice",
    "twilio_gather_language",
    "google_translate",
    "google_stt",
    "espeak_ng_voice",
    "sms_encoding",
    "font",
)
# The locales Twilio's <Say> speaks with Google voices (Twilio's "Text-to-speech"
# voice list); a row's voice must be `Google.<locale>-<kind>-<letter>` of its locale.
TWILIO_SAY_LANGUAGES = frozenset(
    {
        "af-ZA",
        "ar-XA",
        "bn-IN",
        "bg-BG",
        "ca-ES",
        "cmn-CN",
        "cmn-TW",
        "cs-CZ",
        "da-DK",
        "de-DE",
        "el-GR",
        "en-AU",
        "en-GB",
        "en-IN",
        "en-US",
        "es-ES",
        "es-US",
        "eu-ES",
        "fi-FI",
        "fil-PH",
        "fr-CA",
        "fr-FR",
        "gl-ES",
        "gu-IN",
        "he-IL",
        "hi-IN",
        "hu-HU",
        "id-ID",
        "is-IS",
        "it-IT",
        "ja-JP",
        "kn-IN",
        "ko-KR",
        "lt-LT",
        "lv-LV",
        "ml-IN",
        "mr-IN",
        "ms-MY",
        "nb-NO",
        "nl-BE",
        "nl-NL",
        "pa-IN",
        "pl-PL",
        "pt-BR",
        "pt-PT",
        "ro-RO",
        "ru-RU",
        "sk-SK",
        "sr-RS",
        "sv-SE",
        "ta-IN",
        "te-IN",
        "th-TH",
        "tr-TR",
        "uk-UA",
        "vi-VN",
        "yue-HK",
    }
)
_VOICE = re.compile(r"^Google\.(?P<locale>[a-z]{2,3}-[A-Z]{2})-(Standard|Wavenet|Neural2)-[A-Z]$")
# Noto families from Debian's fonts-noto-core and fonts-noto-cjk (scripts/install-system-deps).
KNOWN_FONTS = frozenset(
    {
        "Noto Sans",
        "Noto Sans CJK JP",
        "Noto Sans CJK SC",
        "Noto Sans CJK TC",
        "Noto Sans CJK KR",
        "Noto Sans Thai",
        "Noto Sans Lao",
        "Noto Sans Khmer",
        "Noto Sans Myanmar",
        "Noto Sans Devanagari",
        "Noto Sans Bengali",
        "Noto Sans Sinhala",
        "Noto Sans Tamil",
        "Noto Sans Telugu",
        "Noto Sans Kannada",
        "Noto Sans Malayalam",
        "Noto Sans Gujarati",
        "Noto Sans Gurmukhi",
        "Noto Sans Ethiopic",
        "Noto Sans Georgian",
        "Noto Sans Armenian",
        "Noto Sans Hebrew",
        "Noto Naskh Arabic",
        "Noto Nastaliq Urdu",
    }
)
_CODE = re.compile(r"^[a-z]{2,3}$")
_CALLING_CODE = re.compile(r"^[1-9][0-9]{0,2}$")


def table_problems(root: Path, shared_codes: dict[str, tuple[str, ...]]) -> list[Problem]:
    """Every problem of `root/languages.csv`, given the shared codes menu.yaml declares."""
    path = root / LANGUAGES_FILE
    fname = rel(root, path)
    problems: list[Problem] = []
    try:
        text = path.read_text("utf-8")
    except OSError:
        return [Problem(fname, None, LANGUAGES_FILE, "file is missing")]
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or ())]
    if missing:
        return [Problem(fname, 1, "columns", f"missing column(s): {', '.join(missing)}")]
    seen: dict[str, int] = {}
    owners: dict[str, list[tuple[str, int]]] = {}
    for row in reader:
        line = reader.line_num

        def bad(column: str, message: str, line: int = line) -> None:
            problems.append(Problem(fname, line, column, message))

        if None in row or any(row[c] is None for c in COLUMNS):
            bad("row", f"needs exactly {len(reader.fieldnames or ())} columns")
            continue
        lang = language_from_row(row)
        if not _CODE.match(lang.code):
            bad("code", f"{lang.code!r} is not a lower-case ISO 639 code")
        elif lang.code in seen:
            bad("code", f"duplicate code {lang.code!r} (also on line {seen[lang.code]})")
            continue
        seen[lang.code] = line
        for name in ("english_name", "native_name", "twilio_gather_language"):
            if not row[name].strip():
                bad(name, "must not be empty")
        for name in ("google_translate", "google_stt", "sms_encoding"):
            if not row[name].strip():
                bad(name, "must not be empty")
        if not lang.calling_codes:
            bad("calling_codes", "a language needs at least one calling code")
        for cc in dict.fromkeys(lang.calling_codes):
            if not _CALLING_CODE.match(cc):
                bad("calling_codes", f"{cc!r} is not a country calling code")
            elif lang.calling_codes.count(cc) > 1:
                bad("calling_codes", f"calling code {cc} is listed twice")
            owners.setdefault(cc, []).append((lang.code, line))
        _voice_problems(lang.twilio_say_language, lang.twilio_say_voice, bad)
        if lang.font not in KNOWN_FONTS:
            bad("font", f"unknown font {lang.font!r} (one of the Noto families: {_fonts()})")
    for cc, langs in sorted(owners.items()):
        codes = tuple(code for code, _ in langs)
        if len(codes) > 1 and set(shared_codes.get(cc, ())) != set(codes):
            problems.append(
                Problem(
                    fname,
                    langs[-1][1],
                    "calling_codes",
                    f"duplicate calling code {cc} ({', '.join(codes)}) with no question:"
                    f" list it in menu.yaml language_selection.shared_calling_codes"
                    f" as {cc}: [{', '.join(codes)}]",
                )
            )
    return problems


def _voice_problems(locale: str | None, voice: str | None, bad: Callable[[str, str], None]) -> None:
    if locale is None and voice is None:
        return
    if locale is None or voice is None:
        bad("twilio_say_voice", "give both twilio_say_language and twilio_say_voice, or neither")
        return
    if locale not in TWILIO_SAY_LANGUAGES:
        bad("twilio_say_language", f"Twilio has no voice for {locale!r}")
    found = _VOICE.match(voice)
    if found is None or found["locale"] != locale:
        bad("twilio_say_voice", f"{voice!r} is not a Twilio Google voice for {locale}")


def _fonts() -> str:
    return ", ".join(sorted(KNOWN_FONTS))
