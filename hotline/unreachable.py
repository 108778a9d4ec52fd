"""One-line answers for the command line when the database, Redis or the server is away.

A new user whose PostgreSQL is not running should read which setting points where and
what went wrong, not a hundred lines of driver traceback.
"""

from __future__ import annotations

import os

import redis
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, InterfaceError, OperationalError

# What `hotline.cli` turns into a one-line error naming the setting to check: failures to
# reach or open the database or Redis, not errors in what a command asked of them.
UNREACHABLE_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    line = text.splitlines()[0].strip() if text else type(exc).__name__
    return line[:200]


def _shown_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(unreadable URL)"


def describe(exc: BaseException) -> str:
    """The message for one of UNREACHABLE_ERRORS: where, from which variable, and why."""
    if isinstance(exc, DBAPIError):
        configured = os.environ.get("DATABASE_URL", "").strip()
        where = (
            f"{_shown_url(configured)} (DATABASE_URL)"
            if configured
            else "the embedded SQLite file (DATABASE_URL is not set)"
        )
        return f"cannot use the database at {where}: {_first_line(exc)}"
    configured = os.environ.get("REDIS_URL", "").strip()
    where = (
        f"{_shown_url(configured)} (REDIS_URL)"
        if configured
        else "the embedded Redis (REDIS_URL is not set)"
    )
    return f"cannot reach Redis at {where}: {_first_line(exc)}"


def no_server(url: str) -> str:
    """For `hotline simulate`: nothing listens where --url points."""
    return (
        f"no hotline answers at {url} (--url): start one with `make run` or "
        "`hotline serve`, or point --url at it"
    )
