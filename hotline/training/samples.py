"""The stored sample cases and translations of training (hotline/data/training_samples.json).

In a training space they stand in for Google Translate: a text written for the samples
has its stored translation; any other text has none ("no translation in training"),
never a made-up one.
"""

from __future__ import annotations

import functools
import json
import unicodedata
from dataclasses import dataclass
from importlib import resources
from typing import Any


def _key(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


@dataclass(frozen=True)
class Samples:
    cases: tuple[dict[str, Any], ...]
    replies: tuple[dict[str, Any], ...]
    _index: dict[tuple[str, str, str], str]

    def translation(self, text: str, source: str, target: str) -> str | None:
        """The stored translation of `text` from `source` into `target`, or None."""
        return self._index.get((_key(text), source, target))


@functools.cache
def load_samples() -> Samples:
    raw = json.loads(
        (resources.files("hotline") / "data" / "training_samples.json").read_text("utf-8")
    )
    index: dict[tuple[str, str, str], str] = {}

    def add(text: str, source: str, translations: dict[str, str]) -> None:
        for target, translated in translations.items():
            index[(_key(text), source, target)] = translated
            index[(_key(translated), target, source)] = text

    for case in raw["cases"]:
        for message in case.get("messages", []):
            add(message["text"], case["language"], message["translations"])
        voicemail = case.get("voicemail")
        if voicemail:
            add(voicemail["transcript"], case["language"], voicemail["translations"])
    for reply in raw["replies"]:
        add(reply["text"], reply["language"], reply["translations"])
    return Samples(tuple(raw["cases"]), tuple(raw["replies"]), index)
