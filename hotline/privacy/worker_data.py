"""Access and erasure requests (APPI): everything held about one phone number, written
out for a supervisor to hand over, or erased down to the anonymised statistics.

A worker is found by their number's keyed hash, as every webhook finds them; the number
itself is never printed, logged or audited. Erasure deletes Twilio's copies first (its
recordings, messages and call logs, through the REST API), then our own, in one
transaction; a Twilio failure stops before anything of ours is deleted, so the request
can simply be run again.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from hotline.audit import record
from hotline.callbacks.models import CallbackAttempt, CallbackRequest
from hotline.callers.models import Caller, ConsentEntry
from hotline.callers.service import find_caller
from hotline.cases.models import Case, CaseEvent, CaseTopic, Referral
from hotline.privacy.retention import (
    delete_texts,
    forget_callback_notes,
    forget_notes,
    scrub_sqlite_wal,
)
from hotline.runtime import Runtime
from hotline.sms import optout
from hotline.sms.models import SmsConversation, SmsMessage
from hotline.telephony import TelephonyError, telephony
from hotline.translation.models import Translation
from hotline.voice.models import Call, Voicemail, VoicemailAudio

log = logging.getLogger(__name__)

NOT_FOUND_AT_TWILIO = 20404  # already gone: what erasure wants


class NoSuchWorker(LookupError):
    """Nothing is held about that number."""


def _when(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _caller(session: Session, runtime: Runtime, number: str) -> Caller:
    caller = find_caller(session, runtime.settings.secret_key, number)
    if caller is None:
        raise NoSuchWorker("nothing is held about that number")
    return caller


def _translations(session: Session, kind: str, source_id: int) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(Translation)
        .where(Translation.source_kind == kind, Translation.source_id == source_id)
        .order_by(Translation.id)
    )
    return [
        {"language": t.target_language, "status": t.status, "text": t.text, "provider": t.provider}
        for t in rows
    ]


@dataclass
class Export:
    folder: Path
    cases: int = 0
    messages: int = 0
    voicemails: int = 0
    audio_files: list[str] = field(default_factory=list)


def export(runtime: Runtime, number: str, folder: Path) -> Export:
    """Write `worker-data.json` and one audio file per voicemail into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    result = Export(folder)
    with runtime.db.session() as session:
        caller = _caller(session, runtime, number)
        cases = list(session.scalars(select(Case).where(Case.caller_id == caller.id)))
        case_refs = {c.id: c.reference for c in cases}
        out: dict[str, Any] = {
            "exported_at": _when(dt.datetime.now(dt.UTC)),
            "number": number,
            "language": caller.language,
            "first_contact": _when(caller.created_at),
            "privacy_notice_heard": _when(caller.privacy_notice_at),
            "sms_opted_out": _when(optout.opted_out_at(caller)),
            "opt_out_history": [
                {"action": e.action, "source": e.source, "at": _when(e.at)}
                for e in optout.history(session, caller.id)
            ],
            "consent_history": [
                {
                    "subject": e.subject,
                    "value": e.value,
                    "channel": e.channel,
                    "notice_version": e.notice_version,
                    "case": case_refs.get(e.case_id or 0),
                    "at": _when(e.at),
                }
                for e in session.scalars(
                    select(ConsentEntry)
                    .where(ConsentEntry.caller_id == caller.id)
                    .order_by(ConsentEntry.at, ConsentEntry.id)
                )
            ],
            "cases": [],
            "messages": [],
            "calls": [
                {
                    "case": case_refs.get(c.case_id or 0),
                    "direction": c.direction,
                    "purpose": c.purpose,
                    "status": c.status,
                    "started": _when(c.started_at),
                    "ended": _when(c.ended_at),
                    "seconds": c.duration_seconds,
                }
                for c in session.scalars(
                    select(Call).where(Call.caller_id == caller.id).order_by(Call.id)
                )
            ],
        }
        for case in cases:
            out["cases"].append(_case(session, case, folder, result))
        for message in session.scalars(
            select(SmsMessage).where(SmsMessage.caller_id == caller.id).order_by(SmsMessage.id)
        ):
            out["messages"].append(
                {
                    "case": case_refs.get(message.case_id or 0),
                    "direction": message.direction,
                    "from": "worker" if message.direction == "in" else message.kind,
                    "text": message.body,
                    "language": message.language,
                    "status": message.status,
                    "at": _when(message.created_at),
                    "translations": _translations(session, "sms", message.id),
                }
            )
        result.cases = len(cases)
        result.messages = len(out["messages"])
        record(
            session,
            "worker_data.export",
            "caller",
            caller.id,
            cases=result.cases,
            messages=result.messages,
            voicemails=result.voicemails,
        )
    path = folder / "worker-data.json"
    path.write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n", "utf-8")
    return result


