"""A voice message travels from Twilio's <Record> through the worker (download,
Speech-to-Text, Translation) to the adviser's case view."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from tests.acceptance.conftest import Edge
from tests.acceptance.outsider import Deployment, assert_conforms, make_wav, wait_for
from tests.acceptance.voice_engine import TwilioCall

pytestmark = pytest.mark.slow  # starts the deployment's servers

WORKER = "+84900000501"
SPOKEN = "Công ty không trả lương cho tôi ba tháng."
IN_ENGLISH = "The company has not paid me for three months."
IN_JAPANESE = "会社は3か月間給料を払っていません。"


def test_a_voice_message_is_transcribed_and_translated_for_the_adviser(
    hotline: Deployment, edge: Edge, openapi: dict[str, Any]
) -> None:
    hoa = hotline.add_agent("Hoa", "vi", "+819000001004")
    api = hotline.api(hoa)
    before = {case["id"] for case in api.get("/api/cases").json()}

    audio = make_wav(seconds=4.0)
    edge.speech.add_transcript(audio, SPOKEN, confidence=0.87)
    recording_sid = "RE" + secrets.token_hex(16)
    recording_url = edge.twilio.add_recording(recording_sid, audio)

    call = TwilioCall(hotline, WORKER)
    call.start()
    call.press("84", finished_on_key="#")
    prompt = call.press("3")
    records = prompt.verbs("Record")
    assert len(records) == 1, prompt.text
    record = records[0]
    assert record.get("recordingStatusCallback"), "Twilio needs a recording status callback"
    assert int(record.get("maxLength", "3600")) <= 600

    recorded = {
        "RecordingUrl": recording_url,
        "RecordingSid": recording_sid,
        "RecordingDuration": "4",
        "Digits": "#",
    }
    after = call.fetch(prompt.absolute(record.get("action")), **recorded)
    assert {lang for lang, _ in after.says()} <= {"vi-VN"}, after.text
    status_callback = hotline.twilio_post(
        _path(prompt.absolute(record.get("recordingStatusCallback"))),
        {
            "AccountSid": call.params()["AccountSid"],
            "CallSid": call.call_sid,
            "RecordingSid": recording_sid,
            "RecordingUrl": recording_url,
            "RecordingStatus": "completed",
            "RecordingDuration": "4",
            "RecordingChannels": "1",
            "RecordingSource": "RecordVerb",
            "RecordingStartTime": "Fri, 27 Nov 2026 05:00:00 +0000",
            "ErrorCode": "0",
        },
    )
    assert status_callback.status_code in (200, 204), status_callback.text
    while call.doc.verbs("Redirect") and not call.doc.verbs("Hangup"):
        call.follow_redirect()
    call.hang_up()

    new_cases = wait_for(
        lambda: [c for c in api.get("/api/cases").json() if c["id"] not in before],
        what="the voicemail's case in GET /api/cases",
    )
    assert len(new_cases) == 1, new_cases
    assert new_cases[0]["language"] == "vi"

    def transcribed() -> dict[str, Any] | None:
        case = api.get(f"/api/cases/{new_cases[0]['id']}").json()
        voicemails = case.get("voicemails") or []
        if not voicemails:
            return None
        done = {t["language"]: t for t in voicemails[0]["translations"] if t["status"] == "done"}
        if voicemails[0]["transcription_status"] == "done" and {"en", "ja"} <= set(done):
            return case
        return None

    case = wait_for(transcribed, timeout=20, what="transcript and en/ja translations")
    detail = api.get(f"/api/cases/{case['id']}")
    assert_conforms(openapi, "GET", "/api/cases/{case_id}", detail)
    voicemail = detail.json()["voicemails"][0]
    assert voicemail["transcript"] == SPOKEN
    translations = {t["language"]: t for t in voicemail["translations"]}
    assert translations["en"]["text"] == IN_ENGLISH
    assert translations["ja"]["text"] == IN_JAPANESE
    assert translations["en"]["source_language"] == "vi"
    assert WORKER not in detail.text
    spoken_to_google = [r for r in edge.speech.requests if r["audio"] == audio]
    assert spoken_to_google and spoken_to_google[0]["config"]["languageCode"] == "vi-VN"


def _path(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def test_a_caller_who_hangs_up_while_recording_leaves_one_voicemail_whatever_the_order(
    hotline: Deployment, edge: Edge
) -> None:
    """Twilio posts the <Record> action with Digits=hangup when the caller hangs up, and
    the recording status callback may arrive first or twice."""
    agent = hotline.add_agent("Tam", "vi", "+819000001005")
    api = hotline.api(agent)
    before = {case["id"] for case in api.get("/api/cases").json()}
    audio = make_wav(seconds=5.0, frequency=523.0)
    recording_sid = "RE" + secrets.token_hex(16)
    recording_url = edge.twilio.add_recording(recording_sid, audio)

    call = TwilioCall(hotline, "+84900000502")
    call.start()
    call.press("84", finished_on_key="#")
    prompt = call.press("3")
    record = prompt.verbs("Record")[0]
    status = {
        "AccountSid": call.params()["AccountSid"],
        "CallSid": call.call_sid,
        "RecordingSid": recording_sid,
        "RecordingUrl": recording_url,
        "RecordingStatus": "completed",
        "RecordingDuration": "5",
        "RecordingChannels": "1",
        "RecordingSource": "RecordVerb",
    }
    callback_path = _path(prompt.absolute(record.get("recordingStatusCallback")))
    for _ in range(2):
        answer = hotline.twilio_post(callback_path, status)
        assert answer.status_code in (200, 204), answer.text
    action = hotline.twilio_post(
        _path(prompt.absolute(record.get("action"))),
        call.params(
            CallStatus="completed",
            RecordingUrl=recording_url,
            RecordingSid=recording_sid,
            RecordingDuration="5",
            Digits="hangup",
        ),
    )
    assert action.status_code == 200, action.text
    call.hang_up()

    fresh = wait_for(lambda: {c["id"] for c in api.get("/api/cases").json()} - before)
    assert len(fresh) == 1
    case_id = fresh.pop()

    def transcribed() -> list[dict[str, Any]] | None:
        voicemails = api.get(f"/api/cases/{case_id}").json()["voicemails"]
        done = [v for v in voicemails if v["transcription_status"] == "done"]
        return voicemails if done else None

    voicemails = wait_for(transcribed, what="the transcript")
    assert len(voicemails) == 1, voicemails
    assert voicemails[0]["duration_seconds"] == 5
