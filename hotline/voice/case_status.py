"""What a returning caller hears about their case, right after the greeting.

One short sentence, the status and nothing more (someone else may be listening on
speaker): for the case not yet closed, or the latest one closed within
`TELL_CLOSED_WITHIN`. It is looked up with the caller on the call's first step, in the
same query, so a returning caller costs no extra round trip. The same query says whether
any staff member has a PIN for the staff line at all: only then is the number compared
with the staff phones (a second read). It returns one row even for a number not seen
before (the caller's columns NULL).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import bindparam, exists, literal, or_, select
from sqlalchemy.orm import Session

from hotline.callers.models import Caller
from hotline.callers.service import create_caller
from hotline.cases.models import CASE_STATUSES, Case
from hotline.crypto import InvalidPhoneNumber, normalise_phone, phone_hash
from hotline.db import utcnow
from hotline.voice.models import RecorderPin

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
# One row whether or not the number is known (the caller's columns NULL when it is not),
# so the staff-PIN question is answered for new numbers too.
_ONE_ROW = select(literal(1).label("one")).subquery("one_row")
CALLER_AND_STATUS = (
    select(Caller, _STATUS_TO_TELL, exists(select(RecorderPin.id)))
    .select_from(_ONE_ROW)
    .outerjoin(Caller, Caller.phone_hash == bindparam("digest"))
)
# The same read without the ORM (hotline.voice.first_step): the caller's columns that a
# first step reads, then the status and the staff-PIN question.
CALLER_COLUMNS_AND_STATUS = (
    select(
        Caller.id,
        Caller.language,
        Caller.privacy_notice_at,
        Caller.sms_allowed,
        Caller.may_identify,
        Caller.call_window,
        _STATUS_TO_TELL,
        exists(select(RecorderPin.id)),
    )
    .select_from(_ONE_ROW)
    .outerjoin(Caller, Caller.phone_hash == bindparam("digest"))
)


@dataclass(frozen=True)
class CallerLookup:
    """What the first step of a call knows about who is calling."""

    caller: Caller | None  # None: a withheld number
    status: str | None  # the case status to tell, if any
    staff_possible: bool  # a staff member may be calling: compare the staff phones
    first_contact: bool = False  # a number not seen before: `with_new_caller` creates it


def status_prompt(status: str) -> str:
    """The prompt that tells a case's status (`case_status_open`, ...)."""
    return f"case_status_{status}"


def told_status(status: str | None) -> str | None:
    """The status looked up, if it is one a caller can be told."""
    return status if status in CASE_STATUSES else None


def caller_and_case_status(session: Session, secret: str, raw_number: str) -> CallerLookup:
    """The caller of this number (created on first contact; None for a withheld number)
    and the status of their case to tell them, or None when there is nothing to tell.

    One read, for a returning caller as for a new one (whose caller is then created)."""
    try:
        e164 = normalise_phone(raw_number)
    except InvalidPhoneNumber:
        return CallerLookup(None, None, False)  # a withheld number: nothing to remember
    params = {"digest": phone_hash(secret, e164), "closed_since": utcnow() - TELL_CLOSED_WITHIN}
    caller, status, staff_possible = session.execute(CALLER_AND_STATUS, params).one()
    if caller is None:
        return CallerLookup(None, None, bool(staff_possible), first_contact=True)
    return CallerLookup(caller, told_status(status), bool(staff_possible))


def with_new_caller(
    lookup: CallerLookup, session: Session, secret: str, raw_number: str
) -> CallerLookup:
    """The lookup of a number not seen before, its caller created now."""
    if not lookup.first_contact:
        return lookup
    return CallerLookup(create_caller(session, secret, raw_number), None, lookup.staff_possible)
