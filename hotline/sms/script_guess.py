"""A first guess at a text's language from its writing system, with no outside service.

Only scripts (or letters) that belong to exactly one of the supported languages give an
answer: Thai script is Thai, Hangul is Korean, `ư`/`ơ`/`đ` and the stacked Vietnamese
accents are Vietnamese. Latin, Cyrillic, Han and Devanagari text is shared by several
languages and gives None; the translation job asks Google to detect those.
"""

from __future__ import annotations

import unicodedata

# (first code point, last code point, language), checked in order.
_RANGES: tuple[tuple[int, int, str], ...] = (
    (0x3040, 0x30FF, "ja"),  # hiragana, katakana (Han alone could be Chinese)
    (0x31F0, 0x31FF, "ja"),
    (0xFF66, 0xFF9F, "ja"),  # half-width katakana
    (0x0E00, 0x0E7F, "th"),
    (0x1780, 0x17FF, "km"),
    (0x19E0, 0x19FF, "km"),
    (0x1000, 0x109F, "my"),
    (0x0D80, 0x0DFF, "si"),
    (0xAC00, 0xD7AF, "ko"),
    (0x1100, 0x11FF, "ko"),
    (0x3130, 0x318F, "ko"),
    (0x0980, 0x09FF, "bn"),
    (0x0600, 0x06FF, "ur"),  # Arabic script: Urdu is the only supported language using it
    (0x0750, 0x077F, "ur"),
    (0x1EA0, 0x1EF9, "vi"),  # Latin letters with Vietnamese stacked accents
)
_LETTERS = {
    **dict.fromkeys("ăđơưĂĐƠƯ", "vi"),  # not â ê ô: French and Portuguese use them too
    **dict.fromkeys("єіїґЄІЇҐ", "uk"),
    **dict.fromkeys("өүӨҮ", "mn"),
}


def guess_language(text: str) -> str | None:
    """The one supported language this text's script points to, or None."""
    for ch in text:
        letter = _LETTERS.get(ch)
        if letter is not None:
            return letter
        cp = ord(ch)
        if cp < 0x0600:
            continue
        for first, last, language in _RANGES:
            if first <= cp <= last:
                return language
    return None


# The writing systems each language is written in, as Unicode character-name prefixes.
# Languages not listed are written in Latin letters.
_SCRIPTS: dict[str, frozenset[str]] = {
    "ja": frozenset({"CJK", "HIRAGANA", "KATAKANA", "HALFWIDTH", "FULLWIDTH"}),
    "zh": frozenset({"CJK", "FULLWIDTH"}),
    "ko": frozenset({"HANGUL"}),
    "th": frozenset({"THAI"}),
    "km": frozenset({"KHMER"}),
    "my": frozenset({"MYANMAR"}),
    "si": frozenset({"SINHALA"}),
    "bn": frozenset({"BENGALI"}),
    "ur": frozenset({"ARABIC"}),
    "hi": frozenset({"DEVANAGARI"}),
    "ne": frozenset({"DEVANAGARI"}),
    "ru": frozenset({"CYRILLIC"}),
    "uk": frozenset({"CYRILLIC"}),
    "mn": frozenset({"CYRILLIC"}),
}
_LATIN = frozenset({"LATIN"})
VIETNAMESE_PLAIN_LETTERS = 12


def _script_of(ch: str) -> str | None:
    if not ch.isalpha():
        return None
    name = unicodedata.name(ch, "")
    return name.split(" ", 1)[0] if name else None


def looks_unlike(text: str, language: str) -> bool:
    """Whether the text's letters rule out `language`: most of them are in another
    writing system, or they carry letters only another language uses (English text
    with Vietnamese `ư`). Short of that, the text gets the benefit of the doubt."""
    expected = _SCRIPTS.get(language, _LATIN)
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
    return guessed is not None and guessed != language and _SCRIPTS.get(guessed, _LATIN) == expected
