"""The `sms.send` job: hand one recorded outbound SMS to Twilio."""

from __future__ import annotations

from sqlalchemy import select

from hotline.callers.models import Caller
from hotline.callers.service import caller_phone
from hotline.db import utcnow
from hotline.jobs import RetryLater, job
from hotline.runtime import Runtime
from hotline.sms.models import OptOutEvent, SmsMessage, advance_status
from hotline.telephony import OPTED_OUT_CODE, TelephonyError, telephony


def _give_up(runtime: Runtime, error: Exception, *, message_id: int) -> None:
    with runtime.db.session() as session:
        message = session.get(SmsMessage, message_id)
        if message is not None and message.status == "pending":
            message.status = "failed"
            message.error_message = "gave up after repeated transient errors"


@job("sms.send", max_attempts=6, on_give_up=_give_up)
def send_sms(runtime: Runtime, *, message_id: int) -> None:
    with runtime.db.session() as session:
        message = session.get(SmsMessage, message_id)
        if message is None or message.status != "pending" or message.sid:
            return  # already sent, or decided otherwise: idempotent
        caller = session.scalars(select(Caller).where(Caller.id == message.caller_id)).one()
        if caller.sms_opted_out:
            message.status = "blocked"
            return
        to = caller_phone(runtime.settings.secret_key, caller)
        body = message.body
    # Keyed to our record: a status callback may arrive before we have stored the sid.
    callback = f"{runtime.settings.public_url}/sms/status?m={message_id}"
    try:
        sent = telephony(runtime.settings).send_sms(to, body, status_callback=callback)
    except TelephonyError as exc:
        if not exc.permanent:
            raise RetryLater(str(exc)) from exc
        with runtime.db.session() as session:
            message = session.get(SmsMessage, message_id)
            assert message is not None
            message.status = "failed"
            message.error_code = exc.code
            message.error_message = str(exc)[:255]
            if exc.code == OPTED_OUT_CODE:
                opted_out = session.get(Caller, message.caller_id)
                assert opted_out is not None
                if opted_out.sms_opted_out_at is None:
                    opted_out.sms_opted_out_at = utcnow()
                session.add(
                    OptOutEvent(caller_id=opted_out.id, action="stop", source="twilio-21610")
                )
        return
    with runtime.db.session() as session:
        message = session.get(SmsMessage, message_id)
        assert message is not None
        message.sid = sent.sid
        advance_status(message, sent.status)
