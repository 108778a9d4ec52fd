"""A first guess at a text's language from its writing system, with no outside service.

Only scripts (or letters) that belong to exactly one of the supported languages give an
answer: Thai script is Thai, Hangul is Korean, `ư`/`ơ`/`đ` and the stacked Vietnamese
accents are Vietnamese. Latin, Cyrillic, Han and Devanagari text is shared by several
languages and gives None; the translation job asks Google to detect those. The facts
are pack data: `script:` in each `ivr_scripts/packs/<lang>.yaml` (writing systems,
unique code point ranges and letters, word boundaries).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from pathlib import Path

from hotline.languages import LANGUAGES
from hotline.packs.texts import current_packs

_LATIN = frozenset({"LATIN"})
VIETNAMESE_PLAIN_LETTERS = 12


@lru_cache(maxsize=4)
def _facts(
    _root: Path,
) -> tuple[dict[str, str], tuple[tuple[int, int, str], ...], dict[str, frozenset[str]]]:
    """(letter -> language, (first, last, language) ranges, language -> writing systems)."""
    letters: dict[str, str] = {}
    ranges: list[tuple[int, int, str]] = []
    systems: dict[str, frozenset[str]] = {}
    for code, pack in current_packs().packs.items():
        letters.update(dict.fromkeys(pack.script.unique_letters, code))
        ranges.extend((first, last, code) for first, last in pack.script.unique_ranges)
        systems[code] = pack.script.writing_systems
    return letters, tuple(ranges), systems


def guess_language(text: str) -> str | None:
    """The one supported language this text's script points to, or None."""
    letters, ranges, _ = _facts(LANGUAGES.root)
    for ch in text:
        letter = letters.get(ch)
        if letter is not None:
            return letter
        cp = ord(ch)
        if cp < 0x0370:
            continue
        for first, last, language in ranges:
            if first <= cp <= last:
                return language
    return None


def _script_of(ch: str) -> str | None:
    if not ch.isalpha():
        return None
    name = unicodedata.name(ch, "")
    return name.split(" ", 1)[0] if name else None


def _systems(language: str) -> frozenset[str]:
    return _facts(LANGUAGES.root)[2].get(language, _LATIN)


def looks_unlike(text: str, language: str) -> bool:
    """Whether the text's letters rule out `language`: most of them are in another
    writing system, or they carry letters only another language uses (English text
    with Vietnamese `ư`). Short of that, the text gets the benefit of the doubt."""
    expected = _systems(language)
    scripts = [s for s in map(_script_of, text) if s is not None]
    if not scripts:
        return False
    matching = sum(1 for s in scripts if s in expected)
    if matching * 2 < len(scripts):
        return True
    if language == "vi" and len(scripts) >= VIETNAMESE_PLAIN_LETTERS:
        # Written Vietnamese carries tone marks on almost every word; a sentence of
        # plain ASCII letters is far more likely English (or Vietnamese typed without
        # them, which a warning then rightly questions).
        return all(ch.isascii() for ch in text if ch.isalpha())
    guessed = guess_language(text)
    return guessed is not None and guessed != language and _systems(guessed) == expected
