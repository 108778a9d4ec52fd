"""Agents listening to voicemails: the audio the worker fetched, served to agents only.

Never a public URL: the recording is read from the database behind a Bearer token,
only for agents who may see the case, and every listen is audited. Any web process can
serve it: nothing is read from this machine's disk.
"""

from __future__ import annotations

from flask import abort, g, request
from flask.typing import ResponseReturnValue

from hotline import audit
from hotline.agents.auth import api_auth_required
from hotline.agents.cases import case_for_agent
from hotline.api.common import bp
from hotline.translation.audio import audio_response, stored_audio
from hotline.voice.models import Voicemail


@bp.get("/voicemails/<int:voicemail_id>/audio")
@api_auth_required
def voicemail_audio(voicemail_id: int) -> ResponseReturnValue:
    """The voicemail's recording (WAV), for agents who may see its case."""
    agent = g.agent
    # An id beyond the 32-bit column cannot exist (and would overflow the driver).
    voicemail = g.db.get(Voicemail, voicemail_id)
    case = case_for_agent(g.db, agent, voicemail.case_id) if voicemail is not None else None
    if voicemail is None or case is None:
        abort(404, "no such voicemail")  # the same answer whether or not it exists
    stored = stored_audio(g.db, voicemail.id)
    if stored is None:
        abort(404, "the recording has not been fetched yet")
    response = audio_response(stored, request)
    audit.record(g.db, "voicemail.listen", "voicemail", voicemail.id, agent_id=agent.id)
    g.db.commit()
    return response
