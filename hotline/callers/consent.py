"""The worker's choices and consents: held per worker, the newest answer wins, every
answer kept (`ConsentEntry`). Callback requests, the IVR and the SMS gate read them here.

"Not asked" (None) is never read as "no": only an explicit answer refuses.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.agents.models import Agent
from hotline.callbacks.models import WINDOWS
from hotline.callers.models import Caller, ConsentEntry, PrivacyNotice
from hotline.cases.models import Case
from hotline.db import insert_unless_taken, iso, utcnow
from hotline.sms import optout

# subject → the values an answer may take
SUBJECTS: dict[str, tuple[str, ...]] = {
    "sms": ("yes", "no"),
    "discretion": ("yes", "no"),  # yes: we may say we are the hotline
    "call_window": WINDOWS,
    "privacy_notice": ("heard",),
    "recording": ("yes", "no"),
    "number_share": ("yes", "no"),
}
CHANNELS = ("voice", "sms", "agent")
# The subjects an adviser may record on the worker's request (hearing the notice or
# recording a voice message are things the worker does themselves).
ADVISER_SUBJECTS = ("sms", "discretion", "call_window", "number_share")


class ChoiceError(ValueError):
    """An answer that is not one of its subject's values."""


@dataclass(frozen=True)
class Choices:
    """The worker's current choices; None where they were never asked."""

    sms_allowed: bool | None
    may_identify: bool | None
    call_window: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "sms_allowed": self.sms_allowed,
            "may_identify": self.may_identify,
            "call_window": self.call_window,
        }


def current_choices(caller: Caller) -> Choices:
    return Choices(caller.sms_allowed, caller.may_identify, caller.call_window)


def _yes(value: str) -> bool:
    return value == "yes"


def record_answer(
    session: Session,
    caller: Caller,
    subject: str,
    value: str,
    *,
    channel: str,
    case: Case | None = None,
    agent_id: int | None = None,
    notice_version: int | None = None,
    at: dt.datetime | None = None,
) -> ConsentEntry:
    """Keep one answer and make it the current one; the caller commits."""
    allowed = SUBJECTS.get(subject)
    if allowed is None:
        raise ChoiceError(f"subject must be one of: {', '.join(SUBJECTS)}")
    if value not in allowed:
        raise ChoiceError(f"{subject} must be one of: {', '.join(allowed)}")
    if channel not in CHANNELS:
        raise ChoiceError(f"channel must be one of: {', '.join(CHANNELS)}")
    at = at or utcnow()
    if subject == "sms":
        caller.sms_allowed = _yes(value)
    elif subject == "discretion":
        caller.may_identify = _yes(value)
    elif subject == "call_window":
        caller.call_window = value
    elif subject == "privacy_notice":
        caller.privacy_notice_at = at
    elif subject == "number_share" and case is not None:
        case.number_share_agreed_at = at if _yes(value) else None
        case.number_share_recorded_by_id = agent_id if _yes(value) else None
    entry = ConsentEntry(
        caller_id=caller.id,
        subject=subject,
        value=value,
        channel=channel,
        notice_version=notice_version,
        case_id=case.id if case is not None else None,
        agent_id=agent_id,
        at=at,
    )
    session.add(entry)
    return entry


def record_on_request(
    session: Session, *, case: Case, agent: Agent, subject: str, value: str
) -> ConsentEntry:
    """An adviser records what the worker asked for (on the phone, in a text): on the
    worker's ledger, on the case's timeline, and in the audit log."""
    from hotline.cases.work import add_event

    if subject not in ADVISER_SUBJECTS:
        raise ChoiceError(f"subject must be one of: {', '.join(ADVISER_SUBJECTS)}")
    caller = session.get(Caller, case.caller_id)
    if caller is None:  # pragma: no cover - every case has its caller
        raise ChoiceError("this case has no worker to record a choice for")
    entry = record_answer(
        session, caller, subject, value, channel="agent", case=case, agent_id=agent.id
    )
    add_event(session, case, "consent", agent, subject=subject, value=value)
    return entry


def remember_choices(
    session: Session,
    caller: Caller,
    *,
    channel: str,
    case: Case | None = None,
    sms_allowed: bool | None = None,
    may_identify: bool | None = None,
    call_window: str | None = None,
) -> Choices:
    """Record the answers given (None: not asked this time) and return the worker's
    choices as they now stand."""
    answers = (
        ("sms", None if sms_allowed is None else ("yes" if sms_allowed else "no")),
        ("discretion", None if may_identify is None else ("yes" if may_identify else "no")),
        ("call_window", call_window),
    )
    for subject, value in answers:
        if value is not None:
            record_answer(session, caller, subject, value, channel=channel, case=case)
    return current_choices(caller)


# --- the privacy notice's versions -------------------------------------------------------


def notice_texts() -> dict[str, str]:
    """The spoken privacy notice in every language that has it, from `ivr_scripts/`."""
    from hotline.voice.scripts import get_scripts

    scripts = get_scripts()
    return {
        code: lang.prompts["privacy_notice"].text
        for code, lang in sorted(scripts.languages.items())
        if "privacy_notice" in lang.prompts
    }


def notice_version(session: Session) -> int:
    """The version number of the notice's current text, recorded the first time this
    text is seen: editing the text in `ivr_scripts/` makes a new version."""
    texts = notice_texts()
    digest = hashlib.sha256(json.dumps(texts, sort_keys=True).encode()).hexdigest()
    for _ in range(3):
        version = session.scalar(
            select(PrivacyNotice.version).where(PrivacyNotice.digest == digest)
        )
        if version is None:
            latest = session.scalar(select(func.max(PrivacyNotice.version))) or 0
            row = insert_unless_taken(
                session, PrivacyNotice, version=latest + 1, digest=digest, texts=texts
            )
            version = row.version if row is not None else None
        if version is not None:
            return version
    raise RuntimeError("could not record the privacy notice's version")  # pragma: no cover


def notice_heard(session: Session, caller: Caller, *, case: Case | None = None) -> ConsentEntry:
    """The worker has just been played the privacy notice (by phone)."""
    return record_answer(
        session,
        caller,
        "privacy_notice",
        "heard",
        channel="voice",
        case=case,
        notice_version=notice_version(session),
    )


# --- the ledger as advisers see it -------------------------------------------------------


def ledger(session: Session, caller: Caller) -> dict[str, Any]:
    """The worker's choices now, the latest answer per subject, and the whole history
    (newest first), STOP and START included."""
    entries = list(
        session.scalars(
            select(ConsentEntry)
            .where(ConsentEntry.caller_id == caller.id)
            .order_by(ConsentEntry.at.desc(), ConsentEntry.id.desc())
        )
    )
    history: list[dict[str, Any]] = [
        {
            "subject": e.subject,
            "value": e.value,
            "channel": e.channel,
            "at": iso(e.at),
            "notice_version": e.notice_version,
            "case_id": e.case_id,
            "agent_id": e.agent_id,
        }
        for e in entries
    ]
    for event in optout.history(session, caller.id):
        history.append(
            {
                "subject": "sms_opt_out",
                "value": event.action,
                "channel": "sms",
                "at": iso(event.at),
                "notice_version": None,
                "case_id": None,
                "agent_id": None,
            }
        )
    history.sort(key=lambda item: item["at"] or "", reverse=True)
    latest: dict[str, dict[str, Any]] = {}
    for item in history:
        latest.setdefault(item["subject"], item)
    return {
        "choices": current_choices(caller).as_json(),
        "consents": latest,
        "history": history,
    }
