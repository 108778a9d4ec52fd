"""What a returning caller hears about their case, right after the greeting.

One short sentence, the status and nothing more (someone else may be listening on
speaker): for the case not yet closed, or the latest one closed within
`TELL_CLOSED_WITHIN`. It is looked up with the caller on the call's first step, in the
same query, so a returning caller costs no extra round trip.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from hotline.callers.models import Caller
from hotline.callers.service import create_caller
from hotline.cases.models import CASE_STATUSES, Case
from hotline.crypto import InvalidPhoneNumber, normalise_phone, phone_hash
from hotline.db import utcnow

TELL_CLOSED_WITHIN = dt.timedelta(days=30)

# The caller's case not yet closed (at most one per caller: a unique index), else their
# latest closed since :closed_since; ordered so that the open one comes first.
_STATUS_TO_TELL = (
    select(Case.status)
    .where(
        Case.caller_id == Caller.id,
        or_(Case.status != "closed", Case.closed_at >= bindparam("closed_since")),
    )
    .order_by(Case.closed_at.desc().nulls_first(), Case.id.desc())
    .limit(1)
    .correlate(Caller)
    .scalar_subquery()
)
CALLER_AND_STATUS = select(Caller, _STATUS_TO_TELL).where(Caller.phone_hash == bindparam("digest"))


def status_prompt(status: str) -> str:
    """The prompt that tells a case's status (`case_status_open`, ...)."""
    return f"case_status_{status}"


def caller_and_case_status(
    session: Session, secret: str, raw_number: str
) -> tuple[Caller | None, str | None]:
    """The caller of this number (created on first contact; None for a withheld number)
    and the status of their case to tell them, or None when there is nothing to tell."""
    try:
        e164 = normalise_phone(raw_number)
    except InvalidPhoneNumber:
        return None, None  # a withheld number ("anonymous"): nothing to remember
    params = {"digest": phone_hash(secret, e164), "closed_since": utcnow() - TELL_CLOSED_WITHIN}
    row = session.execute(CALLER_AND_STATUS, params).first()
    if row is None:
        return create_caller(session, secret, e164), None
    caller, status = row
    return caller, status if status in CASE_STATUSES else None
