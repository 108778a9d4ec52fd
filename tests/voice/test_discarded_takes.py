"""Takes the hotline does not keep are deleted at Twilio: a too-short voice message and
a prompt take the staff member re-records. Nothing of ours points at them, and they
are somebody's voice."""

from __future__ import annotations

import datetime as dt
from typing import Any

import time_machine

from hotline import create_app
from hotline.db import utcnow
from hotline.runtime import Runtime
from hotline.voice.models import Voicemail
from tests.helpers import run_jobs
from tests.voice.helpers import place_call


def recordings_in(result: Any) -> list[tuple[str, int]]:
    """(RecordingSid, seconds) of each take, in the order the caller made them."""
    return [
        (x.params["RecordingSid"], int(x.params["RecordingDuration"]))
        for x in result.exchanges
        if "/voice/record/" in x.url and "RecordingSid" in x.params
    ]


def test_a_too_short_take_is_deleted_at_twilio_and_the_kept_one_is_not(
    twilio_runtime: Runtime, fake_twilio: Any
) -> None:
    client = create_app(runtime=twilio_runtime).test_client()
    result = place_call(client, "84#3 R1# R9#")
    (short_sid, _), (kept_sid, _) = recordings_in(result)
    for sid in (short_sid, kept_sid):
        fake_twilio.add_recording(sid, b"RIFF....WAVE")
    run_jobs(twilio_runtime)
    assert short_sid in fake_twilio.deleted_recordings
    assert kept_sid not in fake_twilio.deleted_recordings
    with twilio_runtime.db.session() as s:
        assert s.query(Voicemail).one().recording_sid == kept_sid


def test_a_take_twilio_does_not_show_yet_is_deleted_once_it_appears(
    twilio_runtime: Runtime, fake_twilio: Any
) -> None:
    client = create_app(runtime=twilio_runtime).test_client()
    result = place_call(client, "84#3 R1# . *")
    (short_sid, _) = recordings_in(result)[0]
    run_jobs(twilio_runtime)  # 404: not at Twilio yet, so it will be tried again
    assert fake_twilio.deleted_recordings == []
    fake_twilio.add_recording(short_sid, b"RIFF....WAVE")
    with time_machine.travel(utcnow() + dt.timedelta(minutes=5), tick=False):
        run_jobs(twilio_runtime)
    assert fake_twilio.deleted_recordings == [short_sid]
