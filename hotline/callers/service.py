"""Finding and creating callers by phone number."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.callers.models import Caller
from hotline.crypto import decrypt_phone, encrypt_phone, normalise_phone, phone_hash


def find_caller(session: Session, secret: str, raw_number: str) -> Caller | None:
    e164 = normalise_phone(raw_number)
    return session.scalar(select(Caller).where(Caller.phone_hash == phone_hash(secret, e164)))


def get_or_create_caller(session: Session, secret: str, raw_number: str) -> Caller:
    """The caller for this number, created on first contact (safe under concurrent calls)."""
    e164 = normalise_phone(raw_number)
    digest = phone_hash(secret, e164)
    caller = session.scalar(select(Caller).where(Caller.phone_hash == digest))
    if caller is not None:
        return caller
    caller = Caller(phone_hash=digest, phone_encrypted=encrypt_phone(secret, e164))
    try:
        with session.begin_nested():
            session.add(caller)
    except IntegrityError:
        caller = session.scalars(select(Caller).where(Caller.phone_hash == digest)).one()
    return caller


def caller_phone(secret: str, caller: Caller) -> str:
    """The caller's number in E.164 form, for the code that dials or texts it."""
    return decrypt_phone(secret, caller.phone_encrypted)
