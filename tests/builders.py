"""The one set of builders for every test folder: agents, callers, cases, messages,
voicemails, callbacks and organisations, made through the product's own services.

Every builder takes the runtime first and the rest by keyword, with defaults that make a
sensible row; numbers are made up, +81 90-0000-xxxx style."""

from __future__ import annotations

import datetime as dt
import io
import wave
from dataclasses import dataclass
from typing import Any, Final, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.agents.auth import create_agent
from hotline.agents.models import Agent
from hotline.callbacks.models import CallbackRequest
from hotline.callbacks.service import request_callback
from hotline.callers.models import Caller
from hotline.callers.service import get_or_create_caller
from hotline.cases.models import Case
from hotline.cases.service import luhn_digit, open_case_for, touch
from hotline.crypto import encrypt_phone, phone_hash
from hotline.directory import service as directory
from hotline.jobs import defer
from hotline.runtime import Runtime
from hotline.sms.models import SmsMessage
from hotline.translation.jobs import TRANSLATE_SMS_JOB
from hotline.translation.voicemail_jobs import TRANSCRIBE_JOB
from hotline.voice.models import Voicemail
from hotline.web.security import set_password
from tests.helpers import WORKER_NUMBER, run_jobs
from tests.sms.helpers import caller_for, text_in

TOKYO = ZoneInfo("Asia/Tokyo")
AGENT_PHONE = "+819000001001"
SECOND_AGENT_PHONE = "+819000001002"
PASSWORD = "correct horse battery staple"
# Phrases the fake Google Translate knows (tests/fakes/google_translate.py).
VI_COMPLAINT = "Công ty không trả lương cho tôi ba tháng."
EN_COMPLAINT = "The company has not paid me for three months."
EN_REPLY = "We will call you tomorrow morning."
VI_REPLY = "Chúng tôi sẽ gọi cho bạn vào sáng mai."


class _Same:
    """The marker for "the same language as the case" (or as the caller's)."""


SAME: Final = _Same()


