"""Opening callback requests: one open request per case; asking again raises it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.agents.models import Agent
from hotline.audit import record
from hotline.callbacks.jobs import PLACE_CALL_JOB
from hotline.callbacks.messages import gave_up_sms
from hotline.callbacks.models import OUTCOMES, WINDOWS, CallbackAttempt, CallbackRequest
from hotline.callbacks.queue import next_open_time, renew_lease, window_is_open
from hotline.callbacks.tollfraud import RefusedDestination, check_destination
from hotline.callers.consent import remember_choices
from hotline.callers.models import Caller
from hotline.cases.models import Case
from hotline.cases.service import answered, touch
from hotline.config import Settings
from hotline.crypto import decrypt_phone, encrypt_phone, normalise_phone
from hotline.db import utcnow
from hotline.errors import Refused
from hotline.jobs import defer
from hotline.sms.gate import sms_refusal
from hotline.sms.outbound import queue_sms

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
    window: str | None = None,
    may_identify: bool | None = None,
    sms_allowed: bool | None = None,
    urgent: bool = False,
    source: str = "voice",
) -> CallbackRequest:
    """The case's open callback request, created or raised in priority and updated.

    The answers given (None: not asked this time) become the worker's standing choices;
    the request carries them as they now stand. Never asked: any window, discreet, and
    SMS only for a worker who texted us."""
    if window is not None and window not in WINDOWS:
        raise ValueError(f"window must be one of: {', '.join(WINDOWS)}")
    e164 = normalise_phone(phone)
    choices = remember_choices(
        session,
        caller,
        channel=source,
        case=case,
        sms_allowed=sms_allowed,
        may_identify=may_identify,
        call_window=window,
    )
    return _open_request(
        session,
        secret,
        case=case,
        caller=caller,
        language=language,
        e164=e164,
        window=choices.call_window or "any",
        may_identify=bool(choices.may_identify),
        sms_allowed=choices.sms_allowed if choices.sms_allowed is not None else source == "sms",
        urgent=urgent,
        source=source,
    )


def _open_request(
    session: Session,
    secret: str,
    *,
    case: Case,
    caller: Caller,
    language: str,
    e164: str,
    window: str,
    may_identify: bool,
    sms_allowed: bool,
    urgent: bool,
    source: str,
) -> CallbackRequest:
    existing = session.scalar(
        select(CallbackRequest).where(
            CallbackRequest.case_id == case.id, CallbackRequest.status != "closed"
        )
    )
    touch(case)
    if urgent:
        case.urgent = True
    if case.language is None:
        # The agents who may take the callback must be able to read its case.
        case.language = language
    if existing is not None:
        existing.priority = max(existing.priority + REPEAT_BUMP, URGENT_PRIORITY if urgent else 0)
        existing.urgent = existing.urgent or urgent
        existing.window = window
        existing.may_identify = may_identify
        existing.sms_allowed = sms_allowed
        existing.phone_encrypted = encrypt_phone(secret, e164)
        if existing.status == "queued":
            # Asking again brings a request waiting for its next try back now.
            existing.next_attempt_at = min(existing.next_attempt_at, utcnow())
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
    try:
        with session.begin_nested():
            session.add(request)
    except IntegrityError:
        # A concurrent request for the same case won: raise that one instead.
        return _open_request(
            session,
            secret,
            case=case,
            caller=caller,
            language=language,
            e164=e164,
            window=window,
            may_identify=may_identify,
            sms_allowed=sms_allowed,
            urgent=urgent,
            source=source,
        )
    return request


# --- Working the queue: access, dialling and outcomes -------------------------------
# These are the functions the agent API and the agent web UI share; they never commit.

RETRY_BACKOFF = (
    dt.timedelta(minutes=30),
    dt.timedelta(hours=2),
    dt.timedelta(hours=6),
    dt.timedelta(hours=24),
)
RETRY_OUTCOMES = ("no_answer", "busy")
FINAL_OUTCOMES = ("reached", "wrong_number", "unsafe")
IN_PROGRESS_STATES = ("dial_requested", "calling_agent", "agent_answered", "bridging")
DIAL_IN_PROGRESS_FOR = dt.timedelta(minutes=5)
MAX_NOTE = 2000


class CallbackError(Refused):
    """A callback action the agent may not take now."""


class NotHeld(CallbackError):
    code = "not_claimed"


class AlreadyClosed(CallbackError):
    code = "callback_closed"


class DialInProgress(CallbackError):
    code = "dial_in_progress"


class CannotDial(CallbackError):
    status = 422
    code = "cannot_dial"


class OutsideWindow(CallbackError):
    status = 409
    code = "outside_window"


def visible_callback(session: Session, agent: Agent, callback_id: int) -> CallbackRequest | None:
    """The callback if this agent may see it: their language, held by them, their case."""
    callback = session.get(CallbackRequest, callback_id)
    if callback is None:
        return None
    if agent.speaks(callback.language) or callback.claimed_by_id == agent.id:
        return callback
    case = session.get(Case, callback.case_id)
    if case is not None and case.assigned_agent_id == agent.id:
        return callback
    return None


def _require_holder(callback: CallbackRequest, agent: Agent) -> None:
    if callback.status == "closed":
        raise AlreadyClosed("this callback is closed")
    if callback.status != "claimed" or callback.claimed_by_id != agent.id:
        raise NotHeld("claim this callback first (POST /api/queue/claim)")


def start_dial(
    session: Session,
    settings: Settings,
    *,
    callback: CallbackRequest,
    agent: Agent,
    now: dt.datetime | None = None,
) -> CallbackAttempt:
    """Record an attempt and defer the call to the agent's phone (`callbacks.place_call`).

    Refused (422) when the agent has no phone or either number fails the toll-fraud
    guard; the worker's number never leaves this function.
    """
    now = now or utcnow()
    _require_holder(callback, agent)
    if not window_is_open(callback.window, now, settings.quiet_hours):
        # A claim made just before the window closed must not ring the worker after it.
        raise OutsideWindow(
            "the worker asked to be called only in their chosen window, outside quiet hours;"
            f" next possible at {next_open_time(callback.window, now, settings.quiet_hours)}"
        )
    if not agent.phone_encrypted:
        raise CannotDial("you have no phone number on file: ask an administrator to add one")
    agent_phone = decrypt_phone(settings.secret_key, agent.phone_encrypted)
    worker_phone = decrypt_phone(settings.secret_key, callback.phone_encrypted)
    try:
        check_destination(agent_phone, settings.callback_countries)
    except RefusedDestination as exc:
        raise CannotDial(f"your phone number cannot be called: {exc}") from exc
    try:
        check_destination(worker_phone, settings.callback_countries)
    except RefusedDestination as exc:
        record(
            session,
            "callback.dial_refused",
            "callback",
            callback.id,
            agent_id=agent.id,
            reason=str(exc),
        )
        raise CannotDial(f"the worker's number cannot be called: {exc}") from exc
    busy = session.scalar(
        select(CallbackAttempt).where(
            CallbackAttempt.callback_id == callback.id,
            CallbackAttempt.state.in_(IN_PROGRESS_STATES),
            CallbackAttempt.created_at > now - DIAL_IN_PROGRESS_FOR,
        )
    )
    if busy is not None:
        raise DialInProgress("a call for this callback is already in progress")
    count = (
        session.scalar(
            select(func.count())
            .select_from(CallbackAttempt)
            .where(CallbackAttempt.callback_id == callback.id)
        )
        or 0
    )
    attempt = CallbackAttempt(
        callback_id=callback.id,
        agent_id=agent.id,
        number=count + 1,
        state="dial_requested",
        created_at=now,
    )
    session.add(attempt)
    session.flush()
    renew_lease(callback, now)
    record(
        session, "callback.dial", "callback", callback.id, agent_id=agent.id, attempt=attempt.number
    )
    defer(session, PLACE_CALL_JOB, attempt_id=attempt.id)
    return attempt


def record_outcome(
    session: Session,
    settings: Settings,
    *,
    callback: CallbackRequest,
    agent: Agent,
    outcome: str,
    note: str | None = None,
    now: dt.datetime | None = None,
) -> CallbackRequest:
    """Close the request or put it back in the queue for a later try.

    `reached` closes it (the case stays open); `wrong_number` and `unsafe` close it for
    good; `no_answer` and `busy` schedule the next attempt with backoff inside the
    worker's window, up to `settings.callback_max_attempts`, after which the worker gets
    one SMS inviting them to text CALL again (unless they refused SMS).
    """
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of: {', '.join(OUTCOMES)}")
    if note is not None and len(note) > MAX_NOTE:
        raise ValueError(f"note must be at most {MAX_NOTE} characters")
    now = now or utcnow()
    _require_holder(callback, agent)
    attempt = session.scalar(
        select(CallbackAttempt)
        .where(
            CallbackAttempt.callback_id == callback.id,
            CallbackAttempt.agent_id == agent.id,
            CallbackAttempt.outcome.is_(None),
        )
        .order_by(CallbackAttempt.id.desc())
        .limit(1)
    )
    if attempt is None:
        count = (
            session.scalar(
                select(func.count())
                .select_from(CallbackAttempt)
                .where(CallbackAttempt.callback_id == callback.id)
            )
            or 0
        )
        attempt = CallbackAttempt(
            callback_id=callback.id, agent_id=agent.id, number=count + 1, state="recorded"
        )
        session.add(attempt)
    attempt.outcome = outcome
    attempt.note = note
    callback.attempts += 1
    callback.outcome = outcome
    if note:
        callback.note = note
    callback.claimed_by_id = None
    callback.claimed_at = None
    callback.lease_expires_at = None
    case = session.get(Case, callback.case_id)
    if case is not None:
        if outcome == "reached":
            answered(case)
        else:
            touch(case)
    record(
        session,
        "callback.outcome",
        "callback",
        callback.id,
        agent_id=agent.id,
        outcome=outcome,
        attempt=callback.attempts,
    )
    if outcome in FINAL_OUTCOMES:
        _close(session, callback, agent, reason=outcome, now=now)
    elif callback.attempts >= settings.callback_max_attempts:
        _close(session, callback, agent, reason="max_attempts", now=now)
        _send_gave_up_sms(session, callback, agent)
    else:
        delay = RETRY_BACKOFF[min(callback.attempts, len(RETRY_BACKOFF)) - 1]
        callback.status = "queued"
        callback.next_attempt_at = next_open_time(
            callback.window, now + delay, settings.quiet_hours
        )
        record(
            session,
            "callback.rescheduled",
            "callback",
            callback.id,
            agent_id=agent.id,
            next_attempt_at=callback.next_attempt_at.isoformat(),
            attempt=callback.attempts,
        )
    return callback


def _close(
    session: Session, callback: CallbackRequest, agent: Agent, *, reason: str, now: dt.datetime
) -> None:
    callback.status = "closed"
    callback.closed_reason = reason
    callback.closed_at = now
    record(session, "callback.closed", "callback", callback.id, agent_id=agent.id, reason=reason)


def _send_gave_up_sms(session: Session, callback: CallbackRequest, agent: Agent) -> None:
    """One SMS inviting the worker to text CALL again, if they allowed SMS."""
    if callback.gave_up_sms_id is not None:
        return
    caller = session.get(Caller, callback.caller_id)
    case = session.get(Case, callback.case_id)
    if caller is None:
        return
    # Sent on a yes, or to a worker who texted us and never said no; a caller never
    # asked gets nothing (discreet by default). The gate has the last word.
    wanted = caller.sms_allowed if caller.sms_allowed is not None else callback.source == "sms"
    if not wanted:
        record(
            session,
            "callback.gave_up_sms_skipped",
            "callback",
            callback.id,
            agent_id=agent.id,
            reason="sms_refused" if caller.sms_allowed is False else "sms_not_asked",
        )
        return
    body, written_in = gave_up_sms(callback.language)
    message = queue_sms(
        session,
        purpose="callback_gave_up",
        caller=caller,
        body=body,
        case=case,
        kind="system",
        language=written_in,
    )
    if message is None:
        record(
            session,
            "callback.gave_up_sms_skipped",
            "callback",
            callback.id,
            agent_id=agent.id,
            reason=sms_refusal(session, caller, "callback_gave_up") or "refused",
        )
        return
    callback.gave_up_sms_id = message.id
    record(
        session,
        "callback.gave_up_sms",
        "callback",
        callback.id,
        agent_id=agent.id,
        language=written_in,
        fallback=written_in != callback.language,
    )
