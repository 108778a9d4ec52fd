"""Finding and creating callers by phone number."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from hotline.callers.models import Caller
from hotline.crypto import decrypt_phone, encrypt_phone, normalise_phone, phone_hash
from hotline.db import insert_all_unless_taken

_BY_HASH = select(Caller).where(Caller.phone_hash == bindparam("digest"))


def find_caller(session: Session, secret: str, raw_number: str) -> Caller | None:
    e164 = normalise_phone(raw_number)
    return session.scalar(select(Caller).where(Caller.phone_hash == phone_hash(secret, e164)))


def get_or_create_caller(session: Session, secret: str, raw_number: str) -> Caller:
    """The caller for this number, created on first contact (safe under concurrent calls)."""
    e164 = normalise_phone(raw_number)
    digest = phone_hash(secret, e164)
    caller = session.scalar(_BY_HASH, {"digest": digest})
    return caller or create_caller(session, secret, e164)


def create_caller(session: Session, secret: str, raw_number: str) -> Caller:
    """A caller for a number not seen before; if a concurrent request created it first,
    that one."""
    return next(iter(create_callers(session, secret, [raw_number]).values()))


def create_callers(session: Session, secret: str, raw_numbers: list[str]) -> dict[str, Caller]:
    """Callers for numbers not seen before, by phone hash, in one statement (the SMS
    processor creates a batch's new senders together); a number a concurrent request
    created first gets that caller."""
    numbers = {phone_hash(secret, e164): e164 for e164 in map(normalise_phone, raw_numbers)}
    rows = [
        {"phone_hash": digest, "phone_encrypted": encrypt_phone(secret, e164)}
        for digest, e164 in numbers.items()
    ]
    callers = {c.phone_hash: c for c in insert_all_unless_taken(session, Caller, rows)}
    taken = [digest for digest in numbers if digest not in callers]
    if taken:
        earlier = session.scalars(select(Caller).where(Caller.phone_hash.in_(taken)))
        callers.update((caller.phone_hash, caller) for caller in earlier)
    return callers


def caller_phone(secret: str, caller: Caller) -> str:
    """The caller's number in E.164 form, for the code that dials or texts it."""
    return decrypt_phone(secret, caller.phone_encrypted)
