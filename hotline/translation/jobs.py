"""Jobs of the language pipeline: translate incoming texts, transcribe voicemails, and
delete recordings at Twilio once the hotline holds its own copy (in the database).

All take ids, re-read their rows and skip finished work, so a repeated or retried job
changes nothing that is already done. Transient Google errors are retried with backoff,
quota errors after a longer wait; after the last attempt the rows say "failed" and the
original text stays what agents read.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.callers.models import Caller
from hotline.cases.models import Case
from hotline.clients import NotConfigured
from hotline.db import utcnow
from hotline.jobs import RetryLater, job, periodic
from hotline.jobs.models import OutboxJob
from hotline.runtime import Runtime
from hotline.sms.models import SmsMessage
from hotline.telephony import TelephonyError, telephony
from hotline.translation import speech
from hotline.translation.audio import store_audio, stored_audio
from hotline.translation.google import GoogleSpeech, ProviderError
from hotline.translation.models import Translation
from hotline.translation.service import (
    PROVIDER,
    Request,
    detect_language,
    from_google_code,
    record_transcription,
    translate_many,
    translate_text,
)
from hotline.voice.models import Voicemail, VoicemailAudio

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
BACKOFF = (10, 30, 120, 600, 1800)
QUOTA_DELAY = 900  # seconds: Google's per-minute quotas refill, daily ones do not soon
CONFIDENT_DETECTION = 0.7  # below this a detected language is not remembered for the caller
BATCH_SIZE = 16  # texts one sms.translate job takes along from the queue
CLAIM_STALE = dt.timedelta(seconds=60)  # a claim on rows older than this was abandoned
WAIT_FOR_CLAIM_SECONDS = 20.0


RECORDING_NOT_FOUND = 20404
RECORDING_GRACE = dt.timedelta(minutes=15)


def _retry_for(error: ProviderError | TelephonyError) -> RetryLater:
    if isinstance(error, ProviderError) and error.quota:
        return RetryLater(str(error), delay=QUOTA_DELAY)
    return RetryLater(str(error))


# --- Translation rows --------------------------------------------------------------


def _targets(runtime: Runtime, source: str | None) -> list[str]:
    return [code for code in runtime.settings.agent_languages if code != source]


def _ensure_rows(
    runtime: Runtime, kind: str, source_id: int, source: str | None, status: str
) -> None:
    """A row per target language, so agents see at once what is coming (or why not)."""
    with runtime.db.session() as session:
        existing = {
            row.target_language: row
            for row in session.scalars(
                select(Translation).where(
                    Translation.source_kind == kind, Translation.source_id == source_id
                )
            )
        }
        for target in _targets(runtime, source):
            row = existing.get(target)
            if row is None:
                try:
                    with session.begin_nested():
                        session.add(
                            Translation(
                                source_kind=kind,
                                source_id=source_id,
                                source_language=source,
                                target_language=target,
                                status=status,
                            )
                        )
                except IntegrityError:
                    continue
            elif row.status in ("pending", "not_configured", "failed") and row.status != status:
                row.status, row.source_language, row.error = status, source, None


def _claim_in(
    session: Session, runtime: Runtime, kind: str, source_id: int, source: str
) -> list[str] | None:
    """Create this text's pending rows and claim them: the targets to translate, [] if
    none, None if another worker is translating them right now."""
    now = utcnow()
    rows = {
        row.target_language: row
        for row in session.scalars(
            select(Translation).where(
                Translation.source_kind == kind, Translation.source_id == source_id
            )
        )
    }
    claimed: list[str] = []
    held = False
    for target in _targets(runtime, source):
        row = rows.get(target)
        if row is None:
            session.add(
                Translation(
                    source_kind=kind,
                    source_id=source_id,
                    source_language=source,
                    target_language=target,
                    status="pending",
                    claimed_at=now,
                )
            )
            claimed.append(target)
        elif row.status in ("pending", "failed", "not_configured"):
            took = session.execute(
                update(Translation)
                .where(
                    Translation.id == row.id,
                    Translation.status == row.status,
                    or_(
                        Translation.claimed_at.is_(None),
                        Translation.claimed_at < now - CLAIM_STALE,
                    ),
                )
                .values(status="pending", claimed_at=now, source_language=source, error=None)
            ).rowcount  # type: ignore[attr-defined]
            if took:
                claimed.append(target)
            else:
                held = True
    session.flush()
    return None if held and not claimed else claimed


def _claim_rows(runtime: Runtime, kind: str, source_id: int, source: str) -> list[str] | None:
    try:
        with runtime.db.session() as session:
            return _claim_in(session, runtime, kind, source_id, source)
    except IntegrityError:
        return None  # another worker created the rows a moment ago: it holds them


def _release_rows(runtime: Runtime, kind: str, source_id: int) -> None:
    with runtime.db.session() as session:
        session.execute(
            update(Translation)
            .where(
                Translation.source_kind == kind,
                Translation.source_id == source_id,
                Translation.status == "pending",
            )
            .values(claimed_at=None)
        )


def _translate_rows(
    runtime: Runtime, kind: str, source_id: int, text: str, source: str, *, wait: bool = True
) -> None:
    """Fill every pending row for this text; raise RetryLater on a transient failure.

    The target languages are asked for side by side: the agent waits for the slowest
    one, not for the sum of them. If another worker holds the rows (it took this text
    into its batch), wait for it, or with `wait=False` leave the text to it.
    """
    deadline = time.monotonic() + WAIT_FOR_CLAIM_SECONDS
    while (pending := _claim_rows(runtime, kind, source_id, source)) is None:
        if not wait:
            return
        if time.monotonic() > deadline:
            raise RetryLater("another worker is translating this text", delay=60)
        time.sleep(0.05)

    def one(target: str) -> ProviderError | None:
        def persist(db: Session, translated: str) -> None:
            db.execute(
                update(Translation)
                .where(
                    Translation.source_kind == kind,
                    Translation.source_id == source_id,
                    Translation.target_language == target,
                )
                .values(
                    status="done",
                    text=translated,
                    provider=PROVIDER,
                    error=None,
                    source_language=source,
                )
            )

        try:
            translate_text(runtime, text, source=source, target=target, persist=persist)
        except ProviderError as exc:
            if exc.permanent:
                _finish_rows(runtime, kind, source_id, "failed", str(exc), only=target)
                return None
            return exc
        return None

    try:
        if len(pending) <= 1:
            errors = [one(target) for target in pending]
        else:
            with ThreadPoolExecutor(len(pending), thread_name_prefix="translate") as pool:
                errors = list(pool.map(one, pending))
    except BaseException:
        _release_rows(runtime, kind, source_id)
        raise
    transient = [e for e in errors if e is not None]
    if transient:
        _release_rows(runtime, kind, source_id)
        quota = next((e for e in transient if e.quota), None)
        raise _retry_for(quota or transient[0]) from transient[0]


def _finish_rows(
    runtime: Runtime,
    kind: str,
    source_id: int,
    status: str,
    error: str | None,
    *,
    only: str | None = None,
) -> None:
    with runtime.db.session() as session:
        query = select(Translation).where(
            Translation.source_kind == kind,
            Translation.source_id == source_id,
            Translation.status == "pending",
        )
        if only is not None:
            query = query.where(Translation.target_language == only)
        for row in session.scalars(query):
            row.status, row.error = status, (error or "")[:255] or None


# --- sms.translate -----------------------------------------------------------------


def _sms_give_up(runtime: Runtime, error: Exception, *, message_id: int) -> None:
    _finish_rows(runtime, "sms", message_id, "failed", f"gave up: {error}")


@job("sms.translate", max_attempts=MAX_ATTEMPTS, backoff=BACKOFF, on_give_up=_sms_give_up)
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
                    claimed = _claim_in(session, runtime, "sms", mid, source)
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
        db.execute(
            update(Translation)
            .where(
                Translation.source_kind == "sms",
                Translation.source_id == mid,
                Translation.target_language == target,
            )
            .values(
                status="done",
                text=translated,
                provider=PROVIDER,
                error=None,
                source_language=req.source,
            )
        )

    errors = translate_many(runtime, [req for _, _, req in requests], persist)
    own_error: ProviderError | None = None
    for (mid, target, _), error in zip(requests, errors, strict=True):
        if error is None:
            continue
        if error.permanent:
            _finish_rows(runtime, "sms", mid, "failed", str(error), only=target)
        else:
            _release_rows(runtime, "sms", mid)
            if mid == message_id:
                own_error = own_error or error
    if own_error is not None:
        raise _retry_for(own_error) from own_error
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
                OutboxJob.name == "sms.translate",
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
        _ensure_rows(runtime, "sms", message_id, source, "not_configured")
        return
    try:
        if source is None:
            source = _detect_and_remember(runtime, message_id, body)
            if source is None:
                _ensure_rows(runtime, "sms", message_id, None, "pending")
                _finish_rows(runtime, "sms", message_id, "failed", "language not recognised")
                return
        _translate_rows(runtime, "sms", message_id, body, source, wait=wait)
    except NotConfigured:
        _ensure_rows(runtime, "sms", message_id, source, "not_configured")


def _detect_and_remember(runtime: Runtime, message_id: int, body: str) -> str | None:
    """Ask Google which language the text is in; remember it where nothing was known."""
    try:
        found = detect_language(runtime, body)
    except ProviderError as exc:
        if not exc.permanent:
            raise _retry_for(exc) from exc
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


# --- voicemail.transcribe ----------------------------------------------------------


def _voicemail_give_up(runtime: Runtime, error: Exception, *, voicemail_id: int) -> None:
    with runtime.db.session() as session:
        voicemail = session.get(Voicemail, voicemail_id)
        if voicemail is not None and voicemail.transcription_status == "pending":
            voicemail.transcription_status = "failed"
    _finish_rows(runtime, "voicemail", voicemail_id, "failed", f"gave up: {error}")


@job(
    "voicemail.transcribe",
    max_attempts=MAX_ATTEMPTS,
    backoff=BACKOFF,
    on_give_up=_voicemail_give_up,
)
def transcribe_voicemail(runtime: Runtime, *, voicemail_id: int) -> None:
    """Fetch the recording, transcribe it in the caller's language, translate the text."""
    with runtime.db.session() as session:
        voicemail = session.get(Voicemail, voicemail_id)
        if voicemail is None:
            return
        case = session.get(Case, voicemail.case_id)
        caller = session.get(Caller, case.caller_id) if case else None
        language = (
            voicemail.language
            or (case.language if case else None)
            or (caller.language if caller else None)
        )
        url = voicemail.recording_url
        status = voicemail.transcription_status
        created_at = voicemail.created_at
        stored = stored_audio(session, voicemail_id)
        audio = stored.audio if stored is not None else None

    if audio is None:
        try:
            audio = telephony(runtime.settings).fetch_recording(url)
        except TelephonyError as exc:
            if not exc.permanent:
                raise _retry_for(exc) from exc
            if exc.code == RECORDING_NOT_FOUND and utcnow() - created_at < RECORDING_GRACE:
                # The Record action can arrive before Twilio has finished the file.
                raise RetryLater("recording not available yet", delay=30) from exc
            log.warning("voicemail %s: recording unavailable (%s)", voicemail_id, exc)
            # Without speech-to-text it would not have been transcribed anyway: say that.
            unconfigured = status == "pending" and not runtime.settings.google_configured
            _set_voicemail(
                runtime,
                voicemail_id,
                transcription_status="not_configured" if unconfigured else "failed",
            )
            return
        with runtime.db.session() as session:
            store_audio(session, voicemail_id, audio)  # committed before anything else

    if status == "pending":
        if not runtime.settings.google_configured:
            _set_voicemail(runtime, voicemail_id, transcription_status="not_configured")
            return
        try:
            transcript = speech.transcribe(GoogleSpeech(runtime.settings), audio, language)
        except ProviderError as exc:
            if not exc.permanent:
                raise _retry_for(exc) from exc
            log.warning("voicemail %s: transcription refused (%s)", voicemail_id, exc)
            _set_voicemail(runtime, voicemail_id, transcription_status="failed")
            return
        heard = language or _language_from_stt(transcript.language)
        record_transcription(
            runtime, language=heard or "und", audio_seconds=transcript.audio_seconds
        )
        _set_voicemail(
            runtime,
            voicemail_id,
            transcription_status="done",
            transcript=transcript.text,
            transcript_confidence=transcript.confidence,
            language=heard,
        )
        language, status = heard, "done"

    if status != "done":
        return
    with runtime.db.session() as session:
        voicemail = session.get(Voicemail, voicemail_id)
        assert voicemail is not None
        text = voicemail.transcript or ""
    if text.strip() and language:
        _translate_rows(runtime, "voicemail", voicemail_id, text, language)


