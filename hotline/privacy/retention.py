"""Deleting what the retention periods say is due, in batches, and auditing the counts.

A case closed for `retain_voicemail_audio_days` loses its voicemail audio; closed for
`retain_content_days` it loses its texts, transcripts, translations and notes, but keeps
its row, language, topics, outcome and dates for the anonymised statistics. Texts that
never belonged to a case (keyword replies) go the same number of days after they were
sent. Audit events go after `retain_audit_days`. Every rule selects only rows that still
hold something to delete, so a second run finds nothing and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from hotline.audit import AuditEvent, record
from hotline.callbacks.models import CallbackAttempt, CallbackRequest
from hotline.cases.models import Case, CaseEvent, Referral
from hotline.config import Settings
from hotline.db import utcnow
from hotline.jobs import JobRegistry
from hotline.runtime import Runtime
from hotline.sms.models import SmsMessage
from hotline.translation.models import Translation, TranslationCacheEntry
from hotline.voice.models import Voicemail, VoicemailAudio

log = logging.getLogger(__name__)

BATCH_SIZE = 500

IdQuery = Select[Any]  # a query for the ids of the rows a rule touches


@dataclass(frozen=True)
class Policy:
    """The retention periods, from the settings."""

    voicemail_audio: dt.timedelta
    content: dt.timedelta
    audit_log: dt.timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        return cls(
            voicemail_audio=dt.timedelta(days=settings.retain_voicemail_audio_days),
            content=dt.timedelta(days=settings.retain_content_days),
            audit_log=dt.timedelta(days=settings.retain_audit_days),
        )


def _closed_before(cutoff: dt.datetime) -> IdQuery:
    return select(Case.id).where(Case.status == "closed", Case.closed_at <= cutoff)


def _voicemails_of(cases: IdQuery) -> IdQuery:
    return select(Voicemail.id).where(Voicemail.case_id.in_(cases))


@dataclass(frozen=True)
class Rule:
    """One kind of data that falls due: which rows (ids) and what to do with them."""

    name: str
    description: str
    due: Callable[[Policy, dt.datetime], IdQuery]
    apply: Callable[[Session, list[int]], None]


def _audio_due(policy: Policy, now: dt.datetime) -> IdQuery:
    # Content deletion also takes the audio, should the audio period be the longer one.
    cutoff = now - min(policy.voicemail_audio, policy.content)
    return select(VoicemailAudio.id).where(
        VoicemailAudio.voicemail_id.in_(_voicemails_of(_closed_before(cutoff)))
    )


def _delete_audio(session: Session, ids: list[int]) -> None:
    session.execute(delete(VoicemailAudio).where(VoicemailAudio.id.in_(ids)))


def _texts_due(policy: Policy, now: dt.datetime) -> IdQuery:
    cutoff = now - policy.content
    return select(SmsMessage.id).where(
        or_(
            SmsMessage.case_id.in_(_closed_before(cutoff)),
            and_(SmsMessage.case_id.is_(None), SmsMessage.created_at <= cutoff),
        )
    )


def delete_texts(session: Session, ids: list[int]) -> None:
    """Delete SMS rows and their translations; referrals keep their row, not the text."""
    session.execute(
        delete(Translation).where(Translation.source_kind == "sms", Translation.source_id.in_(ids))
    )
    session.execute(update(Referral).where(Referral.message_id.in_(ids)).values(message_id=None))
    session.execute(delete(SmsMessage).where(SmsMessage.id.in_(ids)))


def _transcripts_due(policy: Policy, now: dt.datetime) -> IdQuery:
    return _voicemails_of(_closed_before(now - policy.content)).where(
        or_(
            Voicemail.transcript.is_not(None),
            Voicemail.id.in_(
                select(Translation.source_id).where(Translation.source_kind == "voicemail")
            ),
        )
    )


def forget_transcripts(session: Session, ids: list[int]) -> None:
    """Blank voicemails' transcripts and delete their translations; the row (duration,
    language, dates) stays for the statistics."""
    session.execute(
        delete(Translation).where(
            Translation.source_kind == "voicemail", Translation.source_id.in_(ids)
        )
    )
    session.execute(
        update(Voicemail)
        .where(Voicemail.id.in_(ids))
        .values(transcript=None, transcript_confidence=None)
    )


def _notes_due(policy: Policy, now: dt.datetime) -> IdQuery:
    return select(CaseEvent.id).where(
        CaseEvent.case_id.in_(_closed_before(now - policy.content)), CaseEvent.body.is_not(None)
    )


def forget_notes(session: Session, ids: list[int]) -> None:
    session.execute(update(CaseEvent).where(CaseEvent.id.in_(ids)).values(body=None))


def _callback_notes_due(policy: Policy, now: dt.datetime) -> IdQuery:
    cases = _closed_before(now - policy.content)
    return select(CallbackRequest.id).where(
        CallbackRequest.case_id.in_(cases),
        or_(
            CallbackRequest.note.is_not(None),
            CallbackRequest.id.in_(
                select(CallbackAttempt.callback_id).where(CallbackAttempt.note.is_not(None))
            ),
        ),
    )


def forget_callback_notes(session: Session, ids: list[int]) -> None:
    session.execute(update(CallbackRequest).where(CallbackRequest.id.in_(ids)).values(note=None))
    session.execute(
        update(CallbackAttempt).where(CallbackAttempt.callback_id.in_(ids)).values(note=None)
    )


def _cache_due(policy: Policy, now: dt.datetime) -> IdQuery:
    # Redacted, but still what workers wrote: kept no longer than the texts themselves.
    return select(TranslationCacheEntry.id).where(
        TranslationCacheEntry.created_at <= now - policy.content
    )


def _delete_cache(session: Session, ids: list[int]) -> None:
    session.execute(delete(TranslationCacheEntry).where(TranslationCacheEntry.id.in_(ids)))


def _audit_due(policy: Policy, now: dt.datetime) -> IdQuery:
    return select(AuditEvent.id).where(AuditEvent.at <= now - policy.audit_log)


def _delete_audit(session: Session, ids: list[int]) -> None:
    session.execute(delete(AuditEvent).where(AuditEvent.id.in_(ids)))


RULES: tuple[Rule, ...] = (
    Rule("voicemail_audio", "voicemail audio of cases closed", _audio_due, _delete_audio),
    Rule("texts", "SMS texts (and their translations)", _texts_due, delete_texts),
    Rule(
        "transcripts",
        "voicemail transcripts (and their translations)",
        _transcripts_due,
        forget_transcripts,
    ),
    Rule("notes", "adviser notes on cases", _notes_due, forget_notes),
    Rule("callback_notes", "callback notes", _callback_notes_due, forget_callback_notes),
    Rule("translation_cache", "cached translations", _cache_due, _delete_cache),
    Rule("audit_events", "audit log entries", _audit_due, _delete_audit),
)


def due_counts(session: Session, policy: Policy, now: dt.datetime) -> dict[str, int]:
    """How many rows each rule would delete or empty at `now`."""
    return {
        rule.name: session.scalar(
            select(func.count()).select_from(rule.due(policy, now).subquery())
        )
        or 0
        for rule in RULES
    }


def purge(
    runtime: Runtime, *, now: dt.datetime | None = None, batch_size: int = BATCH_SIZE
) -> dict[str, int]:
    """Delete everything due at `now`, one committed batch at a time, and audit the counts.

    A run that is stopped half-way leaves whole batches done; the next run carries on.
    """
    now = now or utcnow()
    policy = Policy.from_settings(runtime.settings)
    counts: dict[str, int] = {}
    for rule in RULES:
        done = 0
        while True:
            with runtime.db.session() as session:
                ids: list[int] = list(
                    session.scalars(rule.due(policy, now).order_by(None).limit(batch_size))
                )
                if not ids:
                    break
                rule.apply(session, ids)
            done += len(ids)
        counts[rule.name] = done
    if any(counts.values()):
        with runtime.db.session() as session:
            record(session, "retention.purge", "retention", None, **counts)
        scrub_sqlite_wal(runtime)
        log.info("retention: deleted %s", ", ".join(f"{k}={v}" for k, v in counts.items() if v))
    return counts


def scrub_sqlite_wal(runtime: Runtime) -> None:
    """On SQLite, copy the write-ahead log into the file and empty it: the log still
    holds the old pages, deleted content included. (PostgreSQL: see docs/privacy.md.)"""
    if runtime.db.is_sqlite:
        # Outside any transaction (SQLAlchemy's would hold the lock the checkpoint needs).
        conn = runtime.db.engine.raw_connection()
        try:
            conn.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()


def run_retention(runtime: Runtime) -> None:
    purge(runtime)


def register(registry: JobRegistry) -> None:
    registry.every("privacy.retention", run_retention, seconds=3600)
