"""Coverage per language and channel: reviewed / machine draft texts, and how each voice
prompt reaches a caller (synthetic voice / human voice / missing).

Shown by `hotline prompts check` and the /review page. A language whose callers would
hear nothing (no Twilio voice, no synthetic voice, prompts not recorded) is flagged:
its callers hear a tone sequence and the language's name, then get a callback request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from hotline.languages import LANGUAGES
from hotline.review.packs import Packs, pack_texts

SYNTHETIC_SOURCES = frozenset({"espeak-ng", "google-tts"})
REVIEWED, DRAFT, SYNTHETIC, HUMAN, MISSING = (
    "reviewed",
    "machine draft",
    "synthetic voice",
    "human voice",
    "missing",
)
VOICE_COLUMNS = (REVIEWED, DRAFT, SYNTHETIC, HUMAN, MISSING)
SMS_COLUMNS = (REVIEWED, DRAFT)


@dataclass
class LanguageCoverage:
    code: str
    name: str
    voice: dict[str, int] = field(default_factory=lambda: dict.fromkeys(VOICE_COLUMNS, 0))
    sms: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SMS_COLUMNS, 0))
    # (channel, key) -> text status, and key -> voice status, for the review page.
    texts: dict[tuple[str, str], str] = field(default_factory=dict)
    voices: dict[str, str] = field(default_factory=dict)
    no_voice: bool = False

    @property
    def no_voice_notice(self) -> str:
        return (
            f"NO VOICE: {self.name} callers hear a tone sequence and the language's name, "
            "then get a callback request (record the prompts by phone)"
        )


def voice_status(p: Packs, language: str, prompt: str, recorded: Mapping[str, int]) -> str:
    """How a prompt reaches a caller: Twilio or a rendered file is synthetic, a person's
    recording (by phone or a file not made by an engine) is human, else missing."""
    if LANGUAGES[language].has_tts:
        return SYNTHETIC
    if prompt in recorded:
        return HUMAN
    audio = p.voice.audio(language, prompt)
    if audio is None:
        return MISSING
    return SYNTHETIC if audio.source in SYNTHETIC_SOURCES else HUMAN


def coverage(
    p: Packs, recorded: Mapping[str, Mapping[str, int]] | None = None
) -> list[LanguageCoverage]:
    """Every language's coverage; `recorded` is language -> prompt -> phone recording id."""
    recorded = recorded or {}
    needed = {name for node in p.voice.menu.nodes.values() for name in node.prompts}
    out = []
    for code, lang in LANGUAGES.items():
        row = LanguageCoverage(code, lang.english_name)
        for item in pack_texts(p, code):
            status = REVIEWED if item.reviewed else DRAFT
            row.texts[(item.channel, item.key)] = status
            (row.voice if item.channel == "voice" else row.sms)[status] += 1
            if item.channel == "voice":
                how = voice_status(p, code, item.key, recorded.get(code, {}))
                row.voices[item.key] = how
                row.voice[how] += 1
        row.no_voice = any(row.voices.get(name) == MISSING for name in needed)
        out.append(row)
    return out


def render_table(rows: list[LanguageCoverage]) -> list[str]:
    """The coverage as text lines, the no-voice languages first and loud."""
    lines = [f"!! {row.no_voice_notice}" for row in rows if row.no_voice]
    head = (
        f"{'lang':<5}| voice: {'reviewed':>8} {'draft':>5} {'synth':>5} {'human':>5} "
        f"{'miss':>4} | sms: {'reviewed':>8} {'draft':>5}"
    )
    lines += ["coverage per language and channel (draft = machine draft)", head]
    for row in rows:
        v, s = row.voice, row.sms
        flag = "  NO VOICE" if row.no_voice else ""
        lines.append(
            f"{row.code:<5}|        {v[REVIEWED]:>8} {v[DRAFT]:>5} {v[SYNTHETIC]:>5} "
            f"{v[HUMAN]:>5} {v[MISSING]:>4} |      {s[REVIEWED]:>8} {s[DRAFT]:>5}{flag}"
        )
    return lines
