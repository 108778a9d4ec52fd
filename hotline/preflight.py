"""Start-up checks: `hotline serve` and `hotline worker` refuse to start broken.

A hotline that starts with a broken menu answers every call with Twilio's "an
application error has occurred"; one that starts with another secret key can no longer
read a stored number and greets every known worker as a stranger. Both are found here
before the first request, every problem listed with its file and line.
"""

from __future__ import annotations

import datetime as dt
import hmac
import time

import click
from cryptography.fernet import InvalidToken
from sqlalchemy import String, select
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Mapped, Session, mapped_column

from hotline.config import MIN_SECRET_KEY_LENGTH, Settings
from hotline.crypto import decrypt_phone, key_check_value
from hotline.db import Base, Database, utcnow

SECRET_KEY_CHECK = "secret_key"  # noqa: S105 - the name of a row, not a secret


class KeyCheck(Base):
    """A fingerprint of a configured secret (never the secret), stored on first start."""

    __tablename__ = "key_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(32), unique=True)
    value: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class StartupError(click.ClickException):
    """The process must not start; the message lists every problem, one a line."""

    def __init__(self, problems: list[str]) -> None:
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"refusing to start, {len(problems)} problem(s):\n{lines}")
        self.problems = problems


def require_ready(settings: Settings, db: Database, *, wait_for_database: float = 0) -> None:
    """Raise StartupError listing every problem found; return quietly when there is none.

    `wait_for_database` seconds are given to a database that cannot be reached yet (a
    worker starting beside the database), checking once a second.
    """
    problems = file_problems(settings)
    if len(settings.secret_key) < MIN_SECRET_KEY_LENGTH:
        problems.append(
            f"HOTLINE_SECRET_KEY: shorter than {MIN_SECRET_KEY_LENGTH} characters;"
            " use a long random value"
        )
    else:
        # A short key is not stored as the check value of a database.
        deadline = time.monotonic() + wait_for_database
        found = key_problems(settings.secret_key, db)
        while found == [_UNREACHABLE] and time.monotonic() < deadline:
            time.sleep(1)
            found = key_problems(settings.secret_key, db)
        problems.extend(found)
    if problems:
        raise StartupError(problems)


def file_problems(settings: Settings) -> list[str]:
    """Every broken reference in the language packs (IVR and SMS scripts, languages.csv,
    pack texts), the audio folder and the staff line's texts."""
    from hotline.packs.check import pack_problems
    from hotline.voice.recording import staff_texts

    problems = [str(p) for p in pack_problems(settings.ivr_scripts_path, settings.audio_path)]
    try:
        staff_texts(settings)
    except (ValueError, OSError) as exc:
        problems.append(str(exc))
    return problems


def key_problems(secret: str, db: Database) -> list[str]:
    """Compare the key with the stored check value (storing it on first start)."""
    try:
        return _compare_key(secret, db)
    except IntegrityError:
        # Another process stored the value first: compare with that.
        return _compare_key(secret, db)
    except OperationalError:
        return [_UNREACHABLE]
    except SQLAlchemyError as exc:
        return [
            f"database: cannot check HOTLINE_SECRET_KEY against it ({type(exc).__name__});"
            " is it up to date (`hotline db upgrade`)?"
        ]


_UNREACHABLE = "database: unreachable, so HOTLINE_SECRET_KEY cannot be checked against it"


def _compare_key(secret: str, db: Database) -> list[str]:
    expected = key_check_value(secret)
    with db.session() as session:
        stored = session.scalar(select(KeyCheck).where(KeyCheck.name == SECRET_KEY_CHECK))
        if stored is None:
            if not _decrypts_stored_numbers(session, secret):
                return [_MISMATCH]
            session.add(KeyCheck(name=SECRET_KEY_CHECK, value=expected))
            return []
        if not hmac.compare_digest(stored.value, expected):
            return [_MISMATCH]
        return []


_MISMATCH = (
    "HOTLINE_SECRET_KEY: does not match the key this database was started with;"
    " stored phone numbers could not be read. Set the original key."
)


def _decrypts_stored_numbers(session: Session, secret: str) -> bool:
    """A database from before key checks: the key is right if it reads a stored number."""
    from hotline.callers.models import Caller

    token = session.scalar(select(Caller.phone_encrypted).limit(1))
    if token is None:
        return True
    try:
        decrypt_phone(secret, token)
    except InvalidToken:
        return False
    return True
