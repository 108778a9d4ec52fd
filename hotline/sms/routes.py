"""SMS webhooks configured on the Twilio number."""

from __future__ import annotations

from flask import Blueprint, Response, g
from sqlalchemy import select

from hotline.sms.models import SMS_STATUS_ORDER, SmsMessage
from hotline.webhooks import empty_ok, require, twilio_webhook

bp = Blueprint("sms", __name__, url_prefix="/sms")


def advance_status(message: SmsMessage, new_status: str) -> bool:
    """Move a message's delivery status forward only; late or repeated callbacks are no-ops."""
    order = {name: i for i, name in enumerate(SMS_STATUS_ORDER)}
    if new_status not in order:
        return False
    if order[new_status] <= order.get(message.status, -1):
        return False
    message.status = new_status
    return True


@bp.post("/status")
@twilio_webhook(idempotency=lambda form: f"{form.get('MessageSid')}:{form.get('MessageStatus')}")
def status() -> Response:
    """Delivery status of an outbound SMS. Unknown MessageSids get 200 too."""
    form = g.form
    require(form, "MessageSid", "MessageStatus")
    message = g.db.scalar(select(SmsMessage).where(SmsMessage.sid == form["MessageSid"]))
    if message is not None and advance_status(message, form["MessageStatus"]):
        code = form.get("ErrorCode", "")
        if code.isdigit():
            message.error_code = int(code)
    return empty_ok()
