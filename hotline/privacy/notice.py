"""The retention periods as the privacy texts state them, filled from the settings.

Prompt and SMS texts in `ivr_scripts/` write `{voicemail_days}` and `{content_days}`
where the periods go, so that the notice a caller hears, the SMS a texter reads and the
job that deletes (hotline.privacy.retention) all follow one configuration.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from hotline.config import Settings, read_retention

RETENTION_PLACEHOLDERS = frozenset({"voicemail_days", "content_days"})
# A period stated in a text: at most this many digits (the settings allow 1 to 36500).
WORST_CASE_DAYS = "36500"

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def retention_values(settings: Settings) -> dict[str, str]:
    return {
        "voicemail_days": str(settings.retain_voicemail_audio_days),
        "content_days": str(settings.retain_content_days),
    }


def retention_values_from_env() -> dict[str, str]:
    """The same values for commands that run without the rest of the configuration."""
    days = read_retention()
    return {
        "voicemail_days": str(days["HOTLINE_RETAIN_VOICEMAIL_AUDIO_DAYS"]),
        "content_days": str(days["HOTLINE_RETAIN_CONTENT_DAYS"]),
    }


def placeholders_in(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text))


def fill(text: str, values: Mapping[str, str]) -> str:
    """`text` with each `{name}` that `values` knows replaced; others are left as typed."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)