def _case(session: Session, case: Case, folder: Path, result: Export) -> dict[str, Any]:
    voicemails = []
    for vm in session.scalars(
        select(Voicemail).where(Voicemail.case_id == case.id).order_by(Voicemail.id)
    ):
        audio = session.scalar(select(VoicemailAudio).where(VoicemailAudio.voicemail_id == vm.id))
        name = None
        if audio is not None:
            ext = ".mp3" if "mpeg" in audio.content_type else ".wav"
            name = f"voicemail-{case.reference}-{vm.id}{ext}"
            (folder / name).write_bytes(audio.audio)
            result.audio_files.append(name)
        result.voicemails += 1
        voicemails.append(
            {
                "at": _when(vm.created_at),
                "seconds": vm.duration_seconds,
                "language": vm.language,
                "transcript": vm.transcript,
                "translations": _translations(session, "voicemail", vm.id),
                "audio_file": name,
            }
        )
    callbacks = []
    for cb in session.scalars(
        select(CallbackRequest)
        .where(CallbackRequest.case_id == case.id)
        .order_by(CallbackRequest.id)
    ):
        attempts = session.scalars(
            select(CallbackAttempt).where(CallbackAttempt.callback_id == cb.id)
        )
        callbacks.append(
            {
                "requested": _when(cb.created_at),
                "window": cb.window,
                "may_say_we_are_the_hotline": cb.may_identify,
                "sms_allowed": cb.sms_allowed,
                "status": cb.status,
                "outcome": cb.outcome,
                "note": cb.note,
                "attempts": [
                    {"at": _when(a.created_at), "outcome": a.outcome, "note": a.note}
                    for a in attempts
                ],
            }
        )
    return {
        "reference": case.reference,
        "language": case.language,
        "status": case.status,
        "outcome": case.outcome,
        "opened": _when(case.created_at),
        "closed": _when(case.closed_at),
        "number_share_agreed": _when(case.number_share_agreed_at),
        "topics": sorted(
            session.scalars(select(CaseTopic.topic).where(CaseTopic.case_id == case.id))
        ),
        "timeline": [
            {"kind": e.kind, "at": _when(e.at), "text": e.body, "detail": e.detail}
            for e in session.scalars(
                select(CaseEvent)
                .where(CaseEvent.case_id == case.id)
                .order_by(CaseEvent.at, CaseEvent.id)
            )
        ],
        "referrals": [
            {"organisation_id": r.organisation_id, "at": _when(r.at)}
            for r in session.scalars(select(Referral).where(Referral.case_id == case.id))
        ],
        "voicemails": voicemails,
        "callbacks": callbacks,
    }


@dataclass(frozen=True)
class Held:
    """What erasure will delete, counted, and the Twilio copies it must delete first."""

    caller_id: int
    cases: int
    messages: int
    voicemails: int
    recording_sids: tuple[str, ...]
    message_sids: tuple[str, ...]
    call_sids: tuple[str, ...]


