"""The `sms.send` job: hand one recorded outbound SMS to Twilio.

The job sends at most once: it re-reads the message by id, only sends one that is
still `pending` with no Twilio sid, and marks it `sending` (committed) before calling
out, so a worker that dies mid-send cannot send it again. It checks the opt-out ledger
again just before sending (a STOP may have arrived since the message was queued).
Errors say whether to retry: a refused connection, a 5xx or a 429 is retried with the
job's backoff; a permanent refusal (invalid number, 21610 opted out, ...) is recorded
and never retried, and a 21610 also closes the number in the ledger. When Twilio may
have accepted the message but its answer was lost (a read timeout), the message stays
`sending` until Twilio's status callback (keyed to our record) tells; one that never
hears back is marked failed after `UNCONFIRMED_AFTER`, for an adviser to see.
"""

from __future__ import annotations

import datetime as dt

from cryptography.fernet import InvalidToken
from sqlalchemy import select, update

from hotline.callers.models import Caller
from hotline.callers.service import caller_phone
from hotline.db import utcnow
from hotline.jobs import JobRegistry, RetryLater
from hotline.runtime import Runtime
from hotline.sms import optout
from hotline.sms.gate import sms_refusal
from hotline.sms.models import SmsMessage, advance_status
from hotline.telephony import OPTED_OUT_CODE, TelephonyError, telephony

SEND_JOB = "sms.send"
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


def _fail(runtime: Runtime, message_id: int, reason: str, code: int | None = None) -> None:
    with runtime.db.session() as session:
        message = session.get(SmsMessage, message_id)
        assert message is not None
        message.status = "failed"
        message.error_code = code
        message.error_message = reason[:255]
        if code == OPTED_OUT_CODE:
            optout.carrier_refused(session, message.caller_id)


def send_sms(runtime: Runtime, *, message_id: int, purpose: str | None = None) -> None:
    with runtime.db.session() as session:
        message = session.get(SmsMessage, message_id)
        if message is None or message.direction != "out":
            return
        if message.status != "pending" or message.sid:
            return  # already sent, or decided otherwise: idempotent
        caller = session.scalars(select(Caller).where(Caller.id == message.caller_id)).one()
        # Asked again: the worker may have sent STOP or said "no SMS" since it was queued.
        if sms_refusal(session, caller, purpose) is not None:
            message.status = "blocked"
            return
        try:
            to = caller_phone(runtime.settings.secret_key, caller)
        except InvalidToken:
            to = None
        body = message.body
        if to is not None:
            message.status = "sending"  # committed before calling out: at most once
    if to is None:
        _fail(runtime, message_id, "the number cannot be decrypted with the current secret key")
        return
    callback = status_callback_url(runtime.settings.public_url, message_id)
    try:
        sent = telephony(runtime.settings).send_sms(to, body, status_callback=callback)
    except TelephonyError as exc:
        if exc.permanent:
            _fail(runtime, message_id, str(exc), exc.code)
            return
        with runtime.db.session() as session:
            message = session.get(SmsMessage, message_id)
            if message is not None:
                message.error_code = exc.code
                if exc.ambiguous:
                    message.error_message = "no answer from Twilio: waiting for its status"
                    return
                message.status = "pending"  # Twilio did not take it: send again later
                message.error_message = f"will retry: {exc}"[:255]
        raise RetryLater(str(exc)) from exc
    with runtime.db.session() as session:
        message = session.get(SmsMessage, message_id)
        assert message is not None
        message.sid = message.sid or sent.sid
        message.error_code = None
        message.error_message = None
        if message.status == "sending":
            message.status = sent.status  # our own marker gives way to Twilio's word
        else:
            advance_status(message, sent.status)  # a status callback got here first


def status_callback_url(public_url: str, message_id: int) -> str:
    """Twilio's status callback for one of our messages, keyed to our record's id."""
    return f"{public_url}/sms/status?m={message_id}"


def register(registry: JobRegistry) -> None:
    registry.add(SEND_JOB, send_sms, max_attempts=6, on_give_up=_give_up)
    registry.every("sms.expire_unconfirmed", expire_unconfirmed, seconds=300)
