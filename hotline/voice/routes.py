"""Voice webhooks configured on the Twilio number."""

from __future__ import annotations

from flask import Blueprint, Response, g
from sqlalchemy import select

from hotline.db import utcnow
from hotline.voice.models import Call
from hotline.webhooks import empty_ok, require, twilio_webhook

bp = Blueprint("voice", __name__, url_prefix="/voice")

FINAL_CALL_STATUSES = ("completed", "busy", "failed", "no-answer", "canceled")


@bp.post("/status")
@twilio_webhook(idempotency=lambda form: f"{form.get('CallSid')}:{form.get('CallStatus')}")
def status() -> Response:
    """Record how a call ended. Unknown CallSids still get 200 so Twilio stops retrying."""
    form = g.form
    require(form, "CallSid", "CallStatus")
    call = g.db.scalar(select(Call).where(Call.sid == form["CallSid"]))
    if call is not None and call.ended_at is None:
        call.status = form["CallStatus"]
        if form["CallStatus"] in FINAL_CALL_STATUSES:
            call.ended_at = utcnow()
            duration = form.get("CallDuration", "")
            call.duration_seconds = int(duration) if duration.isdigit() else None
    return empty_ok()
