"""What an agent may see of cases and callbacks, as JSON-ready dicts.

Shared by the agent API and the agent web UI. An agent sees open cases in the
languages they speak or assigned to them (supervisors see all); anything else is
"not found". Every read of a case's personal data writes an audit event, and phone
numbers only ever leave here masked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from hotline.agents.models import Agent
from hotline.audit import record
from hotline.callbacks.models import CallbackAttempt, CallbackRequest
from hotline.callers.models import Caller
from hotline.cases.models import Case
from hotline.cases.work import topics_of
from hotline.crypto import decrypt_phone, mask_phone
from hotline.sms.models import SmsMessage
from hotline.translation.models import Translation
from hotline.voice.models import Voicemail

TRANSLATION_LABELS = {
    "pending": "translating",
    "done": "machine translation",
    "failed": "translation failed",
    "not_configured": "not translated",
}


def iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _held_by(agent: Agent) -> Any:
    """Cases with a callback this agent holds: they must see what they are about to dial."""
    return select(CallbackRequest.case_id).where(
        CallbackRequest.claimed_by_id == agent.id, CallbackRequest.status == "claimed"
    )


def _visible(agent: Agent) -> ColumnElement[bool] | None:
    if agent.is_supervisor:
        return None
    return or_(
        Case.language.in_(list(agent.languages)),
        Case.assigned_agent_id == agent.id,
        Case.id.in_(_held_by(agent)),
    )


def visible_cases(session: Session, agent: Agent, *, limit: int = 100) -> list[Case]:
    """Open cases this agent may see, latest activity first."""
    query = select(Case).where(Case.status != "closed")
    condition = _visible(agent)
    if condition is not None:
        query = query.where(condition)
    return list(
        session.scalars(query.order_by(Case.last_activity_at.desc(), Case.id.desc()).limit(limit))
    )


def case_for_agent(session: Session, agent: Agent, case_id: int) -> Case | None:
    """The case if this agent may see it; None reads as 404 (no hint that it exists)."""
    case = session.get(Case, case_id)
    if case is None:
        return None
    if agent.is_supervisor or agent.speaks(case.language) or case.assigned_agent_id == agent.id:
        return case
    held = session.scalar(_held_by(agent).where(CallbackRequest.case_id == case.id).limit(1))
    return case if held is not None else None


def case_summary_json(case: Case) -> dict[str, Any]:
    return {
        "id": case.id,
        "reference": case.reference,
        "language": case.language,
        "status": case.status,
        "urgent": case.urgent,
        "last_activity_at": iso(case.last_activity_at),
        "last_activity": iso(case.last_activity_at),
    }


def _masked(secret: str, encrypted: str | None) -> str | None:
    return mask_phone(decrypt_phone(secret, encrypted)) if encrypted else None


def _translation_json(row: Translation) -> dict[str, Any]:
    # Only a finished translation carries text: nothing else is shown as one.
    return {
        "language": row.target_language,
        "source_language": row.source_language,
        "status": row.status,
        "label": (
            "back-translation"
            if row.provider == "back-translation"
            else TRANSLATION_LABELS.get(row.status, row.status)
        ),
        "text": row.text if row.status == "done" else None,
    }


def _translations(
    session: Session, kind: str, ids: Iterable[int]
) -> dict[int, list[dict[str, Any]]]:
    wanted = list(ids)
    out: dict[int, list[dict[str, Any]]] = {i: [] for i in wanted}
    if not wanted:
        return out
    rows = session.scalars(
        select(Translation)
        .where(Translation.source_kind == kind, Translation.source_id.in_(wanted))
        .order_by(Translation.source_id, Translation.target_language)
    )
    for row in rows:
        out[row.source_id].append(_translation_json(row))
    return out


def attempt_json(attempt: CallbackAttempt) -> dict[str, Any]:
    return {
        "id": attempt.id,
        "number": attempt.number,
        "agent_id": attempt.agent_id,
        "state": attempt.state,
        "call_status": attempt.call_status,
        "dial_status": attempt.dial_status,
        "dial_duration_seconds": attempt.dial_duration_seconds,
        "outcome": attempt.outcome,
        "note": attempt.note,
        "error": attempt.error,
        "created_at": iso(attempt.created_at),
    }


def callbacks_json(
    session: Session,
    secret: str,
    callbacks: Sequence[CallbackRequest],
    *,
    with_attempts: bool = False,
) -> list[dict[str, Any]]:
    """Callbacks as the API shows them: the worker's discretion choices up front and the
    number masked."""
    case_ids = {cb.case_id for cb in callbacks}
    references: dict[int, str] = {}
    if case_ids:
        for case_id, reference in session.execute(
            select(Case.id, Case.reference).where(Case.id.in_(case_ids))
        ):
            references[case_id] = reference
    attempts: dict[int, list[dict[str, Any]]] = {cb.id: [] for cb in callbacks}
    if with_attempts and callbacks:
        for attempt in session.scalars(
            select(CallbackAttempt)
            .where(CallbackAttempt.callback_id.in_(list(attempts)))
            .order_by(CallbackAttempt.id)
        ):
            attempts[attempt.callback_id].append(attempt_json(attempt))
    out = []
    for cb in callbacks:
        item: dict[str, Any] = {
            "id": cb.id,
            "case_id": cb.case_id,
            "case_reference": references.get(cb.case_id),
            "reference": references.get(cb.case_id),
            "language": cb.language,
            "status": cb.status,
            "phone_masked": _masked(secret, cb.phone_encrypted),
            "window": cb.window,
            "discretion": {"may_identify": cb.may_identify, "sms_allowed": cb.sms_allowed},
            "urgent": cb.urgent,
            "priority": cb.priority,
            "source": cb.source,
            "attempts": cb.attempts,
            "next_attempt_at": iso(cb.next_attempt_at),
            "claimed_by_id": cb.claimed_by_id,
            "lease_expires_at": iso(cb.lease_expires_at),
            "outcome": cb.outcome,
            "closed_reason": cb.closed_reason,
            "created_at": iso(cb.created_at),
        }
        if with_attempts:
            item["attempt_log"] = attempts[cb.id]
        out.append(item)
    return out


def case_detail(session: Session, secret: str, agent: Agent, case: Case) -> dict[str, Any]:
    """The whole case for an agent, and an audit event saying they read it."""
    caller = session.get(Caller, case.caller_id)
    messages = list(
        session.scalars(
            select(SmsMessage)
            .where(SmsMessage.case_id == case.id)
            .order_by(SmsMessage.created_at, SmsMessage.id)
        )
    )
    voicemails = list(
        session.scalars(
            select(Voicemail)
            .where(Voicemail.case_id == case.id)
            .order_by(Voicemail.created_at, Voicemail.id)
        )
    )
    callbacks = list(
        session.scalars(
            select(CallbackRequest)
            .where(CallbackRequest.case_id == case.id)
            .order_by(CallbackRequest.created_at, CallbackRequest.id)
        )
    )
    sms_translations = _translations(session, "sms", (m.id for m in messages))
    vm_translations = _translations(session, "voicemail", (v.id for v in voicemails))
    record(session, "case.read", "case", case.id, agent_id=agent.id)
    message_items = [
        {
            "id": m.id,
            "direction": m.direction,
            "kind": m.kind,
            "text": m.body,
            "language": m.language,
            "status": m.status,
            "agent_id": m.agent_id,
            "segments": m.segments,
            "created_at": iso(m.created_at),
            "translations": sms_translations.get(m.id, []),
            "translation": _done_texts(sms_translations.get(m.id, [])),
        }
        for m in messages
    ]
    voicemail_items = [
        {
            "id": v.id,
            "language": v.language,
            "duration_seconds": v.duration_seconds,
            "transcription_status": v.transcription_status,
            "transcript": v.transcript if v.transcription_status == "done" else None,
            "transcript_confidence": v.transcript_confidence,
            "created_at": iso(v.created_at),
            "translations": vm_translations.get(v.id, []),
            "translation": _done_texts(vm_translations.get(v.id, [])),
        }
        for v in voicemails
    ]
    callback_items = callbacks_json(session, secret, callbacks, with_attempts=True)
    timeline = sorted(
        [{"type": "message", "at": item["created_at"], "id": item["id"]} for item in message_items]
        + [
            {"type": "voicemail", "at": item["created_at"], "id": item["id"]}
            for item in voicemail_items
        ]
        + [
            {"type": "callback", "at": item["created_at"], "id": item["id"]}
            for item in callback_items
        ],
        key=lambda entry: (entry["at"] or "", entry["type"], entry["id"]),
    )
    return {
        **case_summary_json(case),
        "topics": topics_of(session, case.id),
        "assigned_agent_id": case.assigned_agent_id,
        "created_at": iso(case.created_at),
        "phone_masked": _masked(secret, caller.phone_encrypted) if caller else None,
        "masked_number": _masked(secret, caller.phone_encrypted) if caller else None,
        "sms_opted_out": bool(caller and caller.sms_opted_out),
        "timeline": timeline,
        "messages": message_items,
        "voicemails": voicemail_items,
        "callbacks": callback_items,
    }


def _done_texts(translations: list[dict[str, Any]]) -> dict[str, str]:
    """Finished machine translations by language: nothing else is shown as one."""
    return {t["language"]: t["text"] for t in translations if t["status"] == "done" and t["text"]}
