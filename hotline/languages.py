"""The supported languages, one row each in `<ivr_scripts>/languages.csv`.

The rest of the code asks this registry, never the CSV: whether Twilio can speak a
language, which codes Gather, Google Translate and Speech-to-Text expect, and which
country calling codes select it on the keypad. The table is read from the configured
`ivr_scripts/` folder (HOTLINE_IVR_SCRIPTS), so a new language is a data change; a
`Runtime` points the registry at its settings' folder (`use`). Reading is lenient;
`hotline.packs.table` validates the same file and names every bad row and column.
"""

from __future__ import annotations

import csv
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from hotline.folders import data_path

LANGUAGES_FILE = "languages.csv"


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
    font: str = "Noto Sans"

    @property
    def has_tts(self) -> bool:
        """Twilio can `<Say>` this language; otherwise every prompt is a recording."""
        return self.twilio_say_language is not None

    @property
    def has_synthetic_voice(self) -> bool:
        """Either Twilio or espeak-ng can produce speech for it."""
        return self.has_tts or self.espeak_voice is not None


def language_from_row(row: Mapping[str, str | None]) -> Language:
    """One CSV row as a Language (KeyError for a missing column)."""

    def col(name: str) -> str:
        return (row[name] or "").strip()

    return Language(
        code=col("code"),
        english_name=col("english_name"),
        native_name=col("native_name"),
        calling_codes=tuple(col("calling_codes").split()),
        twilio_say_language=col("twilio_say_language") or None,
        twilio_say_voice=col("twilio_say_voice") or None,
        twilio_gather_language=col("twilio_gather_language"),
        google_translate=col("google_translate"),
        google_stt=col("google_stt"),
        espeak_voice=col("espeak_ng_voice") or None,
        sms_encoding=col("sms_encoding"),
        font=(row.get("font") or "").strip() or "Noto Sans",
    )


def read_table(root: Path) -> dict[str, Language]:
    """The rows of `root/languages.csv` that can be read, first row of a code wins."""
    languages: dict[str, Language] = {}
    try:
        text = (root / LANGUAGES_FILE).read_text("utf-8")
    except OSError:
        return languages
    for row in csv.DictReader(text.splitlines()):
        try:
            lang = language_from_row(row)
        except (KeyError, AttributeError):
            continue
        if lang.code:
            languages.setdefault(lang.code, lang)
    return languages


class _Registry(Mapping[str, Language]):
    """The languages of one `ivr_scripts/` folder, read on first use."""

    def __init__(self) -> None:
        self._root: Path | None = None
        self._table: dict[str, Language] | None = None
        self._lock = threading.Lock()

    @property
    def root(self) -> Path:
        if self._root is None:
            self._root = data_path("ivr_scripts")
        return self._root

    def use(self, root: Path) -> None:
        """Read the languages of this folder from now on."""
        with self._lock:
            if root != self._root:
                self._root, self._table = root, None

    @property
    def table(self) -> dict[str, Language]:
        table = self._table
        if table is None:
            with self._lock:
                table = self._table = read_table(self.root)
        return table

    def __getitem__(self, code: str) -> Language:
        return self.table[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self.table)

    def __len__(self) -> int:
        return len(self.table)

    def __contains__(self, code: object) -> bool:
        return code in self.table


LANGUAGES = _Registry()


def use(root: Path) -> None:
    """Point the registry (and every pack reader) at this `ivr_scripts/` folder."""
    LANGUAGES.use(root)


def get(code: str) -> Language:
    """The language with this code; KeyError for an unsupported one."""
    return LANGUAGES[code]


def _clean_code(calling_code: str) -> str:
    # Twilio strips the finishing '#', but keys typed around it are tolerated too.
    return calling_code.strip().strip("#*").lstrip("+")


def languages_for_calling_code(calling_code: str) -> tuple[Language, ...]:
    """Every language keyed by this country calling code, in table order (Sri Lanka's
    94 is Sinhala and Tamil: the caller is then asked which, see hotline.voice.shared_code)."""
    code = _clean_code(calling_code)
    return tuple(lang for lang in LANGUAGES.values() if code and code in lang.calling_codes)


def by_calling_code(calling_code: str) -> Language | None:
    """The language of this country calling code, if any; the first listed when the
    code is shared (a guess for an SMS sender's number; calls ask)."""
    found = languages_for_calling_code(calling_code)
    return found[0] if found else None


def parse_codes(value: str) -> list[str]:
    """Parse a comma-separated list of language codes, rejecting unknown ones."""
    codes = [c.strip() for c in value.split(",") if c.strip()]
    unknown = [c for c in codes if c not in LANGUAGES]
    if unknown:
        raise ValueError(f"unknown language code(s): {', '.join(unknown)}")
    if not codes:
        raise ValueError("at least one language code is required")
    return codes
