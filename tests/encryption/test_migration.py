"""Migration 0011 encrypts what an existing database holds in clear, so no database
ever holds a mix the code cannot read; its downgrade gives the plaintext back."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import create_engine, select, text

from hotline.encryption import Keyring
from hotline.encryption.models import DataKeyRecord
from hotline.migrate import downgrade, upgrade
from hotline.runtime import Runtime
from hotline.sms.models import SmsMessage
from hotline.voice.models import VoicemailAudio
from tests.builders import make_case, make_message, make_voicemail
from tests.conftest import both_backends
from tests.helpers import run_jobs
from tests.translation.conftest import tone_wav

BODY = "Họ giữ hộ chiếu của tôi"


def raw(url: str, sql: str) -> list[Any]:
    engine = create_engine(url)
    with engine.connect() as conn:
        values = [bytes(v) if isinstance(v, memoryview) else v for v in conn.scalars(text(sql))]
    engine.dispose()
    return values


@pytest.mark.slow
@both_backends
def test_upgrade_encrypts_rows_written_in_clear_and_downgrade_restores_them(
    twilio_runtime: Runtime, fake_twilio: Any
) -> None:
    runtime = twilio_runtime
    case = make_case(runtime, language="vi")
    make_message(runtime, case=case, body=BODY)
    audio = tone_wav(1)
    make_voicemail(runtime, case=case, fake_twilio=fake_twilio, audio=audio)
    run_jobs(runtime)
    url = runtime.settings.database_url
    keyring = Keyring.from_settings(runtime.settings)
    runtime.db.dispose()

    try:
        downgrade(url, "0010", keyring=keyring)
        assert raw(url, "SELECT body FROM sms_messages WHERE direction = 'in'") == [BODY]
        assert raw(url, "SELECT audio FROM voicemail_audio") == [audio]
    finally:
        upgrade(url, keyring=keyring)

    [sealed] = raw(url, "SELECT body FROM sms_messages WHERE direction = 'in'")
    assert sealed.startswith(f"hx1:{keyring.current.key_id}:") and BODY not in sealed
    [sealed_audio] = raw(url, "SELECT audio FROM voicemail_audio")
    assert sealed_audio.startswith(b"hx1:") and audio[100:400] not in sealed_audio
    with runtime.db.session() as session:
        assert session.scalar(select(SmsMessage.body).where(SmsMessage.direction == "in")) == BODY
        assert session.scalar(select(VoicemailAudio.audio)) == audio
        assert session.scalars(select(DataKeyRecord.key_id)).all() == [keyring.current.key_id]
