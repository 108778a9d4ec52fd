"""The opt-out ledger: the one place that reads and writes who said STOP.

A number is closed to SMS from its STOP (by text, or Twilio's 21610 "the carrier has
it as opted out") until its START. `callers.sms_opted_out_at` holds the current state
and `opt_out_events` every change ever made, for the worker's own data export. Nothing
else reads or writes either: the gate (hotline.sms.gate) asks `is_opted_out`, the
keyword handlers call `stop`/`start`, the sending job and the status callback call
`carrier_refused`, and erasure calls `forget`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.orm import Session

from hotline.callers.models import Caller
from hotline.db import utcnow
from hotline.sms.models import OptOutEvent

CARRIER_SOURCE = "twilio-21610"


def is_opted_out(caller: Caller) -> bool:
    """Whether no SMS at all may go to this number (it sent STOP and no START since)."""
    return caller.sms_opted_out_at is not None


def opted_out_condition() -> ColumnElement[bool]:
    """`is_opted_out` as SQL over `callers`, for a statement that must decide as it writes."""
    return Caller.sms_opted_out_at.is_not(None)


def opted_out_at(caller: Caller) -> dt.datetime | None:
    return caller.sms_opted_out_at


def stop(session: Session, caller: Caller, *, source: str = "sms") -> bool:
    """Close the number; every STOP is in the ledger. True when it was open until now."""
    was_open = caller.sms_opted_out_at is None
    if was_open:
        caller.sms_opted_out_at = utcnow()
    session.add(OptOutEvent(caller_id=caller.id, action="stop", source=source))
    return was_open


def start(session: Session, caller: Caller, *, source: str = "sms") -> bool:
    """Open the number again; only a real change is recorded. True when it was closed."""
    if caller.sms_opted_out_at is None:
        return False
    caller.sms_opted_out_at = None
    session.add(OptOutEvent(caller_id=caller.id, action="start", source=source))
    return True


def carrier_refused(session: Session, caller_id: int) -> None:
    """Twilio refused a message with 21610: the carrier holds a STOP for this number,
    so the ledger must say so too, or every later send would be refused the same way."""
    caller = session.get(Caller, caller_id)
    if caller is not None and caller.sms_opted_out_at is None:
        stop(session, caller, source=CARRIER_SOURCE)


def history(session: Session, caller_id: int) -> list[OptOutEvent]:
    """Every STOP and START of this number, oldest first."""
    return list(
        session.scalars(
            select(OptOutEvent)
            .where(OptOutEvent.caller_id == caller_id)
            .order_by(OptOutEvent.at, OptOutEvent.id)
        )
    )


def forget(session: Session, caller_id: int) -> dict[str, Any]:
    """Erase the number's ledger (the worker's data is erased); the values to set on the
    caller row, which the erasure rewrites in one statement."""
    session.execute(delete(OptOutEvent).where(OptOutEvent.caller_id == caller_id))
    return {"sms_opted_out_at": None}
