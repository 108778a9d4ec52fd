"""`/voice/incoming` for an ordinary call on PostgreSQL, without Flask or the ORM's unit
of work (hotline.fast_path).

An ordinary first step is a caller the hotline can greet at once: a new number (asked
for a language) or a returning caller who has heard the privacy notice (greeted in
their language, told their case's status, offered the main menu). It is one read —
the caller, the status to tell, whether any staff member has a PIN — and one write:
the call with its answer, and for a new number the caller too, in one statement. The
answer is the menu engine's own (`MenuEngine.incoming`), rendered in a session that
cannot write, so a first step that would write anything else (the privacy notice
heard, a callback in a language without voice, ...) raises here and is answered by the
Flask view, as are staff phones (when any PIN exists), withheld numbers, a repeated
delivery (its call row is taken) and SQLite.

The statements are sent as the driver takes them, like the SMS intake's: a Core
statement's compilation and result set-up per request cost more CPU than the rest.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from hotline.callers.models import Caller
from hotline.config import Settings
from hotline.crypto import encrypt_phone, encrypt_text, normalise_phone, phone_hash
from hotline.db import UTCDateTime, utcnow
from hotline.languages import LANGUAGES
from hotline.review.live import LIVE_TEXTS_MAX_AGE, live_scripts, recent_scripts
from hotline.runtime import Runtime
from hotline.twiml_xml import to_xml
from hotline.voice.case_status import (
    CALLER_COLUMNS_AND_STATUS,
    TELL_CLOSED_WITHIN,
    CallerLookup,
    told_status,
)
from hotline.voice.engine import MenuEngine
from hotline.voice.scripts import Scripts
from hotline.voice.state import MAC_PARAM, step_mac
from hotline.voice.turn import recent_recorded_prompts, recorded_prompts

# The answer of the first step, kept (encrypted) on the call's row for a repeat.
FIRST_ANSWER_KEY = "first_answer"
PATH = "/voice/incoming"

_COMPILED = CALLER_COLUMNS_AND_STATUS.compile(dialect=postgresql.psycopg.dialect())
_LOOKUP, _LOOKUP_CONSTANTS = str(_COMPILED), _COMPILED.params
_RETURNING_CALLER = (
    "INSERT INTO calls"
    " (sid, direction, purpose, caller_id, language, status, started_at, ivr_state)"
    " VALUES (%(sid)s, 'inbound', 'ivr', %(caller)s, %(language)s::varchar, 'in-progress',"
    " %(now)s::timestamp, %(state)s::json)"
)
# A new number's caller and its call in one statement. A caller created meanwhile by a
# concurrent call from the same number inserts nothing (the view answers that call).
_NEW_CALLER = (
    "WITH new_caller AS ("
    "INSERT INTO callers (phone_hash, phone_encrypted, created_at)"
    " VALUES (%(digest)s, %(phone)s, %(now)s::timestamp)"
    " ON CONFLICT (phone_hash) DO NOTHING RETURNING id)"
    " INSERT INTO calls"
    " (sid, direction, purpose, caller_id, language, status, started_at, ivr_state)"
    " SELECT %(sid)s, 'inbound', 'ivr', id, %(language)s::varchar, 'in-progress',"
    " %(now)s::timestamp, %(state)s::json FROM new_caller"
)
_UTC = UTCDateTime()
# The caller's columns the first step reads (and must leave as they were).
_HELD = ("language", "privacy_notice_at", "sms_allowed", "may_identify", "call_window")


class NotOrdinary(Exception):
    """This first step is the Flask view's to answer."""


class ReadOnlySession(Session):
    """The session the answer is rendered in: it may read, never write."""

    def flush(self, objects: Any = None) -> None:
        raise NotOrdinary("the first step would write more than the call")


def answer(
    runtime: Runtime, path: str, form: MultiDict[str, str], args: MultiDict[str, str]
) -> str | None:
    """The TwiML of an ordinary first step, written with its call; None for the view."""
    db, secret = runtime.db, runtime.settings.secret_key
    sid, number = form.get("CallSid", ""), form.get("From", "")
    if db.is_sqlite or not sid or not number:
        return None
    e164 = normalise_phone(number)  # a withheld number raises: the view answers it
    digest, now = phone_hash(secret, e164), utcnow()
    with db.autocommitted() as conn:
        facts = _lookup(conn, digest, now)
        if facts is None:
            return None
        rendered = _rendered(runtime, form, facts)
        body = rendered.filled(secret, sid)
        state = {**rendered.state, FIRST_ANSWER_KEY: encrypt_text(secret, body)}
        values: dict[str, Any] = {
            "sid": sid,
            "language": rendered.language,
            "now": _UTC.process_bind_param(now, None),
            "state": json.dumps(state),
        }
        if facts.caller_id is None:
            values.update(digest=digest, phone=encrypt_phone(secret, e164))
            inserted = conn.execute(_NEW_CALLER, values).rowcount
        else:
            values["caller"] = facts.caller_id
            inserted = conn.execute(_RETURNING_CALLER, values).rowcount
    return body if inserted else None


@dataclass(frozen=True)
class Facts:
    """What the look-up says about the caller (a new number: no id, nothing held)."""

    digest: str
    caller_id: int | None
    held: tuple[Any, ...]  # the caller's columns in _HELD order
    status: str | None  # the case status to tell

    @property
    def key(self) -> tuple[Any, ...]:
        """What the answer depends on, besides the live texts and recordings."""
        language, notice_at, *known = self.held
        return (language, notice_at is not None, self.status, *(v is not None for v in known))

    def caller(self) -> Caller:
        """The caller as the menu engine reads it (not in any session)."""
        return Caller(
            id=self.caller_id, phone_hash=self.digest, **dict(zip(_HELD, self.held, strict=True))
        )


