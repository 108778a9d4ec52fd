"""Every outbound SMS goes through here: checked by the gate (`hotline.sms.gate`: STOP
and the worker's "no SMS"), recorded, then sent by the `sms.send` job through Twilio's
REST API (never inline in a webhook). That includes the answers to a worker's own texts,
which the worker's processor (hotline.sms.processor) records after `/sms/incoming` has
answered with empty TwiML. The ledger is checked here and again by the job just before
sending, for the same purpose.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from hotline.callers.models import Caller
from hotline.cases.models import Case
from hotline.db import utcnow
from hotline.jobs import defer_for
from hotline.sms.gate import sms_refusal
from hotline.sms.jobs import SEND_JOB
from hotline.sms.models import SmsMessage
from hotline.sms.segments import count_segments

log = logging.getLogger(__name__)


def queue_sms(
    session: Session,
    *,
    purpose: str,
    caller: Caller,
    body: str,
    case: Case | None = None,
    kind: str = "system",
    agent_id: int | None = None,
    language: str | None = None,
    flush: bool = True,
) -> SmsMessage | None:
    """Record an outbound SMS for `purpose` (one of `hotline.sms.gate.PURPOSES`) and
    defer its sending. None when the gate refuses (STOP, or the worker's "no SMS").

    With `flush=False` the message has no id yet: it and its job are inserted at the
    session's next flush (the SMS processor inserts a batch's replies together).
    """
    refusal = sms_refusal(session, caller, purpose)
    if refusal is not None:
        log.info("sms refused: purpose=%s reason=%s caller=%s", purpose, refusal, caller.id)
        return None
    message = SmsMessage(
        direction="out",
        kind=kind,
        caller_id=caller.id,
        case_id=case.id if case is not None else None,
        agent_id=agent_id,
        body=body,
        language=language or caller.language,
        status="pending",
        segments=count_segments(body).segments,
        # Every column given, as an inbound text's are: SQLAlchemy inserts consecutive
        # rows with the same columns in one statement, so a batch's texts and replies
        # go in together rather than one statement per row.
        num_media=0,
        created_at=utcnow(),
    )
    session.add(message)
    if flush:
        session.flush()
    defer_for(session, SEND_JOB, message, "message_id", purpose=purpose)
    return message
