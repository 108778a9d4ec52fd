"""Opening callback requests: one open request per case; asking again raises it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.callbacks.models import WINDOWS, CallbackRequest
from hotline.callers.models import Caller
from hotline.cases.models import Case
from hotline.cases.service import touch
from hotline.crypto import encrypt_phone, normalise_phone

URGENT_PRIORITY = 100
REPEAT_BUMP = 10


def request_callback(
    session: Session,
    secret: str,
    *,
    case: Case,
    caller: Caller,
    language: str,
    phone: str,
    window: str = "any",
    may_identify: bool = False,
    sms_allowed: bool = False,
    urgent: bool = False,
    source: str = "voice",
) -> CallbackRequest:
    """The case's open callback request, created or raised in priority and updated."""
    if window not in WINDOWS:
        raise ValueError(f"window must be one of: {', '.join(WINDOWS)}")
    e164 = normalise_phone(phone)
    existing = session.scalar(
        select(CallbackRequest).where(
            CallbackRequest.case_id == case.id, CallbackRequest.status != "closed"
        )
    )
    touch(case)
    if urgent:
        case.urgent = True
    if existing is not None:
        existing.priority = max(existing.priority + REPEAT_BUMP, URGENT_PRIORITY if urgent else 0)
        existing.urgent = existing.urgent or urgent
        existing.window = window
        existing.may_identify = may_identify
        existing.sms_allowed = sms_allowed
        existing.phone_encrypted = encrypt_phone(secret, e164)
        return existing
    request = CallbackRequest(
        case_id=case.id,
        caller_id=caller.id,
        language=language,
        phone_encrypted=encrypt_phone(secret, e164),
        window=window,
        may_identify=may_identify,
        sms_allowed=sms_allowed,
        urgent=urgent,
        priority=URGENT_PRIORITY if urgent else 0,
        source=source,
    )
    session.add(request)
    session.flush()
    return request
