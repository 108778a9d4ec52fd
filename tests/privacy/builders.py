"""Builders for a worker's whole history: cases with texts, voicemails (audio, transcript,
translations), notes and callbacks, at chosen instants."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from hotline.callbacks.models import CallbackAttempt, CallbackRequest
from hotline.callers.service import get_or_create_caller
from hotline.cases.models import Case, CaseEvent, CaseTopic
from hotline.crypto import encrypt_phone
from hotline.runtime import Runtime
from hotline.sms.models import OptOutEvent, SmsMessage
from hotline.translation.models import Translation
from hotline.voice.models import Call, Voicemail, VoicemailAudio


@dataclass(frozen=True)
class Built:
    case_id: int
    message_sid: str
    recording_sid: str
    call_sid: str
    body: str
    transcript: str
    note: str
    audio: bytes


def make_history(
    runtime: Runtime,
    number: str,
    *,
    opened: dt.datetime,
    closed: dt.datetime | None,
    words: str,
    agent_id: int | None = None,
) -> Built:
    """One case for `number` with one of everything; its texts contain `words`."""
    tag = secrets.token_hex(4)
    body = f"Công ty giữ hộ chiếu của tôi {words} {tag}"
    transcript = f"tôi cần giúp đỡ {words} {tag}"
    note = f"worker sounded scared {words} {tag}"
    audio = b"RIFF" + secrets.token_bytes(64)
    message_sid = "SM" + secrets.token_hex(16)
    recording_sid = "RE" + secrets.token_hex(16)
    call_sid = "CA" + secrets.token_hex(16)
    secret = runtime.settings.secret_key
    with runtime.db.session() as session:
        caller = get_or_create_caller(session, secret, number)
        caller.language = "vi"
        case = Case(
            reference=secrets.token_hex(3),
            caller_id=caller.id,
            language="vi",
            status="closed" if closed else "open",
            outcome="resolved" if closed else None,
            created_at=opened,
            last_activity_at=closed or opened,
            closed_at=closed,
        )
        session.add(case)
        session.flush()
        session.add(CaseTopic(case_id=case.id, topic="wages"))
        message = SmsMessage(
            sid=message_sid,
            direction="in",
            kind="worker",
            caller_id=caller.id,
            case_id=case.id,
            body=body,
            language="vi",
            status="received",
            created_at=opened,
        )
        call = Call(sid=call_sid, caller_id=caller.id, case_id=case.id, started_at=opened)
        session.add_all([message, call])
        session.flush()
        voicemail = Voicemail(
            call_id=call.id,
            case_id=case.id,
            recording_sid=recording_sid,
            recording_url=f"https://api.twilio.com/2010-04-01/Recordings/{recording_sid}",
            duration_seconds=12,
            language="vi",
            transcription_status="done",
            transcript=transcript,
            created_at=opened,
        )
        session.add(voicemail)
        session.flush()
        session.add(VoicemailAudio(voicemail_id=voicemail.id, audio=audio, created_at=opened))
        for kind, source_id, text in (
            ("sms", message.id, f"My company keeps my passport {words} {tag}"),
            ("voicemail", voicemail.id, f"I need help {words} {tag}"),
        ):
            session.add(
                Translation(
                    source_kind=kind,
                    source_id=source_id,
                    source_language="vi",
                    target_language="en",
                    status="done",
                    text=text,
                )
            )
        session.add(CaseEvent(case_id=case.id, kind="note", body=note, at=opened))
        callback = CallbackRequest(
            case_id=case.id,
            caller_id=caller.id,
            language="vi",
            phone_encrypted=encrypt_phone(secret, number),
            status="closed",
            note=f"call after 8pm {words} {tag}",
            created_at=opened,
        )
        session.add(callback)
        session.flush()
        if agent_id is not None:
            session.add(
                CallbackAttempt(callback_id=callback.id, agent_id=agent_id, note=f"no answer {tag}")
            )
        session.add(OptOutEvent(caller_id=caller.id, action="stop", source="STOP", at=opened))
        return Built(case.id, message_sid, recording_sid, call_sid, body, transcript, note, audio)
