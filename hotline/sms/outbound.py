"""Every outbound SMS goes through here: checked against the opt-out ledger, recorded,
then sent by the `sms.send` job (never inline in a webhook).

The one exception to "sent by the job" is an immediate answer to a worker's own text:
it is recorded here exactly the same way but handed to Twilio as a TwiML `<Message>` in
the webhook's answer (`deliver="twiml"`), which costs no REST call and no wait. Both
paths check the ledger here; the job checks it again just before sending.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy.orm import Session

from hotline.callers.models import Caller
from hotline.cases.models import Case
from hotline.jobs import defer
from hotline.sms.models import SmsMessage
from hotline.sms.segments import count_segments

Delivery = Literal["job", "twiml"]


def queue_sms(
    session: Session,
    *,
    caller: Caller,
    body: str,
    case: Case | None = None,
    kind: str = "system",
    agent_id: int | None = None,
    language: str | None = None,
    deliver: Delivery = "job",
) -> SmsMessage | None:
    """Record an outbound SMS and defer its sending. None when the number opted out.

    With `deliver="twiml"` nothing is deferred: the caller (the `/sms/incoming` view)
    puts the body in its TwiML answer, with a status callback keyed to this record.
    """
    if caller.sms_opted_out:
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
        defer(session, "sms.send", message_id=message.id)
    return message


def status_callback_url(public_url: str, message_id: int) -> str:
    """Twilio's status callback for one of our messages, keyed to our record's id."""
    return f"{public_url}/sms/status?m={message_id}"
