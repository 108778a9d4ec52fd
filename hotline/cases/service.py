"""Opening cases, giving them references a worker can read out and key in, and
reopening a closed case when its worker comes back."""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.callers.models import Caller
from hotline.cases.models import Case, CaseEvent
from hotline.db import insert_unless_taken, utcnow

REFERENCE_DIGITS = 6
# A worker who comes back within this time continues their closed case, with the
# adviser who had it; later, a new case starts (retention may have emptied the old one).
REOPEN_WITHIN = dt.timedelta(days=180)


def luhn_digit(digits: str) -> str:
    """The Luhn check digit for `digits`, so a mistyped reference is caught."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def new_reference() -> str:
    """Seven digits: six random (no leading zero) and a Luhn check digit."""
    body = str(secrets.randbelow(9 * 10 ** (REFERENCE_DIGITS - 1)) + 10 ** (REFERENCE_DIGITS - 1))
    return body + luhn_digit(body)


def is_valid_reference(text: str) -> bool:
    return (
        len(text) == REFERENCE_DIGITS + 1
        and text.isascii()
        and text.isdigit()
        and luhn_digit(text[:-1]) == text[-1]
    )


def open_case_for(session: Session, caller: Caller, language: str | None = None) -> Case:
    """The caller's case not yet closed, a recently closed one reopened, or a new one."""
    case = _active_case(session, caller)
    if case is not None:
        if case.language is None and language is not None:
            case.language = language
        return case
    return new_case_for(session, caller, language)[0]


def new_case_for(
    session: Session, caller: Caller, language: str | None = None
) -> tuple[Case, bool]:
    """A case for a caller known to have none open: their recently closed case reopened,
    or a new one; and True when it is new. If a concurrent request opened one first (one
    case not yet closed per caller is a unique index), that one and False."""
    reopened = _reopen_latest(session, caller)
    if reopened is not None:
        if reopened.language is None and language is not None:
            reopened.language = language
        return reopened, False
    for _ in range(20):
        case = insert_unless_taken(
            session, Case, reference=new_reference(), caller_id=caller.id, language=language
        )
        if case is not None:
            return case, True
        # Either this caller's case was opened concurrently, or the reference was taken.
        existing = _active_case(session, caller)
        if existing is not None:
            return existing, False
    raise RuntimeError("could not allocate a unique case reference")


def _active_case(session: Session, caller: Caller) -> Case | None:
    return session.scalar(
        select(Case).where(Case.caller_id == caller.id, Case.status != "closed").limit(1)
    )


def _reopen_latest(session: Session, caller: Caller) -> Case | None:
    """Reopen the caller's most recently closed case if it closed within REOPEN_WITHIN."""
    latest = session.scalar(
        select(Case)
        .where(
            Case.caller_id == caller.id,
            Case.status == "closed",
            Case.closed_at >= utcnow() - REOPEN_WITHIN,
        )
        .order_by(Case.closed_at.desc(), Case.id.desc())
        .limit(1)
    )
    if latest is None:
        return None
    try:
        with session.begin_nested():
            changed = session.execute(
                update(Case)
                .where(Case.id == latest.id, Case.status == "closed")
                .values(status="open", outcome=None, closed_at=None)
                .execution_options(synchronize_session=False)
            ).rowcount  # type: ignore[attr-defined]
    except IntegrityError:
        changed = 0  # a concurrent contact opened a case for this caller first
    if not changed:
        return _active_case(session, caller)
    session.refresh(latest)
    session.add(CaseEvent(case_id=latest.id, kind="reopened", detail={"by": "worker contact"}))
    return latest


def touch(case: Case) -> None:
    case.last_activity_at = utcnow()


def worker_contacted(case: Case, at: dt.datetime | None = None) -> None:
    """A text or voice message from the worker: it waits for an answer, and a case that
    was waiting for the worker is theirs to work again."""
    now = at or utcnow()
    case.last_activity_at = now
    if case.awaiting_reply_since is None:
        case.awaiting_reply_since = now
    if case.status == "waiting":
        case.status = "open"


def answered(case: Case) -> None:
    """An adviser answered the worker (a reply sent, a callback that reached them)."""
    case.awaiting_reply_since = None
    case.last_activity_at = utcnow()
