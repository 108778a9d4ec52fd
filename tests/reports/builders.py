"""A case with everything a report must never show: a number, adviser names, texts, a
transcript, notes, a summary; and the times, topics and referrals it must count."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from hotline.callbacks.models import CallbackAttempt, CallbackRequest
from hotline.cases.models import Case, CaseEvent, CaseTopic, Referral
from hotline.directory.models import Organisation
from hotline.runtime import Runtime
from hotline.sms.models import SmsMessage
from hotline.voice.models import Call, Voicemail
from tests.builders import make_agent, make_callback, tokyo

WORKER_TEXT = "Công ty giữ hộ chiếu của tôi, xin giúp đỡ"
REPLY_TEXT = "Chúng tôi sẽ gọi lại cho bạn chiều nay"
TRANSCRIPT = "Tôi bị đau tay khi làm việc ở nhà máy"
NOTE_TEXT = "Employer Tanaka Seisakusho in Gifu, dormitory room 12"
SUMMARY_TEXT = "Passport held by the employer since March; wants to change employer"
ADVISER_NAME = "Nguyen Thi Lan"
ATTEMPT_NOTE = "Spoke quietly, call after 8pm"


@dataclass(frozen=True)
class RichCase:
    case_id: int
    reference: str
    phone: str
    adviser_id: int
    adviser_token: str


def make_rich_case(
    runtime: Runtime,
    *,
    phone: str = "+819000000123",
    opened: dt.datetime | None = None,
    answer_after: dt.timedelta = dt.timedelta(minutes=42),
) -> RichCase:
    """A Vietnamese case opened at `opened` (default 2030-01-15 10:00 JST) by a text, a
    call and a voicemail; an adviser's SMS reply `answer_after` the first text; a reached
    callback; topics, a note, a summary, a legal-aid referral; closed as referred."""
    opened = opened or tokyo(2030, 1, 15, 10)
    callback_id, case_id = make_callback(runtime, phone=phone, language="vi", may_identify=True)
    adviser = make_agent(runtime, name=ADVISER_NAME, languages="vi,en")
    with runtime.db.session() as session:
        case = session.get(Case, case_id)
        assert case is not None
        case.created_at = opened
        case.status = "closed"
        case.outcome = "referred"
        case.closed_at = opened + dt.timedelta(days=3)
        worker_text = SmsMessage(
            direction="in", kind="worker", caller_id=case.caller_id, case_id=case_id,
            body=WORKER_TEXT, language="vi", status="received", created_at=opened,
        )  # fmt: skip
        reply = SmsMessage(
            direction="out", kind="agent", caller_id=case.caller_id, case_id=case_id,
            agent_id=adviser.id, body=REPLY_TEXT, language="vi", status="delivered",
            created_at=opened + answer_after,
        )  # fmt: skip
        call = Call(
            sid="CA" + f"{case_id:032d}", direction="inbound", caller_id=case.caller_id,
            case_id=case_id, language="vi", started_at=opened + dt.timedelta(hours=1),
        )  # fmt: skip
        session.add_all([worker_text, reply, call])
        session.flush()
        session.add(
            Voicemail(
                call_id=call.id, case_id=case_id, recording_sid="RE" + f"{case_id:032d}",
                recording_url="https://api.twilio.invalid/rec", language="vi",
                transcription_status="done", transcript=TRANSCRIPT,
                created_at=opened + dt.timedelta(hours=1, minutes=2),
            )
        )  # fmt: skip
        callback = session.get(CallbackRequest, callback_id)
        assert callback is not None
        callback.created_at = opened
        callback.status = "closed"
        callback.outcome = "reached"
        session.add(
            CallbackAttempt(
                callback_id=callback_id, agent_id=adviser.id, state="completed",
                outcome="reached", note=ATTEMPT_NOTE, created_at=opened + dt.timedelta(hours=5),
            )
        )  # fmt: skip
        session.add_all(
            CaseTopic(case_id=case_id, topic=topic)
            for topic in ("documents_held", "changing_employer")
        )
        session.add_all(
            [
                CaseEvent(case_id=case_id, kind="note", agent_id=adviser.id, body=NOTE_TEXT),
                CaseEvent(
                    case_id=case_id, kind="summary", agent_id=adviser.id, body=SUMMARY_TEXT,
                    detail={"language": "en"},
                ),
            ]
        )  # fmt: skip
        legal_aid = Organisation(
            name_ja="法テラス", name_en="Japan Legal Support Center", kind="legal_aid",
            phone="0570-078377", languages=["vi", "en"],
        )  # fmt: skip
        session.add(legal_aid)
        session.flush()
        session.add(Referral(case_id=case_id, organisation_id=legal_aid.id, agent_id=adviser.id))
        return RichCase(case_id, case.reference, phone, adviser.id, adviser.token)
