"""The `sms.translate` job: translate an incoming text for agents.

It takes an id, re-reads its rows and skips finished work, so a repeated or retried job
changes nothing that is already done. Transient Google errors are retried with backoff,
quota errors after a longer wait; after the last attempt the rows say "failed" and the
original text stays what agents read. Voicemails: `hotline.translation.voicemail_jobs`.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.callers.models import Caller
from hotline.cases.models import Case
from hotline.clients import NotConfigured
from hotline.db import utcnow
from hotline.jobs import JobRegistry
from hotline.jobs.models import OutboxJob
from hotline.runtime import Runtime
from hotline.sms.models import SmsMessage
from hotline.translation.claims import claim_rows_in
from hotline.translation.google import ProviderError
from hotline.translation.models import Translation
from hotline.translation.rows import (
    ensure_rows,
    finish_rows,
    mark_done,
    release_rows,
    retry_for,
    translate_rows,
    translation_targets,
)
from hotline.translation.service import Request, detect_language, translate_many

TRANSLATE_SMS_JOB = "sms.translate"
CONFIDENT_DETECTION = 0.7  # below this a detected language is not remembered for the caller
BATCH_SIZE = 16  # texts one sms.translate job takes along from the queue


def _sms_give_up(runtime: Runtime, error: Exception, *, message_id: int) -> None:
    finish_rows(runtime, "sms", message_id, "failed", f"gave up: {error}")


def translate_sms(runtime: Runtime, *, message_id: int) -> None:
    """Translate an SMS into every agent language other than its own.

    Texts whose jobs are queued behind this one are taken along (up to BATCH_SIZE):
    their translations go to Google in a few shared requests, their own jobs then find
    the work done. A text of the batch that fails is released for its own job to retry.
    """
    if runtime.settings.google_configured and _all_done(runtime, "sms", message_id):
        return  # taken along by an earlier job's batch
    if runtime.settings.google_configured and BATCH_SIZE > 1:
        others = _queued_behind(runtime, message_id, BATCH_SIZE - 1)
        if others and _translate_batch(runtime, message_id, others):
            return
    _translate_one_sms(runtime, message_id, wait=True)


def _translate_batch(runtime: Runtime, message_id: int, others: list[int]) -> bool:
    """Translate `message_id` and `others` together. False: the message needs the
    one-by-one path (its language must be detected, or another worker holds it)."""
    ids = [message_id, *others]
    with runtime.db.session() as session:
        found = session.execute(
            select(SmsMessage.id, SmsMessage.body, SmsMessage.language, Caller.language)
            .join(Caller, Caller.id == SmsMessage.caller_id)
            .where(SmsMessage.id.in_(ids))
        ).all()
    texts = {mid: (body, lang or caller_lang) for mid, body, lang, caller_lang in found}
    own = texts.get(message_id)
    if own is None or not own[0].strip() or own[1] is None:
        return False
    claims: dict[int, list[str]] = {}
    with runtime.db.session() as session:
        for mid in ids:
            body, source = texts.get(mid, ("", None))
            if not body.strip() or source is None:
                continue  # left to its own job (detection, or nothing to translate)
            try:
                with session.begin_nested():
                    claimed = claim_rows_in(
                        session, "sms", mid, source, translation_targets(runtime, source)
                    )
            except IntegrityError:
                claimed = None
            if claimed:
                claims[mid] = claimed
            elif mid == message_id and claimed is None:
                return False
    requests = [
        (mid, target, Request(texts[mid][0], texts[mid][1] or "", target))
        for mid, targets in claims.items()
        for target in targets
    ]

    def persist(db: Session, index: int, translated: str) -> None:
        mid, target, req = requests[index]
        mark_done(db, "sms", mid, target, translated, req.source)

    errors = translate_many(runtime, [req for _, _, req in requests], persist)
    own_error: ProviderError | None = None
    for (mid, target, _), error in zip(requests, errors, strict=True):
        if error is None:
            continue
        if error.permanent:
            finish_rows(runtime, "sms", mid, "failed", str(error), only=target)
        else:
            release_rows(runtime, "sms", mid)
            if mid == message_id:
                own_error = own_error or error
    if own_error is not None:
        raise retry_for(own_error) from own_error
    return True


def _queued_behind(runtime: Runtime, message_id: int, limit: int) -> list[int]:
    """Messages whose `sms.translate` job is queued and not yet started by any worker."""
    if limit <= 0:
        return []
    now = utcnow()
    with runtime.db.session() as session:
        rows = session.scalars(
            select(OutboxJob.args)
            .where(
                OutboxJob.name == TRANSLATE_SMS_JOB,
                OutboxJob.started_at.is_(None),
                OutboxJob.done_at.is_(None),
                OutboxJob.failed_at.is_(None),
                OutboxJob.attempts == 0,
                or_(OutboxJob.run_after.is_(None), OutboxJob.run_after <= now),
            )
            .order_by(OutboxJob.id)
            .limit(3 * limit + 1)
        ).all()
        ids = [
            int(args["message_id"])
            for args in rows
            if isinstance(args.get("message_id"), int) and args["message_id"] != message_id
        ]
        started = set(
            session.scalars(
                select(Translation.source_id).where(
                    Translation.source_kind == "sms", Translation.source_id.in_(ids)
                )
            )
        )
    return [i for i in ids if i not in started][:limit]


def _all_done(runtime: Runtime, kind: str, source_id: int) -> bool:
    with runtime.db.session() as session:
        statuses = set(
            session.scalars(
                select(Translation.status).where(
                    Translation.source_kind == kind, Translation.source_id == source_id
                )
            )
        )
    return statuses == {"done"}


def _translate_one_sms(runtime: Runtime, message_id: int, *, wait: bool) -> None:
    with runtime.db.session() as session:
        message = session.get(SmsMessage, message_id)
        if message is None or not message.body.strip():
            return
        caller = session.get(Caller, message.caller_id)
        case = session.get(Case, message.case_id) if message.case_id else None
        source = (
            message.language
            or (caller.language if caller else None)
            or (case.language if case else None)
        )
        body = message.body
    if not runtime.settings.google_configured:
        ensure_rows(runtime, "sms", message_id, source, "not_configured")
        return
    try:
        if source is None:
            source = _detect_and_remember(runtime, message_id, body)
            if source is None:
                ensure_rows(runtime, "sms", message_id, None, "pending")
                finish_rows(runtime, "sms", message_id, "failed", "language not recognised")
                return
        translate_rows(runtime, "sms", message_id, body, source, wait=wait)
    except NotConfigured:
        ensure_rows(runtime, "sms", message_id, source, "not_configured")


def _detect_and_remember(runtime: Runtime, message_id: int, body: str) -> str | None:
    """Ask Google which language the text is in; remember it where nothing was known."""
    try:
        found = detect_language(runtime, body)
    except ProviderError as exc:
        if not exc.permanent:
            raise retry_for(exc) from exc
        return None
    if found.language is None:
        # A language the hotline does not support: still translate it for agents.
        return found.google_code if found.google_code not in ("", "und") else None
    with runtime.db.session() as session:
        message = session.get(SmsMessage, message_id)
        assert message is not None
        if message.language is None:
            message.language = found.language
        if found.confidence >= CONFIDENT_DETECTION:
            caller = session.get(Caller, message.caller_id)
            if caller is not None and caller.language is None:
                caller.language = found.language
            case = session.get(Case, message.case_id) if message.case_id else None
            if case is not None and case.language is None:
                case.language = found.language
    return found.language


def register(registry: JobRegistry) -> None:
    registry.add(TRANSLATE_SMS_JOB, translate_sms, on_give_up=_sms_give_up)
