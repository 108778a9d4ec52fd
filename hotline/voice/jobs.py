"""Voice jobs. Imported by `hotline.handlers` only, so web code never registers jobs
(a half-filled registry would hide the other domains' handlers from `defer`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hotline.db import utcnow
from hotline.jobs import RetryLater, job
from hotline.voice.actions.voicemail import DISCARD_RECORDING_JOB
from hotline.voice.models import PromptRecording
from hotline.voice.recording import FETCH_JOB

# Twilio can answer 404 for a recording for a while after the call said it exists.
RECORDING_APPEARS_WITHIN = dt.timedelta(minutes=15)


@job(FETCH_JOB, max_attempts=8)
def fetch_prompt_recording(runtime: Any, *, prompt_recording_id: int) -> None:
    """Download a kept recording from Twilio so the app can serve it."""
    from hotline.telephony import TelephonyError, telephony

    with runtime.db.session() as session:
        row = session.get(PromptRecording, prompt_recording_id)
        if row is None or row.audio is not None:
            return
        url = row.recording_url
    try:
        audio = telephony(runtime.settings).fetch_recording(url)
    except TelephonyError as exc:
        if exc.permanent:
            raise
        raise RetryLater(str(exc)) from exc
    with runtime.db.session() as session:
        row = session.get(PromptRecording, prompt_recording_id)
        if row is not None and row.audio is None:
            row.audio = audio


@job(DISCARD_RECORDING_JOB, max_attempts=10)
def discard_recording(runtime: Any, *, recording_sid: str, taken_at: str) -> None:
    """Delete at Twilio a take that was not kept; gone already is done."""
    from hotline.telephony import TelephonyError, telephony

    try:
        telephony(runtime.settings).delete_recording(recording_sid)
    except TelephonyError as exc:
        if exc.code == 20404:
            if utcnow() - dt.datetime.fromisoformat(taken_at) < RECORDING_APPEARS_WITHIN:
                raise RetryLater("the recording is not at Twilio yet", delay=120) from exc
            return
        if exc.permanent:
            raise
        raise RetryLater(str(exc)) from exc
