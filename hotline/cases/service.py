"""Opening cases and giving them references a worker can read out and key in."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.callers.models import Caller
from hotline.cases.models import Case
from hotline.db import insert_unless_taken, utcnow

REFERENCE_DIGITS = 6


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
    """The caller's open case, or a new one with a fresh unique reference."""
    case = _open_case(session, caller)
    if case is not None:
        if case.language is None and language is not None:
            case.language = language
        return case
    return new_case_for(session, caller, language)[0]


def new_case_for(
    session: Session, caller: Caller, language: str | None = None
) -> tuple[Case, bool]:
    """A new open case for a caller known to have none, and True; or, if a concurrent
    request opened one first (one open case per caller is a unique index), that one and
    False."""
    for _ in range(20):
        case = insert_unless_taken(
            session, Case, reference=new_reference(), caller_id=caller.id, language=language
        )
        if case is not None:
            return case, True
        # Either this caller's case was opened concurrently, or the reference was taken.
        existing = _open_case(session, caller)
        if existing is not None:
            return existing, False
    raise RuntimeError("could not allocate a unique case reference")


def _open_case(session: Session, caller: Caller) -> Case | None:
    return session.scalar(
        select(Case).where(Case.caller_id == caller.id, Case.status == "open").limit(1)
    )


def touch(case: Case) -> None:
    case.last_activity_at = utcnow()