def _language_from_stt(code: str | None) -> str | None:
    if not code:
        return None
    from hotline.languages import LANGUAGES

    for lang in LANGUAGES.values():
        if lang.google_stt.lower() == code.lower():
            return lang.code
    return from_google_code(code)


def _set_voicemail(runtime: Runtime, voicemail_id: int, **values: object) -> None:
    with runtime.db.session() as session:
        voicemail = session.get(Voicemail, voicemail_id)
        assert voicemail is not None
        for name, value in values.items():
            if name == "language" and (value is None or voicemail.language is not None):
                continue
            setattr(voicemail, name, value)


# --- Deleting recordings at Twilio -------------------------------------------------


def delete_expired_recordings(runtime: Runtime, *, now: dt.datetime | None = None) -> int:
    """Delete Twilio's copy of every recording we hold and that is past the retention.

    Only recordings whose audio the database already holds are deleted, so a voicemail
    is never lost; a failure is simply tried again on the next pass.
    """
    now = now or utcnow()
    cutoff = now - dt.timedelta(hours=runtime.settings.recording_retention_hours)
    with runtime.db.session() as session:
        held = select(VoicemailAudio.voicemail_id).where(
            VoicemailAudio.voicemail_id == Voicemail.id
        )
        due = session.execute(
            select(Voicemail.id, Voicemail.recording_sid).where(
                Voicemail.twilio_deleted_at.is_(None),
                Voicemail.created_at <= cutoff,
                held.exists(),
            )
        ).all()
    deleted = 0
    client = telephony(runtime.settings)
    for voicemail_id, recording_sid in due:
        try:
            client.delete_recording(recording_sid)
        except TelephonyError as exc:
            if exc.code != 20404:  # already gone at Twilio: that is what we wanted
                log.warning("voicemail %s: recording not deleted yet (%s)", voicemail_id, exc)
                continue
        with runtime.db.session() as session:
            voicemail = session.get(Voicemail, voicemail_id)
            assert voicemail is not None
            voicemail.twilio_deleted_at = now
        deleted += 1
    return deleted


@periodic("voicemail.delete_twilio_recordings", every_seconds=3600)
def delete_twilio_recordings(runtime: Runtime) -> None:
    delete_expired_recordings(runtime)
