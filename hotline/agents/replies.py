"""An agent's SMS reply to a worker: translated by the language pipeline, then sent
through the outbox once the SMS gate (STOP, the worker's "no SMS") lets it.

Untranslated text goes out only when no translation is needed (the agent wrote in the
worker's language) or translation is not configured at all, and then it is marked
"not_translated": nothing is ever presented as a translation that is not one. The
back-translation the agent checked is kept on the sent message.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from hotline.agents.models import Agent
from hotline.audit import record
from hotline.callers.models import Caller
from hotline.cases.models import Case
from hotline.cases.service import answered
from hotline.errors import Refused
from hotline.runtime import Runtime
from hotline.sms.gate import REFUSALS, sms_refusal
from hotline.sms.outbound import queue_sms
from hotline.sms.segments import count_segments
from hotline.translation.models import Translation
from hotline.translation.replies import ReplyPreview, prepare_reply

MAX_REPLY = 1600  # Twilio's limit for one message body


class ReplyError(Refused):
    """A reply that cannot be sent now."""


class SmsRefused(ReplyError):
    """The gate refused: the worker opted out (STOP) or asked not to be texted."""

    def __init__(self, code: str) -> None:
        super().__init__(REFUSALS[code])
        self.code = code


class LanguageUnknown(ReplyError):
    code = "worker_language_unknown"


class CannotTranslate(ReplyError):
    status = 503
    code = "translation_unavailable"


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
    source_language: str | None  # the language the agent's text was taken to be in


def prepare(
    runtime: Runtime,
    session: Session,
    *,
    case: Case,
    agent: Agent,
    text: str,
    language: str | None = None,
) -> ReplyPreview:
    """The preview an agent sees before sending: translation, back-translation, segments.
    `language` is the one the agent writes in (see `prepare_reply`)."""
    return prepare_reply(runtime, session, case=case, agent=agent, text=text, language=language)


def _body_and_status(prepared: ReplyPreview, text: str) -> tuple[str, str]:
    """What to send and how to label it. Untranslated text goes out only when no
    translation is needed or none is configured, labelled "not_translated"."""
    status = prepared.status
    if prepared.body_to_send:
        return prepared.body_to_send, status
    if status == "not_configured":
        return text, "not_translated"
    if prepared.target_language is None:
        raise LanguageUnknown("the worker's language is not known: set it before replying")
    raise CannotTranslate("the reply could not be translated; nothing was sent")


def send_reply(
    runtime: Runtime,
    session: Session,
    *,
    case: Case,
    agent: Agent,
    text: str,
    language: str | None = None,
) -> SentReply:
    """Translate `text`, written in `language` (default: the agent's, see
    `prepare_reply`), for the worker and queue the SMS. The caller commits."""
    text = text.strip()
    if not text:
        raise ValueError("text must not be empty")
    if len(text) > MAX_REPLY:
        raise ValueError(f"text must be at most {MAX_REPLY} characters")
    caller = session.get(Caller, case.caller_id)
    refusal = sms_refusal(session, caller, "reply") if caller is not None else "opted_out"
    if refusal is not None:
        raise SmsRefused(refusal)
    assert caller is not None
    prepared = prepare(runtime, session, case=case, agent=agent, text=text, language=language)
    body, status = _body_and_status(prepared, text)
    # The label says what the text is written in: the worker's language only when it
    # really is in it (translated, or written so), else the language the agent wrote.
    if status in ("translated", "same_language"):
        body_language = prepared.target_language or case.language
    else:
        body_language = prepared.source_language or prepared.target_language or case.language
    message = queue_sms(
        session,
        purpose="reply",
        caller=caller,
        body=body,
        case=case,
        kind="agent",
        agent_id=agent.id,
        language=body_language,
    )
    if message is None:  # pragma: no cover - the gate was asked above, in this transaction
        raise SmsRefused("opted_out")
    if status == "translated" and prepared.back_translation is not None:
        # What the agent checked before sending, kept beside the message the worker got.
        session.add(
            Translation(
                source_kind="sms",
                source_id=message.id,
                source_language=body_language,
                target_language=prepared.source_language or agent.languages[0],
                status="done",
                text=prepared.back_translation,
                provider="back-translation",
            )
        )
    answered(case)
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
        language=body_language,
        source_language=prepared.source_language,
    )
