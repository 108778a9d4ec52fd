"""Whether the hotline may text a worker: the one gate every outbound SMS passes.

`queue_sms` asks it before recording a message, and the `sms.send` job asks again just
before handing one to Twilio (the worker may have said "no SMS" in between), as SQL in
the statement that takes the message (`refused_condition`). Every
reason the hotline texts anyone is registered in `PURPOSES`; `queue_sms` refuses a
purpose that is not, so a new path has to be added here, where its rule is decided.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_
from sqlalchemy.orm import Session

from hotline.callers.models import Caller
from hotline.sms import optout

REFUSALS = {
    "opted_out": "The worker opted out of SMS (STOP): nothing can be sent until they send START.",
    "sms_refused": (
        "The worker asked not to be texted (their phone may be seen by others): "
        "request a callback instead."
    ),
}

# purpose → what it is. Texts the hotline starts honour both STOP and "no SMS".
PURPOSES = {
    "reply": "an adviser's reply on the case",
    "referral": "the organisations an adviser referred the worker to",
    "callback_confirmation": "the case reference after a callback request by phone",
    "callback_gave_up": "'we could not reach you' after the last missed callback",
    "keyword_answer": "the immediate answer to a text the worker just sent",
    "stop_confirmation": "the one confirmation of a STOP, sent even though the number is closed",
}
# An immediate answer to the worker's own text (HELP, STATUS, CALL, ...) is sent in
# reply to a message they sent from that phone a moment ago: it is the answer they asked
# for, so "no SMS" does not silence it; STOP does.
ANSWERS_TO_THE_WORKER = frozenset({"keyword_answer", "stop_confirmation"})
# The confirmation of a STOP is recorded as the STOP closes the number, and sent after:
# it is the one message the closed number still gets (once per STOP that closed it).
AFTER_STOP = frozenset({"stop_confirmation"})


class UnknownPurpose(ValueError):
    """An outbound SMS for a reason the gate does not know."""


def sms_refusal(session: Session, caller: Caller, purpose: str | None = None) -> str | None:
    """Why no SMS for `purpose` (None: any text the hotline starts) may go to this
    worker ("opted_out", "sms_refused"), or None. Only an explicit "no" refuses: a
    worker never asked has not refused."""
    if purpose is not None and purpose not in PURPOSES:
        raise UnknownPurpose(f"unknown SMS purpose {purpose!r}: register it in hotline.sms.gate")
    if optout.is_opted_out(caller) and purpose not in AFTER_STOP:
        return "opted_out"
    if caller.sms_allowed is False and purpose not in ANSWERS_TO_THE_WORKER:
        return "sms_refused"
    return None


def refused_condition(purpose: str | None = None) -> ColumnElement[bool]:
    """`sms_refusal` as SQL over `callers`: true when no SMS for `purpose` may go to that
    caller. For the send itself, which must decide at the moment it takes a message
    (hotline.sms.jobs), not when its batch began."""
    if purpose is not None and purpose not in PURPOSES:
        raise UnknownPurpose(f"unknown SMS purpose {purpose!r}: register it in hotline.sms.gate")
    conditions: list[ColumnElement[bool]] = []
    if purpose not in AFTER_STOP:
        conditions.append(optout.opted_out_condition())
    if purpose not in ANSWERS_TO_THE_WORKER:
        conditions.append(Caller.sms_allowed.is_(False))
    return or_(*conditions) if conditions else false()
