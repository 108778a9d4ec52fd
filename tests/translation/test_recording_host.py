"""The Twilio credentials go with a recording download only to Twilio's API host (or
TWILIO_API_URL's): a RecordingUrl anywhere else is refused before any request is made,
and nothing of the recording is stored."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from hotline.runtime import Runtime
from hotline.telephony import TelephonyError, TwilioTelephony
from hotline.translation.audio import stored_audio
from hotline.voice.models import Voicemail
from tests.builders import make_case, make_voicemail
from tests.conftest import both_backends
from tests.fakes.twilio_api import start_fake_twilio
from tests.helpers import ACCOUNT_SID, AUTH_TOKEN, run_jobs
from tests.translation.conftest import tone_wav


@pytest.fixture
def foreign_host() -> Iterator[Any]:
    """Another server on this machine that would gladly take the credentials."""
    fake = start_fake_twilio(ACCOUNT_SID, AUTH_TOKEN)
    yield fake
    assert fake.server is not None
    fake.server.stop()


@both_backends
def test_a_voicemail_on_a_foreign_host_is_never_fetched_with_our_credentials(
    unconfigured_runtime: Runtime, fake_twilio: Any, foreign_host: Any
) -> None:
    case = make_case(unconfigured_runtime, language="vi")
    voicemail = make_voicemail(
        unconfigured_runtime, case=case, fake_twilio=fake_twilio, audio=tone_wav(2)
    )
    foreign_url = foreign_host.add_recording(voicemail.recording_sid, tone_wav(2))
    with unconfigured_runtime.db.session() as session:
        row = session.get(Voicemail, voicemail.id)
        assert row is not None
        row.recording_url = foreign_url

    run_jobs(unconfigured_runtime)

    assert foreign_host.requests == []
    with unconfigured_runtime.db.session() as session:
        row = session.get(Voicemail, voicemail.id)
        assert row is not None
        # Never fetched; without speech-to-text here it says so rather than "failed".
        assert row.transcription_status == "not_configured"
        assert stored_audio(session, voicemail.id) is None


@pytest.mark.parametrize(
    "url",
    [
        "https://api.twilio.com.attacker.example/2010-04-01/Accounts/AC1/Recordings/RE1",
        "https://api.twilio.com@attacker.example/2010-04-01/Accounts/AC1/Recordings/RE1",
        "http://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1",
        "https://attacker.example/api.twilio.com/Recordings/RE1",
        "ftp://api.twilio.com/Recordings/RE1",
        "not a url at all",
    ],
)
def test_recording_urls_off_twilio_are_refused_as_permanent_failures(
    twilio_runtime: Runtime, url: str
) -> None:
    with pytest.raises(TelephonyError, match="not on Twilio's API host") as raised:
        TwilioTelephony(twilio_runtime.settings).fetch_recording(url)
    assert raised.value.permanent


def test_twilio_urls_are_fetched_from_the_configured_api_url(
    twilio_runtime: Runtime, fake_twilio: Any
) -> None:
    sid = "RE" + "ab" * 16
    fake_twilio.add_recording(sid, b"RIFF....WAVE")
    twilio = TwilioTelephony(twilio_runtime.settings)
    path = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{sid}"
    assert twilio.fetch_recording("https://api.twilio.com" + path) == b"RIFF....WAVE"
    assert twilio.fetch_recording(fake_twilio.url + path) == b"RIFF....WAVE"
    assert all(r["credentials"] for r in fake_twilio.requests)
