"""What a case can be about: codes and their labels in the interface's languages, read
from `hotline/data/topics.csv` so a new topic is a data change."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class Topic:
    code: str
    labels: dict[str, str]

    def label(self, ui_language: str) -> str:
        return self.labels.get(ui_language) or self.labels["en"]


@cache
def topics() -> dict[str, Topic]:
    """Every topic by code, in the file's order."""
    text = (resources.files("hotline") / "data" / "topics.csv").read_text(encoding="utf-8")
    out: dict[str, Topic] = {}
    for row in csv.DictReader(text.splitlines()):
        code = row.pop("code").strip()
        if not code or code in out:
            raise ValueError(f"topics.csv: empty or repeated code {code!r}")
        out[code] = Topic(code, {lang: label.strip() for lang, label in row.items() if label})
    return out


TOPIC_CODES: tuple[str, ...] = tuple(topics())
