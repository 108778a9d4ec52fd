"""Every outbound SMS goes through here: checked against the opt-out ledger, recorded,
then sent by the `sms.send` job (never inline in a webhook)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from hotline.callers.models import Caller
from hotline.cases.models import Case
from hotline.jobs import defer
from hotline.sms.models import SmsMessage
from hotline.sms.segments import count_segments


def queue_sms(
    session: Session,
    *,
    caller: Caller,
    body: str,
    case: Case | None = None,
    kind: str = "system",
    agent_id: int | None = None,
    language: str | None = None,
) -> SmsMessage | None:
    """Record an outbound SMS and defer its sending. None when the number opted out."""
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
        status="pending",
        segments=count_segments(body).segments,
    )
    session.add(message)
    session.flush()
    defer(session, "sms.send", message_id=message.id)
    return message