def _lookup(conn: Any, digest: str, now: dt.datetime) -> Facts | None:
    """What the answer depends on; None for the view to answer."""
    params = {
        **_LOOKUP_CONSTANTS,
        "digest": digest,
        "closed_since": _UTC.process_bind_param(now - TELL_CLOSED_WITHIN, None),
    }
    (caller_id, language, notice_at, *rest) = conn.execute(_LOOKUP, params).fetchone()
    *known, status, staff_possible = rest
    if staff_possible:
        return None  # the number may be a staff phone: compared by the view
    if language is not None and notice_at is None:
        return None  # the privacy notice is played and recorded by the view
    held = (language, _UTC.process_result_value(notice_at, None), *known)
    told = told_status(status) if caller_id is not None else None
    return Facts(digest, caller_id, held, told)


@dataclass(frozen=True)
class Rendered:
    """A first step's answer and what its call row keeps. A template's step URLs carry
    placeholders for their MACs (`macs`: placeholder, path, parameters), the only part
    of the answer that depends on the call."""

    text: str
    language: str | None
    state: dict[str, Any]
    macs: tuple[tuple[str, str, dict[str, str]], ...] = ()

    def filled(self, secret: str, sid: str) -> str:
        text = self.text
        for placeholder, path, params in self.macs:
            text = text.replace(placeholder, step_mac(secret, sid, path, params))
        return text


@dataclass(frozen=True)
class _Template:
    scripts: Scripts  # the live texts it was rendered with
    recorded: dict[str, dict[str, int]]  # and the phone recordings
    rendered: Rendered


# Rendering a greeting or the language menu through the engine cost as much CPU as the
# rest of the step; what it says depends only on the key below, the live texts and the
# phone recordings (languages with a Twilio voice only: the others read their own
# recordings afresh, and are rendered every time).
_templates: dict[tuple[Any, ...], _Template] = {}
_TEMPLATES_MAX = 4096
SENTINEL_SID = "CA" + "0" * 32
SENTINEL_FROM = "+819000000000"


def _rendered(runtime: Runtime, form: MultiDict[str, str], facts: Facts) -> Rendered:
    settings = runtime.settings
    code = facts.held[0]
    language = LANGUAGES.get(code) if code else None
    if language is None or language.has_tts:
        template = _templates.get(facts.key)
        scripts = recent_scripts(settings, max_age=LIVE_TEXTS_MAX_AGE)
        recorded = recent_recorded_prompts()
        if (
            template is not None
            and template.scripts is scripts
            and template.recorded is recorded
            and scripts is not None
        ):
            return template.rendered
    # Reads (the reviewed texts' overlay once a minute, recordings in languages without
    # a Twilio voice) take a connection of their own, autocommitted too.
    with ReadOnlySession(bind=runtime.db.autocommit_engine, autoflush=False) as session:
        caller = facts.caller()
        if language is not None and not language.has_tts:
            return _render(session, settings, form, caller, facts.status)
        scripts = live_scripts(session, settings, max_age=LIVE_TEXTS_MAX_AGE)
        recorded = recorded_prompts(session, fresh=False)
        sentinel = MultiDict({"CallSid": SENTINEL_SID, "From": SENTINEL_FROM})
        rendered = _render(session, settings, sentinel, caller, facts.status, template=True)
        if SENTINEL_SID in rendered.text or SENTINEL_FROM in rendered.text:
            return _render(session, settings, form, caller, facts.status)
        if len(_templates) >= _TEMPLATES_MAX:
            _templates.clear()
        _templates[facts.key] = _Template(scripts, recorded, rendered)
        return rendered


def _render(
    session: Session,
    settings: Settings,
    form: MultiDict[str, str],
    caller: Caller,
    status: str | None,
    *,
    template: bool = False,
) -> Rendered:
    """The engine's own first step, in a session that cannot write."""
    held = tuple(getattr(caller, name) for name in _HELD)
    lookup = CallerLookup(caller, status, staff_possible=False)
    kind = _TemplateEngine if template else MenuEngine
    engine = kind(session, settings, form, NO_ARGS, PATH, first=lookup)
    response = engine.incoming()
    call = engine.call
    if set(session.new) != {call} or session.dirty or session.deleted:
        raise NotOrdinary("the first step would write more than the call")
    session.expunge(call)
    if tuple(getattr(caller, name) for name in _HELD) != held:
        raise NotOrdinary("the first step would change the caller")
    macs = tuple(engine.macs) if isinstance(engine, _TemplateEngine) else ()
    return Rendered(to_xml(response), call.language, dict(call.ivr_state or {}), macs)


class _TemplateEngine(MenuEngine):
    """The menu engine writing a placeholder where each step URL's MAC goes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.macs: list[tuple[str, str, dict[str, str]]] = []

    def signed_query(self, path: str, params: Mapping[str, object]) -> str:
        text = {name: str(value) for name, value in params.items()}
        placeholder = "mac" + secrets.token_hex(16)  # letters and digits: as a MAC is written
        self.macs.append((placeholder, path, text))
        return urlencode({**text, MAC_PARAM: placeholder})


NO_ARGS: MultiDict[str, str] = MultiDict()
