"""Every outbound SMS goes through here: checked by the gate (`hotline.sms.gate`: STOP
and the worker's "no SMS"), recorded, then sent by the `sms.send` job (never inline in a
webhook).

The one exception to "sent by the job" is an immediate answer to a worker's own text:
it is recorded here exactly the same way but handed to Twilio as a TwiML `<Message>` in
the webhook's answer (`deliver="twiml"`), which costs no REST call and no wait. Both
paths check the ledger here; the job checks it again just before sending.
"""

from __future__ import annotations

import logging
from typing import Literal

from sqlalchemy.orm import Session

from hotline.callers.models import Caller
from hotline.cases.models import Case
from hotline.jobs import defer
from hotline.sms.gate import ANSWERS_TO_THE_WORKER, sms_refusal
from hotline.sms.jobs import SEND_JOB
from hotline.sms.models import SmsMessage
from hotline.sms.segments import count_segments

Delivery = Literal["job", "twiml"]
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
    deliver: Delivery = "job",
) -> SmsMessage | None:
    """Record an outbound SMS for `purpose` (one of `hotline.sms.gate.PURPOSES`) and
    defer its sending. None when the gate refuses (STOP, or the worker's "no SMS").

    With `deliver="twiml"` nothing is deferred: the caller (the `/sms/incoming` view)
    puts the body in its TwiML answer, with a status callback keyed to this record.
    """
    if purpose in ANSWERS_TO_THE_WORKER and deliver != "twiml":
        raise ValueError(f"{purpose!r} is an immediate answer: it goes out as TwiML only")
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
        status="pending" if deliver == "job" else "accepted",
        segments=count_segments(body).segments,
    )
    session.add(message)
    session.flush()
    if deliver == "job":
        defer(session, SEND_JOB, message_id=message.id)
    return message
