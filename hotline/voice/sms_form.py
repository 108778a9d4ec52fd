"""The written (SMS) form of a spoken prompt: the rights topics of key 4 are also sent by
SMS (`INFO <n>`), from the same entry of `ivr_scripts/prompts/<lang>.yaml`.

Beside its spoken `text`, such a prompt carries an `sms` block: the topic's `title` for
the numbered list, and a `text` only when the spoken one is too long for three SMS
segments. Without it the SMS sends the spoken text itself, written as people read it:
the digits spaced out for text-to-speech ("1 1 0") are joined again ("110").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hotline.sms.segments import count_segments

MAX_TOPIC_SEGMENTS = 3
_SPACED_DIGITS = re.compile(r"(?<!\d)\d(?: \d)+(?!\d)")


@dataclass(frozen=True)
class SmsForm:
    title: str
    text: str | None  # None: the spoken text is sent as it is written
    reviewed: bool


def written(spoken: str) -> str:
    """The spoken text as a reader expects it: `Call 1 1 0.` -> `Call 110.`"""
    return _SPACED_DIGITS.sub(lambda m: m.group(0).replace(" ", ""), spoken)


def parse(raw: Any, bad: Callable[[str], None]) -> SmsForm | None:
    """The `sms` block of a prompt entry, or None when it has none (or a broken one,
    which is reported through `bad`)."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        bad("`sms` must be a mapping with `title` and `reviewed`")
        return None
    title, text, reviewed = raw.get("title"), raw.get("text"), raw.get("reviewed")
    unknown = sorted(set(raw) - {"title", "text", "reviewed"})
    if unknown:
        bad(f"`sms` has an unknown field {unknown[0]!r}")
    if not isinstance(title, str) or not title.strip():
        bad("`sms` needs a `title` for the INFO list")
        return None
    if text is not None and (not isinstance(text, str) or not text.strip()):
        bad("`sms.text` must be text (or left out to send the spoken text)")
        return None
    if not isinstance(reviewed, bool):
        bad("`sms` needs `reviewed: true|false`")
        return None
    return SmsForm(title.strip(), text.strip() if text is not None else None, reviewed)


def sms_text(spoken: str, form: SmsForm) -> str:
    """What `INFO <n>` sends for this prompt."""
    return form.text if form.text is not None else written(spoken)


def too_long(spoken: str, form: SmsForm) -> str | None:
    """Why the topic's SMS does not fit, or None when it does."""
    segments = count_segments(sms_text(spoken, form)).segments
    if segments <= MAX_TOPIC_SEGMENTS:
        return None
    where = "`sms.text`" if form.text is not None else "the spoken text"
    fix = "shorten it" if form.text is not None else "add a shorter `sms.text`"
    return f"{where} takes {segments} SMS segments (at most {MAX_TOPIC_SEGMENTS}): {fix}"