def held(runtime: Runtime, number: str) -> Held:
    with runtime.db.session() as session:
        caller = _caller(session, runtime, number)
        case_ids = select(Case.id).where(Case.caller_id == caller.id)
        voicemails = session.execute(
            select(Voicemail.recording_sid, Voicemail.twilio_deleted_at).where(
                Voicemail.case_id.in_(case_ids)
            )
        ).all()
        messages = session.scalars(
            select(SmsMessage.sid).where(SmsMessage.caller_id == caller.id)
        ).all()
        calls = session.scalars(select(Call.sid).where(Call.caller_id == caller.id)).all()
        return Held(
            caller_id=caller.id,
            cases=session.scalar(select(func.count()).where(Case.caller_id == caller.id)) or 0,
            messages=len(messages),
            voicemails=len(voicemails),
            recording_sids=tuple(sid for sid, gone in voicemails if gone is None),
            message_sids=tuple(sid for sid in messages if sid and not sid.startswith("SMlocal")),
            call_sids=tuple(sid for sid in calls if sid and not sid.startswith("CAlocal")),
        )


def erase(runtime: Runtime, number: str) -> Held:
    """Delete Twilio's copies, then everything of ours but the anonymised statistics."""
    found = held(runtime, number)
    client = telephony(runtime.settings)
    for deleter, sids in (
        (client.delete_recording, found.recording_sids),
        (client.delete_message, found.message_sids),
        (client.delete_call, found.call_sids),
    ):
        for sid in sids:
            try:
                deleter(sid)
            except TelephonyError as exc:
                if exc.code != NOT_FOUND_AT_TWILIO:
                    raise
    with runtime.db.session() as session:
        _erase_ours(session, found.caller_id)
        record(
            session,
            "worker_data.erase",
            "caller",
            found.caller_id,
            cases=found.cases,
            messages=found.messages,
            voicemails=found.voicemails,
            twilio_recordings=len(found.recording_sids),
            twilio_messages=len(found.message_sids),
            twilio_calls=len(found.call_sids),
        )
    scrub_sqlite_wal(runtime)
    return found


def _erase_ours(session: Session, caller_id: int) -> None:
    """Case rows keep language, topics, outcome and dates; everything else about the
    worker goes, and the caller row no longer matches their number."""
    case_ids = list(session.scalars(select(Case.id).where(Case.caller_id == caller_id)))
    message_ids = list(
        session.scalars(select(SmsMessage.id).where(SmsMessage.caller_id == caller_id))
    )
    delete_texts(session, message_ids)
    voicemail_ids = list(
        session.scalars(select(Voicemail.id).where(Voicemail.case_id.in_(case_ids)))
    )
    session.execute(
        delete(Translation).where(
            Translation.source_kind == "voicemail", Translation.source_id.in_(voicemail_ids)
        )
    )
    session.execute(delete(VoicemailAudio).where(VoicemailAudio.voicemail_id.in_(voicemail_ids)))
    session.execute(delete(Voicemail).where(Voicemail.id.in_(voicemail_ids)))
    forget_notes(
        session,
        list(session.scalars(select(CaseEvent.id).where(CaseEvent.case_id.in_(case_ids)))),
    )
    callback_ids = list(
        session.scalars(select(CallbackRequest.id).where(CallbackRequest.caller_id == caller_id))
    )
    forget_callback_notes(session, callback_ids)
    session.execute(
        update(CallbackRequest)
        .where(CallbackRequest.id.in_(callback_ids))
        .values(phone_encrypted="")
    )
    session.execute(update(Call).where(Call.caller_id == caller_id).values(ivr_state=None))
    ledger = optout.forget(session, caller_id)
    session.execute(delete(ConsentEntry).where(ConsentEntry.caller_id == caller_id))
    session.execute(delete(SmsConversation).where(SmsConversation.caller_id == caller_id))
    session.execute(
        update(Caller)
        .where(Caller.id == caller_id)
        .values(
            # No longer the hash of any number: the next contact from it is a stranger.
            phone_hash="erased-" + secrets.token_hex(24),
            phone_encrypted="",
            privacy_notice_at=None,
            **ledger,
        )
    )
