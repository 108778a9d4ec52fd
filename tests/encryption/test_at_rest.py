"""What workers say never lies in the database in clear: the raw SQLite file and the raw
PostgreSQL rows hold no message body, transcript, translation, note or audio."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from hotline import create_app
from hotline.cases.models import CaseEvent
from hotline.runtime import Runtime
from hotline.sms.models import SmsMessage
from hotline.sms.processor import process_due
from hotline.translation.models import Translation, TranslationCacheEntry
from hotline.voice.models import PromptRecording, VoicemailAudio
from tests.builders import make_agent, make_case, make_voicemail
from tests.conftest import both_backends
from tests.fakes.google_speech import FakeGoogleSpeech
from tests.helpers import WORKER_NUMBER, run_jobs, twilio_post
from tests.translation.conftest import tone_wav

SMS = "Chủ của tôi giữ hộ chiếu của tôi, tôi không thể về nhà. XYZZY-SMS"
SPOKEN = "Công ty không trả lương cho tôi ba tháng."
NOTE = "Worker fears the dormitory manager reads her phone. XYZZY-NOTE"
SEALED_COLUMNS = {
    "sms_messages": "body",
    "case_events": "body",
    "voicemails": "transcript",
    "translations": "text",
    "translation_cache": "result",
    "voicemail_audio": "audio",
    "prompt_recordings": "audio",
}


def store_everything(
    runtime: Runtime, fake_twilio: Any, fake_speech: FakeGoogleSpeech
) -> dict[str, Any]:
    """An SMS through the webhook, a voicemail fetched and transcribed, translations, a
    note through the agent API and a prompt recorded by phone: each stored for real."""
    app = create_app(runtime=runtime)
    app.testing = True
    client = app.test_client()
    response = twilio_post(
        client,
        "/sms/incoming",
        {
            "MessageSid": "SM" + "7" * 32,
            "From": WORKER_NUMBER,
            "To": runtime.settings.twilio_number,
            "Body": SMS,
        },
    )
    assert response.status_code == 200
    process_due(runtime)  # the worker's part: the stored text becomes a message
    audio = tone_wav(3, pitch=523.0)
    fake_speech.add_transcript(audio, SPOKEN, 0.9)
    with runtime.db.session() as session:
        case_id = session.scalar(select(SmsMessage.case_id).where(SmsMessage.direction == "in"))
    case = make_case(runtime, language="vi")
    assert case.id == case_id
    make_voicemail(runtime, case=case, fake_twilio=fake_twilio, audio=audio)
    run_jobs(runtime)
    agent = make_agent(runtime, name="Agent vi,en", languages="vi,en", phone=None, role="agent")
    answer = client.post(
        f"/api/cases/{case_id}/notes",
        json={"text": NOTE},
        headers={"Authorization": f"Bearer {agent.token}"},
    )
    assert answer.status_code in (200, 201), answer.get_json()
    prompt_audio = tone_wav(2, pitch=311.0)
    with runtime.db.session() as session:
        session.add(
            PromptRecording(
                language="vi",
                prompt="welcome",
                agent_id=agent.id,
                recording_sid="RE" + "5" * 32,
                recording_url="https://api.twilio.com/recording",
                audio=prompt_audio,
            )
        )
    with runtime.db.session() as session:
        translations = session.scalars(
            select(Translation.text).where(Translation.text.is_not(None))
        ).all()
        cached = session.scalars(
            select(TranslationCacheEntry.result).where(TranslationCacheEntry.result.is_not(None))
        ).all()
        held = session.scalar(select(VoicemailAudio.audio))
        note = session.scalar(select(CaseEvent.body).where(CaseEvent.kind == "note"))
        stored_sms = session.scalar(select(SmsMessage.body).where(SmsMessage.direction == "in"))
        prompt = session.scalar(select(PromptRecording.audio))
    # Read back through the application, everything is as it was said.
    assert stored_sms == SMS
    assert note == NOTE
    assert held == audio
    assert prompt == prompt_audio
    assert "The company has not paid me for three months." in translations
    assert cached, "translations went through the cache"
    return {
        "texts": [SMS, SPOKEN, NOTE, "XYZZY", *translations, *cached],
        "audio": [sounding_part(audio), sounding_part(prompt_audio)],
    }


def sounding_part(wav: bytes) -> bytes:
    """256 bytes of the recording that are not silence, to look for in the raw file."""
    for start in range(44, len(wav) - 256, 256):
        part = wav[start : start + 256]
        if part.count(0) < 64:
            return part
    raise AssertionError("the recording is silent")


@pytest.mark.slow
@both_backends
def test_raw_database_holds_no_plaintext_of_what_workers_said(
    pipeline_runtime: Runtime, fake_twilio: Any, fake_speech: FakeGoogleSpeech, backend: str
) -> None:
    said = store_everything(pipeline_runtime, fake_twilio, fake_speech)
    needles = [t.encode("utf-8") for t in said["texts"] if t] + said["audio"]
    url = pipeline_runtime.settings.database_url
    pipeline_runtime.db.dispose()

    if backend == "sqlite":
        path = Path(make_url(url).database or "")
        engine = create_engine(url)
        with engine.connect() as conn:  # move the write-ahead log into the file
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        assert b"hx1:" in raw
        for needle in needles:
            assert needle not in raw
        return

    engine = create_engine(url)
    with engine.connect() as conn:
        for table, column in SEALED_COLUMNS.items():
            query = f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL"  # noqa: S608
            values = conn.execute(text(query)).scalars().all()
            assert values, f"{table}.{column} holds nothing: the test stored nothing there"
            for value in values:
                stored = bytes(value) if isinstance(value, memoryview | bytes) else value.encode()
                assert stored.startswith(b"hx1:")
            whole_rows = f"SELECT CAST(t AS text) FROM {table} AS t"  # noqa: S608
            dump = "\n".join(conn.execute(text(whole_rows)).scalars().all())
            for needle in needles:
                assert needle not in dump.encode("utf-8")
                assert needle.hex() not in dump  # bytea columns render as hex
    engine.dispose()
