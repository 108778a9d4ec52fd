"""What `hotline simulate call` tells around a call: who calls, what each prompt says, and
what the call left in the database.

The simulator talks to the hotline over HTTP like Twilio; these look-ups read the
configured database directly, and say so when it cannot be read from this terminal.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from hotline.config import Settings
from hotline.db import utcnow

# Made-up numbers only: +81 90-0000-xxxx, the range the README and fixtures use.
MADE_UP_PREFIX = "+81900000"
_AUDIO_PATH = re.compile(r"/audio/(?P<language>[a-z]{2,3})/(?P<prompt>[\w-]+)\.\w+(\?|$)")


@dataclass
class Before:
    """The caller as the database knew them before the call (None: not readable)."""

    readable: bool
    returning: bool = False
    language: str | None = None
    started_at: dt.datetime = field(default_factory=utcnow)

    def line(self) -> str:
        if not self.readable:
            return "caller: (the database is not readable from here)"
        if not self.returning:
            return "caller: new, never called or texted before"
        return f"caller: returning caller, language {self.language or 'not chosen yet'}"


def _known_numbers(settings: Settings, numbers: list[str]) -> set[str] | None:
    from hotline.callers.service import find_caller
    from hotline.db import Database
    from hotline.encryption import Keyring

    database = Database(settings.database_url, keyring=Keyring.from_settings(settings))
    try:
        with database.session() as session:
            return {n for n in numbers if find_caller(session, settings.secret_key, n)}
    except SQLAlchemyError:
        return None
    finally:
        database.dispose()


def fresh_number(settings: Settings) -> str:
    """A made-up number the hotline has not seen, so that keys like `84#2` are read as
    a first call would read them (a language choice, then the menu)."""
    candidates = [f"{MADE_UP_PREFIX}{secrets.randbelow(9000) + 1000:04d}" for _ in range(20)]
    known = _known_numbers(settings, candidates) or set()
    return next((n for n in candidates if n not in known), candidates[0])


def caller_before(settings: Settings, number: str) -> Before:
    from hotline.callers.service import find_caller
    from hotline.db import Database
    from hotline.encryption import Keyring

    database = Database(settings.database_url, keyring=Keyring.from_settings(settings))
    try:
        with database.session() as session:
            caller = find_caller(session, settings.secret_key, number)
            if caller is None:
                return Before(readable=True)
            return Before(readable=True, returning=True, language=caller.language)
    except SQLAlchemyError:
        return Before(readable=False)
    finally:
        database.dispose()


def prompt_text(url: str | None) -> str | None:
    """The text of a recorded prompt from its `/audio/<language>/<prompt>.wav` URL."""
    from hotline.config import ConfigError
    from hotline.privacy.notice import retention_values_from_env
    from hotline.voice.scripts import ScriptError, get_scripts

    found = _AUDIO_PATH.search(url or "")
    if found is None:
        return None
    try:
        return get_scripts().text(found["language"], found["prompt"], retention_values_from_env())
    except (ScriptError, KeyError, LookupError, ConfigError):
        return None


def created_by_call(settings: Settings, call_sid: str, before: Before) -> list[str]:
    """One line per thing the call left: its case, callback requests and voicemails."""
    from hotline.callbacks.models import CallbackRequest
    from hotline.cases.models import Case
    from hotline.db import Database
    from hotline.encryption import Keyring
    from hotline.voice.models import Call, Voicemail

    if not before.readable:
        return ["created: (the database is not readable from here)"]
    database = Database(settings.database_url, keyring=Keyring.from_settings(settings))
    lines: list[str] = []
    try:
        with database.session() as session:
            call = session.scalar(select(Call).where(Call.sid == call_sid))
            if call is None:
                return ["created: nothing (the hotline has no record of this call)"]
            if call.case_id is not None:
                case = session.get(Case, call.case_id)
                if case is not None:
                    new = case.created_at >= before.started_at
                    lines.append(
                        f"case: {case.reference} ({'new' if new else 'existing'}, "
                        f"language {case.language or '-'})"
                    )
            if call.caller_id is not None:
                for callback in session.scalars(
                    select(CallbackRequest)
                    .where(
                        CallbackRequest.caller_id == call.caller_id,
                        CallbackRequest.created_at >= before.started_at,
                    )
                    .order_by(CallbackRequest.id)
                ):
                    urgent = ", urgent" if callback.urgent else ""
                    lines.append(
                        f"callback: #{callback.id} {callback.status}, window "
                        f"{callback.window}{urgent}"
                    )
            for voicemail in session.scalars(
                select(Voicemail).where(Voicemail.call_id == call.id).order_by(Voicemail.id)
            ):
                lines.append(
                    f"voicemail: #{voicemail.id} {voicemail.duration_seconds or 0} s, "
                    f"transcription {voicemail.transcription_status}"
                )
    except SQLAlchemyError:
        return ["created: (the database is not readable from here)"]
    finally:
        database.dispose()
    return lines or ["created: nothing"]
