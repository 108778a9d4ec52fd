"""Bar-chart geometry for inline SVG drawn by the templates: no JavaScript library.

The numbers are also shown in a table next to each chart, so the chart is a picture of
the data, never the only way to read it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Segment:
    value: int
    x: float
    y: float
    width: float
    height: float
    css_class: str


@dataclass(frozen=True)
class Bar:
    label: str
    total: int
    segments: list[Segment]
    label_x: float
    label_y: float
    value_x: float
    value_y: float


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    scale_max: int


def horizontal_bars(
    items: Sequence[tuple[str, Sequence[tuple[int, str]]]],
    *,
    width: int = 560,
    bar_height: int = 22,
    gap: int = 8,
    label_width: int = 120,
    value_width: int = 48,
) -> Chart:
    """One horizontal bar per item; each bar stacks (value, css class) segments."""
    scale_max = max([sum(v for v, _ in segs) for _, segs in items] + [1])
    plot = width - label_width - value_width
    bars: list[Bar] = []
    for i, (label, segs) in enumerate(items):
        y = gap + i * (bar_height + gap)
        x = float(label_width)
        segments = []
        for value, css in segs:
            w = plot * value / scale_max
            segments.append(Segment(value, x, y, w, bar_height, css))
            x += w
        total = sum(v for v, _ in segs)
        bars.append(
            Bar(
                label,
                total,
                segments,
                label_width - 8,
                y + bar_height * 0.7,
                x + 6,
                y + bar_height * 0.7,
            )
        )
    height = gap + max(len(items), 1) * (bar_height + gap)
    return Chart(width, height, bars, scale_max)


def columns(
    items: Sequence[tuple[str, Sequence[tuple[int, str]]]],
    *,
    width: int = 560,
    height: int = 200,
    label_height: int = 24,
    top: int = 20,
) -> Chart:
    """One vertical column per item (e.g. per day); each stacks its segments bottom-up."""
    scale_max = max([sum(v for v, _ in segs) for _, segs in items] + [1])
    n = max(len(items), 1)
    slot = width / n
    col_width = slot * 0.6
    plot = height - label_height - top
    base = height - label_height
    bars: list[Bar] = []
    for i, (label, segs) in enumerate(items):
        x = i * slot + (slot - col_width) / 2
        y = float(base)
        segments = []
        for value, css in segs:
            h = plot * value / scale_max
            y -= h
            segments.append(Segment(value, x, y, col_width, h, css))
        total = sum(v for v, _ in segs)
        center = i * slot + slot / 2
        bars.append(Bar(label, total, segments, center, height - 6, center, y - 6))
    return Chart(width, height, bars, scale_max)
