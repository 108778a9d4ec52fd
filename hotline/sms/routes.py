"""SMS webhooks configured on the Twilio number."""

from __future__ import annotations

from flask import Blueprint, Response, g, request
from sqlalchemy import select

from hotline.sms.models import SmsMessage, advance_status
from hotline.webhooks import empty_ok, require, twilio_webhook

bp = Blueprint("sms", __name__, url_prefix="/sms")


@bp.post("/status")
@twilio_webhook(idempotency=lambda form: f"{form.get('MessageSid')}:{form.get('MessageStatus')}")
def status() -> Response:
    """Delivery status of an outbound SMS. Unknown MessageSids get 200 too."""
    form = g.form
    require(form, "MessageSid", "MessageStatus")
    message = g.db.scalar(select(SmsMessage).where(SmsMessage.sid == form["MessageSid"]))
    record_id = request.args.get("m", "")
    if message is None and record_id.isdigit():
        # The callback can beat the sending job to storing the sid.
        candidate = g.db.get(SmsMessage, int(record_id))
        if candidate is not None and candidate.sid is None and candidate.direction == "out":
            candidate.sid = form["MessageSid"]
            message = candidate
    if message is not None and advance_status(message, form["MessageStatus"]):
        code = form.get("ErrorCode", "")
        if code.isdigit():
            message.error_code = int(code)
    return empty_ok()
