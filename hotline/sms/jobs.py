"""The `sms.send` job: hand recorded outbound SMS to Twilio, in batches.

Each message has its own `sms.send` outbox job; the worker runs due ones together, up to
`SEND_BATCH` per RQ job (`hotline.jobs.run_outbox_jobs`), and a single job is the same
code with a batch of one. One transaction re-reads the batch's messages by id and asks
the gate for each (a STOP or "no SMS" may have arrived since they were queued). The REST
calls then run `HOTLINE_SMS_SEND_CONCURRENCY` at a time on kept-alive connections, one
number's messages in order; just before its call, each message still `pending` with no
Twilio sid and not refused by the gate at that moment is moved to `sending` by a
conditional update, committed: it is sent at most once, a worker that dies mid-batch
leaves the messages it had not reached `pending`, and a STOP that arrives while the
batch is being sent blocks the messages not sent yet. One transaction records every
answer.
Errors say whether to retry, message by message: a refused connection, a 5xx or a 429
is retried with that message's job backoff (the others of the batch are done); a
permanent refusal (invalid number, 21610 opted out, ...) is recorded and never retried,
and a 21610 also closes the number in the ledger. When Twilio may have accepted the
message but its answer was lost (a read timeout), the message stays `sending` until
Twilio's status callback (keyed to our record) tells; one that never hears back is
marked failed after `UNCONFIRMED_AFTER`, for an adviser to see.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import InvalidToken
from sqlalchemy import case, exists, select, update
from sqlalchemy.orm import Session

from hotline.callers.models import Caller
from hotline.callers.service import caller_phone
from hotline.config import Settings
from hotline.db import utcnow
from hotline.jobs import JobRegistry, RetryLater
from hotline.runtime import Runtime
from hotline.sms import optout
from hotline.sms.gate import refused_condition, sms_refusal
from hotline.sms.models import SmsMessage, advance_status
from hotline.telephony import OPTED_OUT_CODE, Sent, TelephonyError, kept_telephony

SEND_JOB = "sms.send"
SEND_BATCH = 50  # messages per RQ job at most, unless the concurrency asks for more
UNCONFIRMED_AFTER = dt.timedelta(minutes=15)


def expire_unconfirmed(runtime: Runtime, now: dt.datetime | None = None) -> int:
    """Messages handed to Twilio with no answer and no status since: say they failed.

    Better an adviser sees "failed" and decides than a message silently stuck.
    """
    cutoff = (now or utcnow()) - UNCONFIRMED_AFTER
    with runtime.db.session() as session:
        result = session.execute(
            update(SmsMessage)
            .where(
                SmsMessage.direction == "out",
                SmsMessage.status == "sending",
                SmsMessage.sid.is_(None),
                SmsMessage.updated_at < cutoff,
            )
            .values(
                status="failed",
                error_message="no confirmation from Twilio: it may not have been sent",
            )
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _give_up(
    runtime: Runtime, error: Exception, *, message_id: int, purpose: str | None = None
) -> None:
    with runtime.db.session() as session:
        message = session.get(SmsMessage, message_id)
        if message is not None and message.status == "pending":
            message.status = "failed"
            message.error_message = "gave up after repeated transient errors"


def send_sms(runtime: Runtime, *, message_id: int, purpose: str | None = None) -> None:
    """One message: a batch of one, so that there is one way of sending."""
    (outcome,) = send_batch(runtime, [{"message_id": message_id, "purpose": purpose}])
    if outcome is not None:
        raise outcome


@dataclass(frozen=True)
class _Outgoing:
    message_id: int
    purpose: str | None
    to: str
    body: str


def send_batch(runtime: Runtime, jobs: Sequence[Mapping[str, Any]]) -> list[Exception | None]:
    """Send the messages of these `sms.send` jobs; for each job, None when its message
    needs nothing more (sent, refused, failed for good, or Twilio's word awaited) or
    `RetryLater` when Twilio did not take it."""
    wanted = {int(job["message_id"]): job.get("purpose") for job in jobs}
    outgoing = _screen(runtime, wanted)
    answers = _call_twilio(runtime, outgoing)
    outcomes = _record(runtime, answers)
    return [outcomes.get(int(job["message_id"])) for job in jobs]


def _screen(runtime: Runtime, wanted: Mapping[int, str | None]) -> list[_Outgoing]:
    """In one transaction: the messages still pending and unsent, less those the gate
    refuses now (marked `blocked`) and those whose number cannot be read (`failed`)."""
    blocked: list[int] = []
    unreadable: list[int] = []
    with runtime.db.session() as session:
        rows = session.execute(
            select(SmsMessage.id, SmsMessage.body, Caller)
            .join(Caller, Caller.id == SmsMessage.caller_id)
            .where(
                SmsMessage.id.in_(list(wanted)),
                SmsMessage.direction == "out",
                SmsMessage.status == "pending",
                SmsMessage.sid.is_(None),
            )
        ).all()
        candidates: dict[int, _Outgoing] = {}
        for message_id, body, caller in rows:
            # Asked again: the worker may have sent STOP or said "no SMS" since it was queued.
            if sms_refusal(session, caller, wanted[message_id]) is not None:
                blocked.append(message_id)
                continue
            try:
                to = caller_phone(runtime.settings.secret_key, caller)
            except InvalidToken:
                unreadable.append(message_id)
                continue
            candidates[message_id] = _Outgoing(message_id, wanted[message_id], to, body)
        _set_pending(session, blocked, status="blocked")
        _set_pending(
            session,
            unreadable,
            status="failed",
            error_message="the number cannot be decrypted with the current secret key",
        )
    return [candidates[message_id] for message_id in sorted(candidates)]


def _set_pending(session: Session, ids: list[int], **values: Any) -> list[int]:
    """Change the messages among `ids` that are still pending and unsent; which were."""
    if not ids:
        return []
    return list(
        session.scalars(
            update(SmsMessage)
            .where(SmsMessage.id.in_(ids), SmsMessage.status == "pending", SmsMessage.sid.is_(None))
            .values(**values)
            .returning(SmsMessage.id)
            .execution_options(synchronize_session=False)
        )
    )


_pools: dict[int, ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()


def _take(runtime: Runtime, item: _Outgoing) -> bool:
    """Move one message from `pending` to `sending`, committed just before its REST call,
    unless the gate refuses it now (then `blocked`): at most once to Twilio, a STOP that
    came while the batch was being sent still counts, and a worker killed mid-batch
    leaves the messages it had not reached yet `pending` rather than stuck as `sending`.

    One statement, its own transaction (on PostgreSQL an autocommitted connection: one
    round trip where BEGIN, UPDATE and COMMIT were three, for every message sent)."""
    refused = exists().where(Caller.id == SmsMessage.caller_id, refused_condition(item.purpose))
    statement = (
        update(SmsMessage)
        .where(
            SmsMessage.id == item.message_id,
            SmsMessage.status == "pending",
            SmsMessage.sid.is_(None),
        )
        .values(status=case((refused, "blocked"), else_="sending"))
        .returning(SmsMessage.status)
    )
    with runtime.db.statement_engine.begin() as conn:
        return conn.execute(statement).scalar() == "sending"


def _pool(size: int) -> ThreadPoolExecutor:
    with _pools_lock:
        if size not in _pools:
            _pools[size] = ThreadPoolExecutor(max_workers=size, thread_name_prefix="sms-send")
        return _pools[size]


def _call_twilio(
    runtime: Runtime, outgoing: list[_Outgoing]
) -> list[tuple[_Outgoing, Sent | Exception]]:
    """Every message to Twilio, `sms_send_concurrency` REST calls at a time, each taken
    (`_take`) just before its call; the messages to one number one after the other, in
    the order they were written."""

    def in_order(items: list[_Outgoing]) -> list[tuple[_Outgoing, Sent | Exception]]:
        answers: list[tuple[_Outgoing, Sent | Exception]] = []
        for item in items:
            try:
                if not _take(runtime, item):
                    continue  # refused now, another run has it, or it was decided otherwise
            except Exception as exc:  # the database away: not sent, tried again later
                answers.append((item, RetryLater(f"not sent: {type(exc).__name__}")))
                continue
            callback = status_callback_url(runtime.settings.public_url, item.message_id)
            try:
                sent = kept_telephony(runtime.settings).send_sms(
                    item.to, item.body, status_callback=callback
                )
            except Exception as exc:  # recorded per message by _record
                answers.append((item, exc))
            else:
                answers.append((item, sent))
        return answers

    per_number: dict[str, list[_Outgoing]] = {}
    for item in outgoing:
        per_number.setdefault(item.to, []).append(item)
    if len(per_number) <= 1 or runtime.settings.sms_send_concurrency == 1:
        return in_order(outgoing)
    pool = _pool(runtime.settings.sms_send_concurrency)
    return [answer for answers in pool.map(in_order, per_number.values()) for answer in answers]


def _record(
    runtime: Runtime, answers: list[tuple[_Outgoing, Sent | Exception]]
) -> dict[int, Exception | None]:
    """Twilio's answers, in one transaction; the outcome of each message's job."""
    outcomes: dict[int, Exception | None] = {}
    if not answers:
        return outcomes
    with runtime.db.session() as session:
        messages = {
            message.id: message
            for message in session.scalars(
                select(SmsMessage).where(
                    SmsMessage.id.in_([item.message_id for item, _ in answers])
                )
            )
        }
        for item, answer in answers:
            message = messages[item.message_id]
            outcomes[item.message_id] = _apply(session, message, answer)
    return outcomes


def _apply(session: Session, message: SmsMessage, answer: Sent | Exception) -> Exception | None:
    if isinstance(answer, Sent):
        message.sid = message.sid or answer.sid
        message.error_code = None
        message.error_message = None
        if message.status == "sending":
            message.status = answer.status  # our own marker gives way to Twilio's word
        else:
            advance_status(message, answer.status)  # a status callback got here first
        return None
    if isinstance(answer, RetryLater):
        return answer  # not taken (the database was away): still pending, tried again
    if not isinstance(answer, TelephonyError):
        return answer  # a bug: left `sending` (maybe sent), the job logs and retries
    message.error_code = answer.code
    if answer.permanent:
        message.status = "failed"
        message.error_message = str(answer)[:255]
        if answer.code == OPTED_OUT_CODE:
            optout.carrier_refused(session, message.caller_id)
        return None
    if answer.ambiguous:
        message.error_message = "no answer from Twilio: waiting for its status"
        return None
    message.status = "pending"  # Twilio did not take it: send again later
    message.error_message = f"will retry: {answer}"[:255]
    return RetryLater(str(answer))


def send_batch_size(settings: Settings) -> int:
    """Messages per batch: `SEND_BATCH`, or twice the calls in flight if that is more, so
    that every call slot stays busy for at least two rounds of Twilio's latency (a batch's
    last round is seldom full, and the next batch starts only when this one ends)."""
    return max(SEND_BATCH, 2 * settings.sms_send_concurrency)


def status_callback_url(public_url: str, message_id: int) -> str:
    """Twilio's status callback for one of our messages, keyed to our record's id."""
    return f"{public_url}/sms/status?m={message_id}"


def register(registry: JobRegistry) -> None:
    registry.add(
        SEND_JOB,
        send_sms,
        max_attempts=6,
        on_give_up=_give_up,
        batch=send_batch,
        batch_size=send_batch_size,
    )
    registry.every("sms.expire_unconfirmed", expire_unconfirmed, seconds=300)
