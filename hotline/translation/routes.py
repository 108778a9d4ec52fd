"""Agents listening to voicemails: the audio the worker fetched, served to agents only.

Never a public URL: the recording is read from the instance folder behind a Bearer
token, only for agents who may see the case, and every listen is audited.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, g, send_file
from flask.typing import ResponseReturnValue

from hotline import audit
from hotline.agents.auth import api_auth_required
from hotline.cases.models import Case
from hotline.voice.models import Voicemail

bp = Blueprint("translation", __name__, url_prefix="/api")


@bp.get("/voicemails/<int:voicemail_id>/audio")
@api_auth_required
def voicemail_audio(voicemail_id: int) -> ResponseReturnValue:
    """The voicemail's recording (WAV), for agents who may see its case."""
    agent = g.agent
    voicemail = g.db.get(Voicemail, voicemail_id)
    case = g.db.get(Case, voicemail.case_id) if voicemail is not None else None
    if voicemail is None or case is None:
        abort(404, "no such voicemail")
    if not (agent.speaks(case.language) or case.assigned_agent_id == agent.id):
        abort(404, "no such voicemail")  # do not confirm that it exists
    runtime = current_app.extensions["hotline"]
    path = runtime.settings.instance_path / voicemail.audio_path if voicemail.audio_path else None
    if path is None or not path.is_file():
        abort(404, "the recording has not been fetched yet")
    audit.record(g.db, "voicemail.listen", "voicemail", voicemail.id, agent_id=agent.id)
    g.db.commit()
    response = send_file(path, mimetype="audio/wav", conditional=False, max_age=0)
    response.headers["Cache-Control"] = "no-store, private"
    return response
