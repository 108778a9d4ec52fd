"""An agent's SMS reply to a worker: translated by the language pipeline, then sent
through the opt-out-checked outbox.

The translation comes from `hotline.translation.replies.prepare_reply`. Where that is
not installed, the text is sent unchanged only when no translation is needed (the
worker's language is one the agent writes) or translation is not configured at all,
and it is marked "not_translated": nothing is ever presented as a translation that
is not one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from hotline.agents.models import Agent
from hotline.audit import record
from hotline.callers.models import Caller
from hotline.cases.models import Case
from hotline.cases.service import touch
from hotline.runtime import Runtime
from hotline.sms.segments import count_segments

MAX_REPLY = 1600  # Twilio's limit for one message body


class ReplyError(Exception):
    status = 409
    code = "conflict"


class WorkerOptedOut(ReplyError):
    code = "opted_out"


class LanguageUnknown(ReplyError):
    code = "worker_language_unknown"


class CannotTranslate(ReplyError):
    status = 503
    code = "translation_unavailable"


@dataclass
class PreparedReply:
    """The shape `prepare_reply` returns, for the fallback below."""

    translated_text: str
    back_translation: str | None
    segments: int
    status: str
    language: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class SentReply:
    message_id: int
    status: str
    text: str
    sent_text: str  # what the worker receives
    translated_text: str | None  # None unless `sent_text` really is a translation
    back_translation: str | None
    segments: int
    language: str | None


def _fallback_prepare(runtime: Runtime, *, case: Case, agent: Agent, text: str) -> PreparedReply:
    worker_language = case.language
    if worker_language is not None and worker_language in agent.languages:
        status = "same_language"
    elif not runtime.settings.google_configured:
        status = "not_configured"
    else:
        raise CannotTranslate(
            "this reply needs a translation and the translation service is not available"
        )
    return PreparedReply(
        translated_text=text,
        back_translation=None,
        segments=count_segments(text).segments,
        status=status,
        language=worker_language,
    )


def prepare(runtime: Runtime, session: Session, *, case: Case, agent: Agent, text: str) -> Any:
    try:
        from hotline.translation.replies import prepare_reply
    except ImportError:
        return _fallback_prepare(runtime, case=case, agent=agent, text=text)
    return prepare_reply(runtime, session, case=case, agent=agent, text=text)


def _body_and_status(prepared: Any, text: str) -> tuple[str, str]:
    """What to send and how to label it. Untranslated text goes out only when no
    translation is needed or none is configured, labelled "not_translated"."""
    status = str(prepared.status)
    if status in ("translated", "same_language") and prepared.translated_text:
        return str(prepared.translated_text), status
    if status == "not_configured":
        return text, "not_translated"
    if getattr(prepared, "target_language", "") is None:
        raise LanguageUnknown("the worker's language is not known: set it before replying")
    raise CannotTranslate("the reply could not be translated; nothing was sent")


def send_reply(
    runtime: Runtime, session: Session, *, case: Case, agent: Agent, text: str
) -> SentReply:
    """Translate `text` for the worker and queue the SMS. The caller commits."""
    text = text.strip()
    if not text:
        raise ValueError("text must not be empty")
    if len(text) > MAX_REPLY:
        raise ValueError(f"text must be at most {MAX_REPLY} characters")
    caller = session.get(Caller, case.caller_id)
    if caller is None or caller.sms_opted_out:
        raise WorkerOptedOut("the worker has opted out of SMS (STOP): no message can be sent")
    prepared = prepare(runtime, session, case=case, agent=agent, text=text)
    body, status = _body_and_status(prepared, text)
    from hotline.sms.outbound import queue_sms

    language = (
        getattr(prepared, "target_language", None)
        or getattr(prepared, "language", None)
        or case.language
    )
    message = queue_sms(
        session,
        caller=caller,
        body=body,
        case=case,
        kind="agent",
        agent_id=agent.id,
        language=language,
    )
    if message is None:
        raise WorkerOptedOut("the worker has opted out of SMS (STOP): no message can be sent")
    touch(case)
    record(
        session,
        "case.reply",
        "case",
        case.id,
        agent_id=agent.id,
        message_id=message.id,
        translation=status,
    )
    return SentReply(
        message_id=message.id,
        status=status,
        text=text,
        sent_text=body,
        translated_text=body if status == "translated" else None,
        back_translation=prepared.back_translation,
        segments=count_segments(body).segments,
        language=language,
    )
