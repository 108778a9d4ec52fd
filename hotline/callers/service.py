"""Finding and creating callers by phone number."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from hotline.callers.models import Caller
from hotline.crypto import decrypt_phone, encrypt_phone, normalise_phone, phone_hash
from hotline.db import insert_unless_taken

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
    e164 = normalise_phone(raw_number)
    digest = phone_hash(secret, e164)
    caller = insert_unless_taken(
        session, Caller, phone_hash=digest, phone_encrypted=encrypt_phone(secret, e164)
    )
    if caller is None:
        caller = session.scalars(select(Caller).where(Caller.phone_hash == digest)).one()
    return caller


def caller_phone(secret: str, caller: Caller) -> str:
    """The caller's number in E.164 form, for the code that dials or texts it."""
    return decrypt_phone(secret, caller.phone_encrypted)
