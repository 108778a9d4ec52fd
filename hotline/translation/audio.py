"""The hotline's own copy of voicemail recordings, kept in the database.

The worker that fetches a recording and the web process an agent listens through may
run on different machines, and once Twilio's copy is deleted this is the only copy
left: so the audio lives in the database, never on one process's local disk.
"""

from __future__ import annotations

from flask import Request, Response
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.voice.models import VoicemailAudio

WAV = "audio/wav"
MP3 = "audio/mpeg"


def content_type_of(audio: bytes) -> str:
    """WAV is what the worker asks Twilio for; an MP3 link is recognised by its header."""
    if audio.startswith(b"ID3") or audio[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return MP3
    return WAV


def stored_audio(session: Session, voicemail_id: int) -> VoicemailAudio | None:
    return session.scalar(select(VoicemailAudio).where(VoicemailAudio.voicemail_id == voicemail_id))


def has_audio(session: Session, voicemail_id: int) -> bool:
    found = session.scalar(
        select(VoicemailAudio.id).where(VoicemailAudio.voicemail_id == voicemail_id)
    )
    return found is not None


def stored_audio_ids(session: Session, voicemail_ids: list[int]) -> set[int]:
    """Which of these voicemails have a recording to play (without loading the audio)."""
    if not voicemail_ids:
        return set()
    return set(
        session.scalars(
            select(VoicemailAudio.voicemail_id).where(
                VoicemailAudio.voicemail_id.in_(voicemail_ids)
            )
        )
    )


def store_audio(session: Session, voicemail_id: int, audio: bytes) -> None:
    """Keep the recording once; a copy another worker stored first is kept as it is."""
    if has_audio(session, voicemail_id):
        return
    try:
        with session.begin_nested():
            session.add(
                VoicemailAudio(
                    voicemail_id=voicemail_id, audio=audio, content_type=content_type_of(audio)
                )
            )
    except IntegrityError:
        pass  # stored by a concurrent attempt a moment ago: the same recording


def audio_response(stored: VoicemailAudio, request: Request) -> Response:
    """The recording for an agent's player: never cached, seekable (Range requests)."""
    response = Response(stored.audio, mimetype=stored.content_type)
    response.headers["Cache-Control"] = "no-store, private"
    response.make_conditional(request, accept_ranges=True, complete_length=len(stored.audio))
    return response
