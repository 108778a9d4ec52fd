"""Passwords, sign-in rate limits, database-backed browser sessions and CSRF tokens.

Passwords are hashed with scrypt (werkzeug), a memory-hard algorithm that needs no
extra dependency. Failed sign-ins are rows, not process memory, because several
gunicorn processes answer the same browser. The cookie (Flask's signed session,
HTTP-only, Secure when the public URL is https) carries only a random session token
and the CSRF token; the session itself is a database row that sign-out deletes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from flask import abort, request, session
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from hotline.agents.models import Agent
from hotline.audit import record
from hotline.crypto import token_hash
from hotline.db import utcnow
from hotline.web.models import SignInFailure, WebSession

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
FAILURE_WINDOW = dt.timedelta(minutes=15)
MAX_FAILURES_PER_ADDRESS = 20  # per client address in FAILURE_WINDOW, whatever the names
# Per name and address together: this many failures are free, then each one more
# doubles the wait before the next try, from FIRST_DELAY up to MAX_DELAY.
FREE_FAILURES = 3
FIRST_DELAY = dt.timedelta(seconds=1)
MAX_DELAY = dt.timedelta(minutes=15)
FAILURE_MEMORY = dt.timedelta(days=1)
SESSION_LIFETIME = dt.timedelta(hours=12)
IDLE_TIMEOUT = dt.timedelta(hours=2)
LAST_SEEN_GRANULARITY = dt.timedelta(minutes=5)

# Checked when no agent has the name, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-password-of-anyone", method="scrypt")

SESSION_KEY = "web_session"
CSRF_KEY = "csrf_token"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


class PasswordTooWeak(ValueError):
    """The password is too short or too long to accept."""


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordTooWeak(f"the password must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise PasswordTooWeak(f"the password must be at most {MAX_PASSWORD_LENGTH} characters")
    return generate_password_hash(password, method="scrypt")


def set_password(session_: Session, agent: Agent, password: str) -> None:
    """Set an agent's web password and sign out every browser they had signed in."""
    agent.password_hash = hash_password(password)
    session_.execute(delete(WebSession).where(WebSession.agent_id == agent.id))
    record(session_, "web.password_set", "agent", agent.id)


# --- Rate limiting ------------------------------------------------------------------


