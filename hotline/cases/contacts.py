"""When and how a worker reached the hotline about a case, and when an adviser first
answered: read from the case's calls, texts, voicemails and callback attempts.

Shared by the supervisors' reports and the hand-over to a partner organisation. Only
times and channel names are read: never a number, a message or a transcript.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from hotline.callbacks.models import CallbackAttempt, CallbackRequest
from hotline.sms.models import SmsMessage
from hotline.voice.models import Call, Voicemail

CHANNELS = ("call", "sms", "voicemail")


@dataclass
class Contacts:
    """One case's contact history in times only."""

    channels: set[str] = field(default_factory=set)
    first_contact_at: dt.datetime | None = None  # the worker's first call, text or voicemail
    last_contact_at: dt.datetime | None = None  # ... and their latest
    first_answer_at: dt.datetime | None = None  # an adviser's SMS reply or a reached callback
    callbacks_closed: int = 0
    callbacks_reached: int = 0

    @property
    def first_response_minutes(self) -> int | None:
        """Minutes from the worker's first contact to the first adviser answer."""
        if self.first_contact_at is None or self.first_answer_at is None:
            return None
        seconds = (self.first_answer_at - self.first_contact_at).total_seconds()
        return max(0, round(seconds / 60))


def aware(value: dt.datetime | str | None) -> dt.datetime | None:
    """min()/max() over a date-time column may come back naive, or as text on SQLite."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _earliest(a: dt.datetime | None, b: dt.datetime | None) -> dt.datetime | None:
    return min(x for x in (a, b) if x is not None) if (a or b) else None


def _latest(a: dt.datetime | None, b: dt.datetime | None) -> dt.datetime | None:
    return max(x for x in (a, b) if x is not None) if (a or b) else None


def contacts_of(session: Session, case_ids: Select[Any] | Iterable[int]) -> dict[int, Contacts]:
    """Contacts per case for `case_ids` (a list, or a select of case ids), read with one
    grouped query per source so a report over many cases stays a handful of queries."""
    ids: Any = case_ids if isinstance(case_ids, Select) else list(case_ids)
    out: dict[int, Contacts] = {}

    def entry(case_id: int) -> Contacts:
        return out.setdefault(case_id, Contacts())

    worker = SmsMessage.direction == "in"
    reply = (SmsMessage.direction == "out") & (SmsMessage.kind == "agent")
    texts: Any = (
        select(
            SmsMessage.case_id,
            func.min(SmsMessage.created_at).filter(worker),
            func.max(SmsMessage.created_at).filter(worker),
            func.min(SmsMessage.created_at).filter(reply),
        )
        .where(SmsMessage.case_id.in_(ids))
        .group_by(SmsMessage.case_id)
    )
    for case_id, first, last, first_reply in session.execute(texts):
        found = entry(case_id)
        if first is not None:
            found.channels.add("sms")
            found.first_contact_at = aware(first)
            found.last_contact_at = aware(last)
        found.first_answer_at = aware(first_reply)

    voice_sources: list[tuple[str, Any]] = [
        (
            "call",
            select(Call.case_id, func.min(Call.started_at), func.max(Call.started_at))
            .where(Call.case_id.in_(ids), Call.direction == "inbound")
            .group_by(Call.case_id),
        ),
        (
            "voicemail",
            select(
                Voicemail.case_id, func.min(Voicemail.created_at), func.max(Voicemail.created_at)
            )
            .where(Voicemail.case_id.in_(ids))
            .group_by(Voicemail.case_id),
        ),
    ]
    for channel, query in voice_sources:
        for case_id, first, last in session.execute(query):
            found = entry(case_id)
            found.channels.add(channel)
            found.first_contact_at = _earliest(found.first_contact_at, aware(first))
            found.last_contact_at = _latest(found.last_contact_at, aware(last))

    reached_calls = (
        select(CallbackRequest.case_id, func.min(CallbackAttempt.created_at))
        .join(CallbackRequest, CallbackRequest.id == CallbackAttempt.callback_id)
        .where(CallbackRequest.case_id.in_(ids), CallbackAttempt.outcome == "reached")
        .group_by(CallbackRequest.case_id)
    )
    for case_id, first in session.execute(reached_calls):
        found = entry(case_id)
        found.first_answer_at = _earliest(found.first_answer_at, aware(first))

    callbacks = (
        select(CallbackRequest.case_id, CallbackRequest.outcome, func.count())
        .where(CallbackRequest.case_id.in_(ids), CallbackRequest.status == "closed")
        .group_by(CallbackRequest.case_id, CallbackRequest.outcome)
    )
    for case_id, outcome, count in session.execute(callbacks):
        found = entry(case_id)
        found.callbacks_closed += int(count)
        if outcome == "reached":
            found.callbacks_reached += int(count)
    return out
