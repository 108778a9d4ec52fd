"""Back-translations for reviewers: each text of a pack translated back into English by
the existing Google client (hotline.translation.google), so a reviewer can see what the
machine thinks a text says. Without Google nothing is shown as a translation: the page
says why instead. Answers are kept per process (the texts rarely change)."""

from __future__ import annotations

import html
import threading
from dataclasses import dataclass

from hotline.config import Settings
from hotline.languages import LANGUAGES

_cache: dict[tuple[str, str], str] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class BackTranslations:
    texts: dict[str, str]  # pack text -> its English back-translation
    unavailable: str | None = None  # why there are none (shown instead)


def back_translate(settings: Settings, language: str, texts: list[str]) -> BackTranslations:
    if language == "en":
        return BackTranslations({}, "English is the source: nothing to back-translate")
    if not settings.google_configured:
        return BackTranslations(
            {}, "no back-translation: Google Translate is not configured (GOOGLE_CLOUD_PROJECT)"
        )
    from hotline.translation.google import GoogleTranslate, ProviderError

    with _lock:
        known = {t: _cache[(language, t)] for t in texts if (language, t) in _cache}
    wanted = [t for t in dict.fromkeys(texts) if t not in known]
    if wanted:
        try:
            answers = GoogleTranslate(settings).translate_many(
                [html.escape(t) for t in wanted],
                source=LANGUAGES[language].google_translate,
                target="en",
            )
        except ProviderError as exc:
            return BackTranslations(known, f"no back-translation: {exc}")
        with _lock:
            for text, answer in zip(wanted, answers, strict=True):
                _cache[(language, text)] = known[text] = html.unescape(answer)
    return BackTranslations(known)
