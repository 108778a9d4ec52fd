"""Personal data out, placeholders in, before any text leaves for Google; back afterwards.

Text is sent as HTML (`mime_type="text/html"`) with each protected piece replaced by
`<span translate="no">⟦n⟧</span>`. Google Translate documents `translate="no"` as the
way to keep part of an HTML text untranslated, so the placeholder comes back intact and
in the right place in the sentence; a bare token in plain text is sometimes spaced out,
re-punctuated or transliterated. The span holds only the number, never the value: the
phone number, card number or e-mail address itself stays on this machine. If Google ever
drops a placeholder, its value is appended to the translation so nothing is lost.

Glossary terms (see `glossary`) use the same placeholders: the source term goes out as a
number and the target language's term comes back in its place.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field

from hotline.translation.glossary import find_terms

# Patterns run on `matching_view(text)`, where every digit is ASCII and every dash,
# minus, slash and space is one canonical character, so they only need to know `-`,
# `/` and ` `. Order matters: earlier kinds win where matches overlap.
_SEP = r"[ .()/-]"
PII_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("email", re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")),
    # Residence card (在留カード): two letters, eight digits, two letters, sometimes typed
    # in groups (AB 1234 5678 CD, AB-12345678-CD).
    (
        "residence_card",
        re.compile(
            r"(?<![A-Za-z0-9])[A-Za-z]{2}[ -]{0,3}[0-9]{4}[ -]{0,3}[0-9]{4}[ -]{0,3}[A-Za-z]{2}"
            r"(?![A-Za-z0-9])"
        ),
    ),
    # Passports of the workers' countries: one or two letters, six to eight digits, and
    # sometimes a trailing letter (VN C1234567, PH P1234567A, CN E12345678, ...):
    # typed in capitals right after any text ("旅券C1234567"), or as a word of its own in
    # either case and with a space or dash after the letters ("so ho chieu c 1234567").
    (
        "passport",
        re.compile(
            r"(?:(?<![A-Za-z0-9])[A-Z]{1,2}|(?<!\w)[A-Za-z]{1,2}[ -]{0,3})[0-9]{6,8}[A-Za-z]?"
            r"(?![A-Za-z0-9])"
        ),
    ),
    # Japanese postal codes, with or without the 〒 mark.
    ("postal_code", re.compile(r"(?:〒 ?)?(?<![0-9])[0-9]{3}-[0-9]{4}(?![0-9-])")),
    # Phone numbers in any country's format, and other long digit runs that identify a
    # person (My Number, bank accounts, card numbers): 9 to 18 digits, with or without
    # separators ("090 - 1234 - 5678", "(03) 1234/5678"). Boundaries are ASCII: Japanese
    # text puts letters right next to digits.
    (
        "number",
        re.compile(rf"(?<![A-Za-z0-9+])\+?[0-9](?:{_SEP}{{0,3}}[0-9]){{8,17}}(?![A-Za-z0-9])"),
    ),
)

# Every dash and minus a phone keyboard or an input method produces, including the
# long-vowel mark `ー` that a Japanese IME types for "-" after digits.
_DASHES = frozenset("\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u2212\u30fc\uff70\ufe58")
_SLASHES = frozenset("/\uff0f\u2215\u2044\u29f8")

_PLACEHOLDER_SPAN = re.compile(
    r"<span\b[^>]*\btranslate\s*=\s*[\"']?no[\"']?[^>]*>\s*⟦(\d+)⟧\s*</span>", re.IGNORECASE
)
_TOKEN = re.compile(r"⟦(\d+)⟧")
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
_SPACES = re.compile(r"[ \t\u00a0\u3000]+")


def normalise(text: str) -> str:
    """The canonical form of a text for translation and for the cache key.

    NFKC folds full-width digits and letters (common on Japanese phones) into ASCII, so
    that "０９０" is recognised as a number and equal texts share one cache entry.
    """
    text = unicodedata.normalize("NFKC", text).replace("\r\n", "\n").replace("\r", "\n")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


@dataclass(frozen=True)
class Placeholder:
    kind: str  # a PII kind, or "term"
    value: str  # the original text (PII) or the target-language term


@dataclass(frozen=True)
class Protected:
    """A text ready to send: escaped HTML with numbered untranslatable placeholders."""

    html: str
    placeholders: tuple[Placeholder, ...] = field(default=())

    @property
    def pii_values(self) -> list[str]:
        return [p.value for p in self.placeholders if p.kind != "term"]


def _canonical_char(char: str) -> str:
    if char.isascii():
        return char
    if char in _DASHES or unicodedata.category(char) == "Pd":
        return "-"
    if char in _SLASHES:
        return "/"
    if unicodedata.category(char) == "Zs":
        return " "
    digit = unicodedata.decimal(char, None)  # full-width, Devanagari, Burmese, ... digits
    if digit is not None:
        return str(digit)
    folded = unicodedata.normalize("NFKC", char)  # full-width letters and signs
    return folded if len(folded) == 1 and folded.isascii() else char


def matching_view(text: str) -> str:
    """`text` as the patterns see it: one character for each character of `text`, so a
    match's span is the span of the value as the worker typed it."""
    return "".join(_canonical_char(c) for c in text)


def find_pii(text: str) -> list[tuple[int, int, str]]:
    """Non-overlapping (start, end, kind) spans of personal data in `text`."""
    view = matching_view(text)
    spans: list[tuple[int, int, str]] = []
    for kind, pattern in PII_PATTERNS:
        for m in pattern.finditer(view):
            start, end = m.start(), m.end()
            if any(start < e and s < end for s, e, _ in spans):
                continue
            spans.append((start, end, kind))
    return sorted(spans)


def _escape(text: str) -> str:
    return html.escape(text, quote=False).replace("\n", "<br>")


def protect(text: str, *, source: str | None = None, target: str | None = None) -> Protected:
    """Redact personal data and, when both languages are known, glossary terms."""
    spans: list[tuple[int, int, str, str]] = [(s, e, kind, "") for s, e, kind in find_pii(text)]
    if source and target:
        for match in find_terms(text, source, target):
            if any(match.start < e and s < match.end for s, e, _, _ in spans):
                continue
            spans.append((match.start, match.end, "term", match.term.target(target) or ""))
    spans.sort()
    pieces: list[str] = []
    placeholders: list[Placeholder] = []
    pos = 0
    for start, end, kind, replacement in spans:
        pieces.append(_escape(text[pos:start]))
        placeholders.append(Placeholder(kind, replacement if kind == "term" else text[start:end]))
        pieces.append(f'<span translate="no">⟦{len(placeholders)}⟧</span>')
        pos = end
    pieces.append(_escape(text[pos:]))
    return Protected("".join(pieces), tuple(placeholders))


def restore(translated_html: str, protected: Protected) -> str:
    """Plain text from Google's HTML answer, with every placeholder's value put back."""
    text = _PLACEHOLDER_SPAN.sub(lambda m: f"⟦{m.group(1)}⟧", translated_html)
    text = _BR.sub("\n", text)
    text = _TAG.sub("", text)
    text = html.unescape(text)
    used: set[int] = set()

    def put_back(m: re.Match[str]) -> str:
        index = int(m.group(1))
        if 1 <= index <= len(protected.placeholders):
            used.add(index)
            return protected.placeholders[index - 1].value
        return m.group(0)

    text = _TOKEN.sub(put_back, text)
    missing = [p.value for i, p in enumerate(protected.placeholders, start=1) if i not in used]
    if missing:
        text = text.rstrip() + " (" + ", ".join(missing) + ")"
    return "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n")).strip()
