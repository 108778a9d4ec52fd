"""How many SMS segments a text costs: GSM-7 (with the extension table) or UCS-2.

GSM-7: 160 septets in one segment, 153 per part when split; extension characters
(€ [ ] { } ...) take two septets and are never split across parts. UCS-2: 70 UTF-16
code units in one segment, 67 per part; characters outside the BMP (emoji) take two
units and are never split across parts.
"""

from __future__ import annotations

from dataclasses import dataclass

GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = "\f^{}\\[~]|€"
_BASIC = frozenset(GSM7_BASIC) - {"\x1b"}
_EXT = frozenset(GSM7_EXTENSION)


@dataclass(frozen=True)
class SegmentCount:
    encoding: str  # "GSM-7" | "UCS-2"
    units: int  # septets or UTF-16 code units
    segments: int


def is_gsm7(text: str) -> bool:
    return all(ch in _BASIC or ch in _EXT for ch in text)


def _split(weights: list[int], single: int, multi: int) -> int:
    total = sum(weights)
    if total <= single:
        return 1
    segments, used = 1, 0
    for w in weights:
        if used + w > multi:
            segments += 1
            used = 0
        used += w
    return segments


def count_segments(text: str) -> SegmentCount:
    if is_gsm7(text):
        weights = [2 if ch in _EXT else 1 for ch in text]
        return SegmentCount("GSM-7", sum(weights), _split(weights, 160, 153))
    weights = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
    return SegmentCount("UCS-2", sum(weights), _split(weights, 70, 67))
