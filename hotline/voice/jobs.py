"""Voice jobs. Imported by `hotline.handlers` only, so web code never registers jobs
(a half-filled registry would hide the other domains' handlers from `defer`)."""

from __future__ import annotations

from typing import Any

from hotline.jobs import RetryLater, job
from hotline.voice.models import PromptRecording
from hotline.voice.recording import FETCH_JOB


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
