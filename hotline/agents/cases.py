"""What an agent may see of cases and callbacks, as JSON-ready dicts.

Shared by the agent API and the agent web UI. An agent sees open cases in the
languages they speak or assigned to them (supervisors see all); anything else is
"not found". Every read of a case's personal data writes an audit event, and phone
numbers only ever leave here masked.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.agents.models import Agent
from hotline.audit import record
from hotline.callbacks.models import CallbackAttempt, CallbackRequest
from hotline.callers.models import Caller
from hotline.cases.inbox import visible_to
from hotline.cases.models import Case, CaseEvent, Referral
from hotline.cases.work import events_of, mark_read, topics_of
from hotline.crypto import decrypt_phone, mask_phone
from hotline.db import iso, utcnow
from hotline.directory.models import Organisation
from hotline.sms import optout
from hotline.sms.gate import sms_refusal
from hotline.sms.models import SmsMessage
from hotline.translation.models import Translation
from hotline.voice.models import Voicemail

TRANSLATION_LABELS = {
    "pending": "translating",
    "done": "machine translation",
    "failed": "translation failed",
    "not_configured": "not translated",
}


def case_for_agent(session: Session, agent: Agent, case_id: int) -> Case | None:
    """The case if this agent may see it; None reads as 404 (no hint that it exists)."""
    query = select(Case).where(Case.id == case_id)
    visible = visible_to(agent)
    if visible is not None:
        query = query.where(visible)
    return session.scalar(query)


def case_summary_json(
    case: Case, *, topics: list[str] | None = None, unread: bool | None = None
) -> dict[str, Any]:
    """A case as lists show it: enough to choose what to work on, no personal data."""
    waiting = case.awaiting_reply_since
    item: dict[str, Any] = {
        "id": case.id,
        "reference": case.reference,
        "language": case.language,
        "status": case.status,
        "outcome": case.outcome,
        "urgent": case.urgent,
        "assigned_agent_id": case.assigned_agent_id,
        "needs_reply": waiting is not None,
        "awaiting_reply_since": iso(waiting),
        "oldest_unanswered_age_seconds": (
            None if waiting is None else max(0, int((utcnow() - waiting).total_seconds()))
        ),
        "last_activity_at": iso(case.last_activity_at),
        "last_activity": iso(case.last_activity_at),
        "created_at": iso(case.created_at),
        "closed_at": iso(case.closed_at),
    }
    if topics is not None:
        item["topics"] = topics
    if unread is not None:
        item["unread"] = unread
    return item


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
    events = [event_json(event) for event in events_of(session, case.id)]
    referrals = referrals_json(session, case.id)
    timeline = sorted(
        [{"type": "message", "at": item["created_at"], "id": item["id"]} for item in message_items]
        + [
            {"type": "voicemail", "at": item["created_at"], "id": item["id"]}
            for item in voicemail_items
        ]
        + [
            {"type": "callback", "at": item["created_at"], "id": item["id"]}
            for item in callback_items
        ]
        + [{"type": "event", "at": item["at"], "id": item["id"]} for item in events],
        key=lambda entry: (entry["at"] or "", entry["type"], entry["id"]),
    )
    mark_read(session, agent, case)
    assigned = session.get(Agent, case.assigned_agent_id) if case.assigned_agent_id else None
    return {
        **case_summary_json(case),
        "topics": topics_of(session, case.id),
        "assigned_agent": {"id": assigned.id, "name": assigned.name} if assigned else None,
        "phone_masked": _masked(secret, caller.phone_encrypted) if caller else None,
        "masked_number": _masked(secret, caller.phone_encrypted) if caller else None,
        "sms_opted_out": bool(caller and optout.is_opted_out(caller)),
        "sms_refusal": sms_refusal(session, caller) if caller else None,
        "number_share_agreed_at": iso(case.number_share_agreed_at),
        **consent_json(session, caller),
        "timeline": timeline,
        "messages": message_items,
        "voicemails": voicemail_items,
        "callbacks": callback_items,
        "events": events,
        "referrals": referrals,
    }


def consent_json(session: Session, caller: Caller | None) -> dict[str, Any]:
    """The worker's choices now, the latest answer per subject and the whole history."""
    from hotline.callers.consent import ledger

    if caller is None:  # pragma: no cover - every case has its caller
        return {"choices": {}, "consents": {}, "consent_history": []}
    held = ledger(session, caller)
    return {
        "choices": held["choices"],
        "consents": held["consents"],
        "consent_history": held["history"],
    }


def event_json(event: CaseEvent) -> dict[str, Any]:
    """A timeline entry; a note's text is for advisers only."""
    return {
        "id": event.id,
        "kind": event.kind,
        "at": iso(event.at),
        "agent_id": event.agent_id,
        "text": event.body,
        "detail": event.detail or {},
    }


def referrals_json(session: Session, case_id: int) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Referral, Organisation)
        .join(Organisation, Organisation.id == Referral.organisation_id)
        .where(Referral.case_id == case_id)
        .order_by(Referral.at, Referral.id)
    )
    return [
        {
            "id": referral.id,
            "organisation_id": org.id,
            "organisation": org.known_as or org.name_en,
            "kind": org.kind,
            "agent_id": referral.agent_id,
            "message_id": referral.message_id,
            "at": iso(referral.at),
        }
        for referral, org in rows
    ]


def _done_texts(translations: list[dict[str, Any]]) -> dict[str, str]:
    """Finished machine translations by language: nothing else is shown as one."""
    return {t["language"]: t["text"] for t in translations if t["status"] == "done" and t["text"]}
