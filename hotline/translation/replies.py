"""An agent's reply, translated into the worker's language and back again.

The back-translation lets an agent check the meaning before a worker reads it. It runs
synchronously (the agent is waiting, this is no Twilio webhook) through the same
redaction, glossary and cache as every other translation. When translation is not
configured or fails, `status` says so and `translated_text` is None: nothing is ever
presented as a translation that is not one. Cache and usage rows are written in short
transactions of their own, never while the caller holds one open.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from hotline.agents.models import Agent
from hotline.callers.models import Caller
from hotline.cases.models import Case
from hotline.clients import NotConfigured
from hotline.languages import LANGUAGES
from hotline.sms.script_guess import looks_unlike
from hotline.sms.segments import count_segments
from hotline.translation.google import ProviderError
from hotline.translation.redaction import normalise
from hotline.translation.service import detect_language, translate_text

if TYPE_CHECKING:
    from hotline.runtime import Runtime

REPLY_STATUSES = ("translated", "same_language", "not_configured", "failed")


@dataclass(frozen=True)
class ReplyPreview:
    text: str  # what the agent wrote
    source_language: str | None  # the agent's language
    target_language: str | None  # the worker's language
    status: str  # translated | same_language | not_configured | failed
    translated_text: str | None  # what the worker would receive; None if not translated
    back_translation: str | None  # translated_text rendered back into the agent's language
    segments: int  # SMS segments of what would be sent
    encoding: str  # GSM-7 | UCS-2
    error: str | None = None
    # The text's writing system rules out `source_language`: the agent should check
    # the language they said they write in.
    looks_unlike_source: bool = False

    @property
    def body_to_send(self) -> str | None:
        """The SMS body for the worker, or None when there is no honest one to send."""
        if self.status in ("translated", "same_language"):
            return self.translated_text
        return None


def agent_language(runtime: Runtime, agent: Agent, text: str) -> str | None:
    """The language the agent wrote in: their only one, or the one Google recognises."""
    languages = list(agent.languages or [])
    if len(languages) <= 1 or not runtime.settings.google_configured:
        return languages[0] if languages else None
    try:
        found = detect_language(runtime, text)
    except (ProviderError, NotConfigured):
        return languages[0]
    return found.language if found.language in languages else languages[0]


def check_language(language: str | None) -> str | None:
    """A language the agent says they write in: a supported code, or a ValueError."""
    if language is None:
        return None
    if not isinstance(language, str) or language not in LANGUAGES:
        raise ValueError("language must be one of the supported language codes, e.g. en")
    return language


def prepare_reply(
    runtime: Runtime,
    session: Session,
    *,
    case: Case,
    agent: Agent,
    text: str,
    language: str | None = None,
) -> ReplyPreview:
    """Translate an agent's reply for the worker of `case`, with a back-translation.

    `language` is the one the agent says they wrote in; without it, the agent's only
    language or the one of theirs Google recognises in the text.

    Commits `session` first: Google may take seconds to answer, and on SQLite an open
    transaction holds the database's one write lock, which every webhook needs. The
    cache and usage rows are written in short transactions of their own.
    """
    clean = normalise(text)
    caller = session.get(Caller, case.caller_id)
    target = case.language or (caller.language if caller else None)
    session.commit()
    source = check_language(language) or agent_language(runtime, agent, clean)

    def preview(
        status: str,
        translated: str | None,
        back: str | None = None,
        error: str | None = None,
    ) -> ReplyPreview:
        count = count_segments(translated if translated is not None else clean)
        return ReplyPreview(
            text=clean,
            source_language=source,
            target_language=target,
            status=status,
            translated_text=translated,
            back_translation=back,
            segments=count.segments,
            encoding=count.encoding,
            error=error,
            looks_unlike_source=source is not None and looks_unlike(clean, source),
        )

    if target is None or source is None:
        return preview("failed", None, error="the worker's language is not known")
    if target == source:
        return preview("same_language", clean)
    if not runtime.settings.google_configured:
        sample = getattr(runtime, "sample_translation", None)
        if sample is not None:  # a training space: stored samples, never a made-up text
            stored = sample(clean, source, target)
            if stored is None:
                return preview("not_configured", None, error="no translation in training")
            return preview("translated", stored, clean)
        return preview("not_configured", None, error="machine translation is not configured")
    try:
        forward = translate_text(runtime, clean, source=source, target=target)
        back = translate_text(runtime, forward.text, source=target, target=source)
    except NotConfigured:
        return preview("not_configured", None, error="machine translation is not configured")
    except ProviderError as exc:
        return preview("failed", None, error=f"translation failed: {exc}")
    return preview("translated", forward.text, back.text)