def _failure_key(secret: str, kind: str, value: str) -> str:
    return hmac.new(secret.encode("utf-8"), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class SignInKeys:
    pair: str  # this name from this address
    address: str


def sign_in_keys(secret: str, name: str, address: str | None) -> SignInKeys:
    """Keys that count failures without storing the name or address in clear.

    Failures are counted for a name and an address together, never for a name alone:
    otherwise anyone could lock an adviser out by guessing wrong five times.
    """
    address = address or "unknown"
    return SignInKeys(
        pair=_failure_key(secret, "name+address", f"{name.strip().casefold()}\x1f{address}"),
        address=_failure_key(secret, "address", address),
    )


def _failures_since(session_: Session, key: str, since: dt.datetime) -> tuple[int, dt.datetime]:
    """How many failures `key` had since `since`, and when the last one was."""
    count, last = session_.execute(
        select(func.count(), func.max(SignInFailure.at)).where(
            SignInFailure.key == key, SignInFailure.at > since
        )
    ).one()
    return int(count or 0), last or since


def delay_after(failures: int) -> dt.timedelta:
    """The wait before the next try after this many failures of one name and address."""
    if failures < FREE_FAILURES:
        return dt.timedelta(0)
    return min(FIRST_DELAY * 2 ** min(failures - FREE_FAILURES, 20), MAX_DELAY)


def retry_after(
    session_: Session, keys: SignInKeys, now: dt.datetime | None = None
) -> dt.timedelta:
    """How long this name and address must wait before a password is checked again;
    zero when they may try now. An address with too many failures under any names
    waits for the oldest of them to leave the window."""
    now = now or utcnow()
    wait = dt.timedelta(0)
    failures, last = _failures_since(session_, keys.pair, now - FAILURE_MEMORY)
    if failures:
        wait = max(wait, last + delay_after(failures) - now)
    window_start = now - FAILURE_WINDOW
    if _failures_since(session_, keys.address, window_start)[0] >= MAX_FAILURES_PER_ADDRESS:
        oldest = session_.scalar(
            select(SignInFailure.at)
            .where(SignInFailure.key == keys.address, SignInFailure.at > window_start)
            .order_by(SignInFailure.at.desc())
            .offset(MAX_FAILURES_PER_ADDRESS - 1)
            .limit(1)
        )
        if oldest is not None:
            wait = max(wait, oldest + FAILURE_WINDOW - now)
    return max(wait, dt.timedelta(0))


def note_failure(session_: Session, keys: SignInKeys, now: dt.datetime | None = None) -> None:
    now = now or utcnow()
    session_.add_all(
        [SignInFailure(key=keys.pair, at=now), SignInFailure(key=keys.address, at=now)]
    )
    # Old rows count for nothing; keep the table small.
    session_.execute(delete(SignInFailure).where(SignInFailure.at < now - FAILURE_MEMORY))


def authenticate(session_: Session, name: str, password: str) -> Agent | None:
    """The active agent with this name and password, or None.

    Names are not unique, so every active agent with the name and a password is tried.
    """
    candidates = list(
        session_.scalars(
            select(Agent).where(
                func.lower(Agent.name) == name.strip().lower(),
                Agent.active.is_(True),
                Agent.password_hash.is_not(None),
            )
        )
    )
    if not candidates or len(password) > MAX_PASSWORD_LENGTH:
        check_password_hash(_DUMMY_HASH, password[:MAX_PASSWORD_LENGTH])
        return None
    for agent in candidates:
        if agent.password_hash and check_password_hash(agent.password_hash, password):
            return agent
    return None


# --- Browser sessions ---------------------------------------------------------------


def start_session(session_: Session, agent: Agent, now: dt.datetime | None = None) -> None:
    """Sign `agent` in: a new session row and a fresh cookie (no fixation, new CSRF)."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    session_.add(
        WebSession(
            token_hash=token_hash(token),
            agent_id=agent.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + SESSION_LIFETIME,
        )
    )
    session_.execute(delete(WebSession).where(WebSession.expires_at < now))
    session.clear()
    session[SESSION_KEY] = token
    session[CSRF_KEY] = secrets.token_urlsafe(32)


def end_session(session_: Session) -> None:
    token = session.get(SESSION_KEY)
    if token:
        session_.execute(delete(WebSession).where(WebSession.token_hash == token_hash(token)))
    session.clear()


def current_agent(session_: Session, now: dt.datetime | None = None) -> Agent | None:
    """The signed-in agent of this request, or None when signed out or expired."""
    token = session.get(SESSION_KEY)
    if not isinstance(token, str) or not token:
        return None
    now = now or utcnow()
    row = session_.scalar(select(WebSession).where(WebSession.token_hash == token_hash(token)))
    if row is None or row.expires_at <= now or row.last_seen_at <= now - IDLE_TIMEOUT:
        return None
    agent = session_.get(Agent, row.agent_id)
    if agent is None or not agent.active:
        return None
    if now - row.last_seen_at > LAST_SEEN_GRANULARITY:
        row.last_seen_at = now
        session_.commit()
    return agent


# --- CSRF ---------------------------------------------------------------------------


def csrf_token() -> str:
    """This browser session's CSRF token, created on first use."""
    token = session.get(CSRF_KEY)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        session[CSRF_KEY] = token
    return token


def check_csrf() -> None:
    """Refuse any state-changing request that does not carry this session's token."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    expected = session.get(CSRF_KEY)
    given = request.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    if (
        not isinstance(expected, str)
        or not expected
        or not hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))
    ):
        abort(400, description="the form has expired or did not come from this site: reload it")