def tokyo(year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A moment given in Japan time, as an aware UTC datetime."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=TOKYO).astimezone(dt.UTC)


def worker_number(n: int) -> str:
    """The n-th made-up worker number."""
    return f"+81900{n:07d}"


def auth(token: str) -> dict[str, str]:
    """The headers of an agent-API request made with `token`."""
    return {"Authorization": f"Bearer {token}"}


# --- Agents ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BuiltAgent:
    id: int
    name: str
    token: str  # for the agent API
    password: str | None  # for the web sign-in, when one was set

    @property
    def sign_in_password(self) -> str:
        assert self.password is not None, "made without a password: make_agent(password=...)"
        return self.password


def make_agent(
    runtime: Runtime,
    *,
    name: str = "Agent",
    languages: str = "vi,en",
    phone: str | None = AGENT_PHONE,
    role: str = "agent",
    ui_language: str | None = None,
    password: str | None = None,
    available: bool = False,
) -> BuiltAgent:
    """An agent made as `hotline agents add` makes one; with `password`, one who can also
    sign in to the web app; `available` to take live calls."""
    with runtime.db.session() as session:
        agent, token = create_agent(
            session,
            runtime.settings.secret_key,
            name=name,
            languages=languages,
            phone=phone,
            role=role,
        )
        if ui_language:
            agent.ui_language = ui_language
        if available:
            agent.available = True
        if password is not None:
            set_password(session, agent, password)
        return BuiltAgent(agent.id, name, token, password)


def agent_row(session: Session, agent_id: int) -> Agent:
    found = session.get(Agent, agent_id)
    assert found is not None
    return found


# --- Callers, cases and messages ---------------------------------------------------------


def _caller(session: Session, secret: str, number: str, language: str | _Same | None) -> Caller:
    caller = get_or_create_caller(session, secret, number)
    if not isinstance(language, _Same):
        caller.language = language
    return caller


def make_caller(
    runtime: Runtime, *, number: str = WORKER_NUMBER, language: str | None = "vi"
) -> Caller:
    """The caller of `number` (made on first use), speaking `language`."""
    with runtime.db.session() as session:
        return _caller(session, runtime.settings.secret_key, number, language)


def make_case(
    runtime: Runtime,
    *,
    number: str = WORKER_NUMBER,
    language: str | None = "vi",
    caller_language: str | _Same | None = SAME,
) -> Case:
    """The open case of the caller of `number`, as their first call or text opens it."""
    spoken = language if isinstance(caller_language, _Same) else caller_language
    with runtime.db.session() as session:
        caller = _caller(session, runtime.settings.secret_key, number, spoken)
        case = open_case_for(session, caller, language)
        session.flush()
        return case


def case_row(session: Session, case_id: int) -> Case:
    found = session.get(Case, case_id)
    assert found is not None
    return found


def _incoming_text(
    session: Session, case: Case, body: str, language: str | _Same | None
) -> SmsMessage:
    message = SmsMessage(
        direction="in",
        kind="worker",
        caller_id=case.caller_id,
        case_id=case.id,
        body=body,
        language=case.language if isinstance(language, _Same) else language,
        status="received",
    )
    session.add(message)
    session.flush()
    defer(session, TRANSLATE_SMS_JOB, message_id=message.id)
    return message


def make_message(
    runtime: Runtime, *, case: Case, body: str, language: str | _Same | None = SAME
) -> SmsMessage:
    """A worker's text on `case`, stored with `sms.translate` deferred as the SMS webhook
    stores it; in the case's language unless `language` is given."""
    with runtime.session() as session:
        return _incoming_text(session, case, body, language)


def make_voicemail(
    runtime: Runtime,
    *,
    case: Case,
    fake_twilio: Any,
    audio: bytes,
    sid: str = "RE" + "1" * 32,
) -> Voicemail:
    """A voicemail whose recording (WAV `audio`) is held by the fake Twilio, with its
    transcription deferred, as the recording callback leaves it."""
    url = fake_twilio.add_recording(sid, audio)
    with wave.open(io.BytesIO(audio), "rb") as w:
        seconds = w.getnframes() / w.getframerate()
    with runtime.session() as session:
        voicemail = Voicemail(
            case_id=case.id,
            recording_sid=sid,
            recording_url=url,
            duration_seconds=round(seconds),
            language=case.language,
        )
        session.add(voicemail)
        session.flush()
        defer(session, TRANSCRIBE_JOB, voicemail_id=voicemail.id)
        return voicemail


def case_by_text(client: Any, runtime: Runtime, *, sender: str, body: str) -> int:
    """A worker's free text, as Twilio delivers it; the case it opened or reached."""
    text_in(client, body, sender=sender)
    caller = caller_for(runtime, sender)
    with runtime.db.session() as session:
        case_id = session.scalar(
            select(Case.id).where(Case.caller_id == caller.id).order_by(Case.id.desc()).limit(1)
        )
        assert case_id is not None
        return case_id


# --- Callbacks ---------------------------------------------------------------------------


class BuiltCallback(NamedTuple):
    id: int
    case_id: int


def make_callback(
    runtime: Runtime,
    *,
    phone: str = WORKER_NUMBER,
    language: str = "vi",
    **options: Any,
) -> BuiltCallback:
    """A worker with an open case and a callback request (`options` as
    `request_callback` takes them)."""
    secret = runtime.settings.secret_key
    with runtime.db.session() as session:
        caller = _caller(session, secret, phone, language)
        case = open_case_for(session, caller, language)
        session.flush()
        callback = request_callback(
            session, secret, case=case, caller=caller, language=language, phone=phone, **options
        )
        session.flush()
        return BuiltCallback(callback.id, case.id)


def bulk_callbacks(
    session: Session,
    secret: str,
    count: int,
    *,
    language: str = "vi",
    created_at: dt.datetime,
    start: int = 0,
) -> list[int]:
    """Many workers with one callback request each, inserted in bulk."""
    callers = []
    for i in range(start, start + count):
        phone = worker_number(i)
        callers.append(
            Caller(
                phone_hash=phone_hash(secret, phone),
                phone_encrypted=encrypt_phone(secret, phone),
                language=language,
            )
        )
    session.add_all(callers)
    session.flush()
    cases = []
    for i, caller in enumerate(callers, start=start):
        body = str(100000 + i)
        cases.append(
            Case(reference=body + luhn_digit(body), caller_id=caller.id, language=language)
        )
    session.add_all(cases)
    session.flush()
    requests = [
        CallbackRequest(
            case_id=case.id,
            caller_id=caller.id,
            language=language,
            phone_encrypted=caller.phone_encrypted,
            created_at=created_at,
            next_attempt_at=created_at,
        )
        for caller, case in zip(callers, cases, strict=True)
    ]
    session.add_all(requests)
    session.flush()
    return [r.id for r in requests]


@dataclass(frozen=True)
class SmsCase:
    case_id: int
    reference: str
    callback_id: int
    message_id: int


def make_vietnamese_sms_case(
    runtime: Runtime, *, text: str = VI_COMPLAINT, number: str = WORKER_NUMBER
) -> SmsCase:
    """A worker texted in Vietnamese and asked to be called back (discreetly); the text
    translated by the real pipeline (against the fake Google, when configured)."""
    secret = runtime.settings.secret_key
    with runtime.session() as session:
        caller = _caller(session, secret, number, "vi")
        case = open_case_for(session, caller, "vi")
        session.flush()
        message = _incoming_text(session, case, text, "vi")
        touch(case)
        callback = request_callback(
            session,
            secret,
            case=case,
            caller=caller,
            language="vi",
            phone=number,
            window="any",
            may_identify=False,
            sms_allowed=True,
            source="sms",
        )
        session.flush()
        built = SmsCase(case.id, case.reference, callback.id, message.id)
    run_jobs(runtime)
    return built


# --- Organisations -----------------------------------------------------------------------


def make_organisation(runtime: Runtime, **values: Any) -> int:
    """An organisation of the directory added through its service (validated, audited,
    unverified), by default MHLW's hotline in Vietnamese; returns its id."""
    fields: dict[str, Any] = {
        "name_ja": "外国人労働者向け相談ダイヤル",
        "name_en": "Labour Conditions Hotline",
        "known_as": "MHLW hotline",
        "kind": "helpline",
        "phone": "0120-558-815",
        "hours": "mon-fri 17:00-22:00; sat,sun 09:00-21:00",
        "languages": ["vi"],
        **values,
    }
    with runtime.db.session() as session:
        return directory.add(session, fields, agent_id=None).id
