"""Whether the hotline may text a worker at all: the one question every outbound SMS
an adviser starts must ask first."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.callbacks.models import CallbackRequest
from hotline.callers.models import Caller

REFUSALS = {
    "opted_out": "The worker opted out of SMS (STOP): nothing can be sent until they send START.",
    "sms_refused": (
        "The worker asked not to be texted (their phone may be seen by others): "
        "request a callback instead."
    ),
}


def sms_refusal(session: Session, caller: Caller) -> str | None:
    """Why no SMS may go to this worker ("opted_out", "sms_refused"), or None.

    The worker's latest answer to "may we text you?" (asked with a callback request by
    phone) wins; a worker who only ever texted us has not refused."""
    if caller.sms_opted_out:
        return "opted_out"
    latest = session.execute(
        select(CallbackRequest.sms_allowed, CallbackRequest.source)
        .where(CallbackRequest.caller_id == caller.id)
        .order_by(CallbackRequest.created_at.desc(), CallbackRequest.id.desc())
        .limit(1)
    ).first()
    if latest is not None and latest.source == "voice" and not latest.sms_allowed:
        return "sms_refused"
    return None
