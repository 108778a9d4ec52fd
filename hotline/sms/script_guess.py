"""A first guess at a text's language from its writing system, with no outside service.

Only scripts (or letters) that belong to exactly one of the supported languages give an
answer: Thai script is Thai, Hangul is Korean, `ư`/`ơ`/`đ` and the stacked Vietnamese
accents are Vietnamese. Latin, Cyrillic, Han and Devanagari text is shared by several
languages and gives None; the translation job asks Google to detect those.
"""

from __future__ import annotations

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
