"""Voicemails: fetched from Twilio, transcribed, translated, heard by the right agents,
and deleted at Twilio after the retention period."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import wave
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from hotline import create_app
from hotline.audit import AuditEvent
from hotline.callbacks.models import CallbackRequest
from hotline.cases.models import Case
from hotline.db import utcnow
from hotline.runtime import Runtime
from hotline.translation.models import Translation
from hotline.translation.voicemail_jobs import delete_expired_recordings
from hotline.voice.models import Voicemail, VoicemailAudio
from tests.builders import make_agent, make_case, make_voicemail
from tests.conftest import both_backends
from tests.fakes.google_speech import FakeGoogleSpeech, wav_seconds
from tests.fakes.google_translate import FakeGoogleTranslate
from tests.helpers import run_jobs
from tests.translation.conftest import run_jobs_later, tone_wav

SPOKEN = "Công ty không trả lương cho tôi ba tháng."


@pytest.fixture
def api(pipeline_runtime: Runtime) -> Iterator[Any]:
    app = create_app(runtime=pipeline_runtime)
    app.testing = True
    yield app.test_client()


def first_samples(wav_bytes: bytes, count: int = 10) -> list[int]:
    with wave.open(io.BytesIO(wav_bytes), "rb") as w:
        raw = w.readframes(count)
    return [int.from_bytes(raw[i : i + 2], "little", signed=True) for i in range(0, len(raw), 2)]


def voicemail_row(runtime: Runtime, voicemail_id: int) -> Voicemail:
    with runtime.db.session() as session:
        row = session.get(Voicemail, voicemail_id)
        assert row is not None
        return row


def held_audio(runtime: Runtime, voicemail_id: int) -> tuple[bytes, str] | None:
    """The recording as the database holds it: what every web process serves."""
    with runtime.db.session() as session:
        row = session.scalar(
            select(VoicemailAudio).where(VoicemailAudio.voicemail_id == voicemail_id)
        )
        return (row.audio, row.content_type) if row is not None else None


def voicemail_translations(runtime: Runtime, voicemail_id: int) -> dict[str, Translation]:
    with runtime.db.session() as session:
        rows = session.scalars(
            select(Translation).where(
                Translation.source_kind == "voicemail", Translation.source_id == voicemail_id
            )
        )
        return {row.target_language: row for row in rows}


def test_a_recording_twilio_has_not_finished_yet_is_fetched_again_later(
    pipeline_runtime: Runtime, fake_twilio: Any, fake_speech: FakeGoogleSpeech
) -> None:
    audio = tone_wav(4)
    fake_speech.add_transcript(audio, SPOKEN, 0.9)
    case = make_case(pipeline_runtime, language="vi")
    voicemail = make_voicemail(pipeline_runtime, case=case, fake_twilio=fake_twilio, audio=audio)
    held = fake_twilio.recordings.pop(voicemail.recording_sid)  # not ready at Twilio yet

    run_jobs(pipeline_runtime)
    assert voicemail_row(pipeline_runtime, voicemail.id).transcription_status == "pending"

    fake_twilio.recordings[voicemail.recording_sid] = held
    run_jobs_later(pipeline_runtime, after=dt.timedelta(seconds=31))
    row = voicemail_row(pipeline_runtime, voicemail.id)
    assert row.transcription_status == "done"
    assert row.transcript == SPOKEN


def test_voicemail_is_fetched_transcribed_in_the_callers_language_and_translated(
    pipeline_runtime: Runtime, fake_twilio: Any, fake_speech: FakeGoogleSpeech
) -> None:
    audio = tone_wav(4)
    fake_speech.add_transcript(audio, SPOKEN, 0.91)
    case = make_case(pipeline_runtime, language="vi")
    voicemail = make_voicemail(pipeline_runtime, case=case, fake_twilio=fake_twilio, audio=audio)

    run_jobs(pipeline_runtime)

    row = voicemail_row(pipeline_runtime, voicemail.id)
    assert row.transcription_status == "done"
    assert row.transcript == SPOKEN
    assert row.transcript_confidence == pytest.approx(0.91)
    assert held_audio(pipeline_runtime, voicemail.id) == (audio, "audio/wav")
    assert fake_speech.requests[0]["config"]["languageCode"] == "vi-VN"
    translations = voicemail_translations(pipeline_runtime, voicemail.id)
    assert translations["en"].text == "The company has not paid me for three months."
    assert translations["ja"].text == "会社は3か月間給料を払っていません。"


@pytest.mark.slow
def test_a_recording_longer_than_a_minute_is_transcribed_in_chunks_under_the_limit(
    pipeline_runtime: Runtime, fake_twilio: Any, fake_speech: FakeGoogleSpeech
) -> None:
    audio = tone_wav(130)
    case = make_case(pipeline_runtime, language="vi")
    voicemail = make_voicemail(pipeline_runtime, case=case, fake_twilio=fake_twilio, audio=audio)

    run_jobs(pipeline_runtime)

    lengths = [wav_seconds(r["audio"]) for r in fake_speech.requests]
    assert len(lengths) == 3
    assert all(length <= 55 for length in lengths)
    assert sum(lengths) == pytest.approx(130, abs=0.01)
    for request in fake_speech.requests[1:]:
        assert first_samples(request["audio"]) == [0] * 10  # cut in a pause, not a word
    row = voicemail_row(pipeline_runtime, voicemail.id)
    assert row.transcription_status == "done"
    assert row.transcript is not None
    assert row.transcript.count("[vi-VN speech,") == 3


def test_without_google_the_voicemail_is_kept_and_marked_not_transcribed(
    unconfigured_runtime: Runtime, fake_twilio: Any
) -> None:
    case = make_case(unconfigured_runtime, language="vi")
    voicemail = make_voicemail(
        unconfigured_runtime, case=case, fake_twilio=fake_twilio, audio=tone_wav(2)
    )

    run_jobs(unconfigured_runtime)

    row = voicemail_row(unconfigured_runtime, voicemail.id)
    assert row.transcription_status == "not_configured"
    assert row.transcript is None
    assert held_audio(unconfigured_runtime, voicemail.id) is not None  # agents can listen
    assert voicemail_translations(unconfigured_runtime, voicemail.id) == {}


def test_transcription_retries_after_a_transient_error(
    pipeline_runtime: Runtime, fake_twilio: Any, fake_speech: FakeGoogleSpeech
) -> None:
    fake_speech.fail(503)
    audio = tone_wav(2)
    fake_speech.add_transcript(audio, SPOKEN)
    case = make_case(pipeline_runtime, language="vi")
    voicemail = make_voicemail(pipeline_runtime, case=case, fake_twilio=fake_twilio, audio=audio)

    run_jobs(pipeline_runtime)
    assert voicemail_row(pipeline_runtime, voicemail.id).transcription_status == "pending"
    fake_twilio.recordings.clear()  # the retry must use the copy it already fetched

    run_jobs_later(pipeline_runtime, after=dt.timedelta(minutes=1))

    row = voicemail_row(pipeline_runtime, voicemail.id)
    assert row.transcription_status == "done"
    assert row.transcript == SPOKEN


@pytest.mark.slow
def test_translation_failures_after_transcription_leave_the_transcript_readable(
    pipeline_runtime: Runtime,
    fake_twilio: Any,
    fake_speech: FakeGoogleSpeech,
    fake_translate: FakeGoogleTranslate,
) -> None:
    fake_translate.fail(503, times=100)
    audio = tone_wav(2)
    fake_speech.add_transcript(audio, SPOKEN)
    case = make_case(pipeline_runtime, language="vi")
    voicemail = make_voicemail(pipeline_runtime, case=case, fake_twilio=fake_twilio, audio=audio)

    run_jobs(pipeline_runtime)
    for _ in range(6):
        run_jobs_later(pipeline_runtime, after=dt.timedelta(hours=1))

    row = voicemail_row(pipeline_runtime, voicemail.id)
    assert row.transcription_status == "done"
    assert row.transcript == SPOKEN
    assert len(fake_speech.requests) == 1  # retries did not transcribe again
    assert {t.status for t in voicemail_translations(pipeline_runtime, voicemail.id).values()} == {
        "failed"
    }


def test_case_view_shows_transcript_and_translations(
    pipeline_runtime: Runtime, fake_twilio: Any, fake_speech: FakeGoogleSpeech, api: Any
) -> None:
    audio = tone_wav(2)
    fake_speech.add_transcript(audio, SPOKEN, 0.8)
    case = make_case(pipeline_runtime, language="vi")
    make_voicemail(pipeline_runtime, case=case, fake_twilio=fake_twilio, audio=audio)
    run_jobs(pipeline_runtime)
    token = make_agent(pipeline_runtime, name="Agent vi,en", languages="vi,en", phone=None).token

    response = api.get(f"/api/cases/{case.id}", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 200
    (voicemail,) = response.get_json()["voicemails"]
    assert voicemail["transcription_status"] == "done"
    assert voicemail["transcript"] == SPOKEN
    by_language = {t["language"]: t for t in voicemail["translations"]}
    assert by_language["en"]["text"] == "The company has not paid me for three months."
    assert by_language["ja"]["status"] == "done"


# --- Listening -----------------------------------------------------------------------


def listen(api: Any, voicemail_id: int, token: str | None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return api.get(f"/api/voicemails/{voicemail_id}/audio", headers=headers)


def test_an_agent_who_speaks_the_case_language_hears_the_recording_and_it_is_audited(
    pipeline_runtime: Runtime, fake_twilio: Any, api: Any
) -> None:
    audio = tone_wav(2)
    case = make_case(pipeline_runtime, language="vi")
    voicemail = make_voicemail(pipeline_runtime, case=case, fake_twilio=fake_twilio, audio=audio)
    run_jobs(pipeline_runtime)
    agent = make_agent(pipeline_runtime, name="Agent vi,en", languages="vi,en", phone=None)

    response = listen(api, voicemail.id, agent.token)

    assert response.status_code == 200
    assert response.mimetype == "audio/wav"
    assert response.data == audio
    assert "no-store" in response.headers["Cache-Control"]
    with pipeline_runtime.db.session() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "voicemail.listen")
        ).all()
    assert [(e.agent_id, e.subject_id) for e in events] == [(agent.id, voicemail.id)]


def test_other_agents_cannot_tell_the_voicemail_exists(
    pipeline_runtime: Runtime, fake_twilio: Any, api: Any
) -> None:
    case = make_case(pipeline_runtime, language="vi")
    voicemail = make_voicemail(
        pipeline_runtime, case=case, fake_twilio=fake_twilio, audio=tone_wav(2)
    )
    run_jobs(pipeline_runtime)
    thai_token = make_agent(pipeline_runtime, name="Agent th", languages="th", phone=None).token

    assert listen(api, voicemail.id, thai_token).status_code == 404
    assert listen(api, voicemail.id + 100, thai_token).status_code == 404
    assert listen(api, voicemail.id, None).status_code == 401
    assert listen(api, voicemail.id, "hl_not-a-token").status_code == 401


def test_assigned_agents_and_supervisors_may_listen(
    pipeline_runtime: Runtime, fake_twilio: Any, api: Any
) -> None:
    case = make_case(pipeline_runtime, language="vi")
    voicemail = make_voicemail(
        pipeline_runtime, case=case, fake_twilio=fake_twilio, audio=tone_wav(2)
    )
    run_jobs(pipeline_runtime)
    assigned = make_agent(pipeline_runtime, name="Agent th", languages="th", phone=None)
    supervisor_token = make_agent(
        pipeline_runtime, name="Agent ja", languages="ja", phone=None, role="supervisor"
    ).token
    with pipeline_runtime.db.session() as session:
        session.get(Case, case.id).assigned_agent_id = assigned.id  # type: ignore[union-attr]

    assert listen(api, voicemail.id, assigned.token).status_code == 200
    assert listen(api, voicemail.id, supervisor_token).status_code == 200


def test_an_agent_holding_a_claimed_callback_on_the_case_may_listen(
    pipeline_runtime: Runtime, fake_twilio: Any, api: Any
) -> None:
    case = make_case(pipeline_runtime, language="vi")
    voicemail = make_voicemail(
        pipeline_runtime, case=case, fake_twilio=fake_twilio, audio=tone_wav(2)
    )
    run_jobs(pipeline_runtime)
    adviser = make_agent(pipeline_runtime, name="Agent th", languages="th", phone=None)
    with pipeline_runtime.db.session() as session:
        callback = CallbackRequest(
            case_id=case.id,
            caller_id=case.caller_id,
            language="vi",
            phone_encrypted="not-a-real-number",
        )
        session.add(callback)
    assert listen(api, voicemail.id, adviser.token).status_code == 404  # queued: not theirs yet

    with pipeline_runtime.db.session() as session:
        held = session.get(CallbackRequest, callback.id)
        assert held is not None
        held.status, held.claimed_by_id, held.claimed_at = "claimed", adviser.id, utcnow()

    assert listen(api, voicemail.id, adviser.token).status_code == 200


@both_backends
def test_an_id_too_large_for_the_database_is_simply_not_found(
    pipeline_runtime: Runtime, api: Any
) -> None:
    token = make_agent(
        pipeline_runtime, name="Agent vi", languages="vi", phone=None, role="supervisor"
    ).token

    for too_large in (2**31, 2**63, 99999999999999999999):
        response = listen(api, too_large, token)
        assert response.status_code == 404
        assert response.get_json()["error"] == "not_found"


def test_a_web_process_on_another_machine_serves_what_the_worker_fetched(
    pipeline_runtime: Runtime, fake_twilio: Any, tmp_path: Path
) -> None:
    audio = tone_wav(3)
    case = make_case(pipeline_runtime, language="vi")
    voicemail = make_voicemail(pipeline_runtime, case=case, fake_twilio=fake_twilio, audio=audio)
    run_jobs(pipeline_runtime)  # the worker, with its own instance folder
    retention = dt.timedelta(hours=pipeline_runtime.settings.recording_retention_hours)
    assert delete_expired_recordings(pipeline_runtime, now=utcnow() + retention) == 1
    shutil.rmtree(pipeline_runtime.settings.instance_path, ignore_errors=True)  # disk lost
    web_settings = replace(pipeline_runtime.settings, instance_path=tmp_path / "web-machine")
    web = Runtime(web_settings, redis_client=pipeline_runtime.redis)
    try:
        app = create_app(runtime=web)
        app.testing = True
        token = make_agent(web, name="Agent vi", languages="vi", phone=None).token

        response = listen(app.test_client(), voicemail.id, token)
    finally:
        web.close()

    assert fake_twilio.recordings == {}  # Twilio no longer holds it either
    assert response.status_code == 200
    assert response.mimetype == "audio/wav"
    assert response.data == audio


def test_a_recording_not_fetched_yet_is_not_served(
    pipeline_runtime: Runtime, fake_twilio: Any, api: Any
) -> None:
    case = make_case(pipeline_runtime, language="vi")
    voicemail = make_voicemail(
        pipeline_runtime, case=case, fake_twilio=fake_twilio, audio=tone_wav(2)
    )
    token = make_agent(pipeline_runtime, name="Agent vi", languages="vi", phone=None).token

    response = listen(api, voicemail.id, token)

    assert response.status_code == 404
    assert "not been fetched" in response.get_json()["message"]


# --- Retention at Twilio -------------------------------------------------------------


def test_twilio_copy_is_deleted_after_the_retention_and_ours_is_kept(
    pipeline_runtime: Runtime, fake_twilio: Any
) -> None:
    case = make_case(pipeline_runtime, language="vi")
    voicemail = make_voicemail(
        pipeline_runtime, case=case, fake_twilio=fake_twilio, audio=tone_wav(2)
    )
    run_jobs(pipeline_runtime)
    retention = dt.timedelta(hours=pipeline_runtime.settings.recording_retention_hours)

    assert delete_expired_recordings(pipeline_runtime, now=utcnow() + retention / 2) == 0
    assert fake_twilio.deleted_recordings == []

    assert delete_expired_recordings(pipeline_runtime, now=utcnow() + retention) == 1

    assert fake_twilio.deleted_recordings == [voicemail.recording_sid]
    row = voicemail_row(pipeline_runtime, voicemail.id)
    assert row.twilio_deleted_at is not None
    assert held_audio(pipeline_runtime, voicemail.id) is not None
    assert delete_expired_recordings(pipeline_runtime, now=utcnow() + 2 * retention) == 0


def test_a_recording_we_do_not_hold_is_never_deleted_at_twilio(
    pipeline_runtime: Runtime, fake_twilio: Any
) -> None:
    case = make_case(pipeline_runtime, language="vi")
    make_voicemail(
        pipeline_runtime, case=case, fake_twilio=fake_twilio, audio=tone_wav(2)
    )  # job not run yet

    assert delete_expired_recordings(pipeline_runtime, now=utcnow() + dt.timedelta(days=30)) == 0
    assert fake_twilio.deleted_recordings == []
