"""SMS webhooks configured on the Twilio number.

`/sms/incoming` answers at once with TwiML: a `<Message>` for each automatic reply (one;
two for `INFO <n>`), each recorded first as an outbound SmsMessage through `queue_sms`
with a status callback keyed to that record, else an empty `<Response/>`. It never calls
Google, Twilio's REST API or Redis; translation and everything slow is a deferred job.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Response, g
from sqlalchemy import select
from twilio.twiml.messaging_response import MessagingResponse
from werkzeug.datastructures import MultiDict

from hotline.callers.models import Caller
from hotline.crypto import InvalidPhoneNumber
from hotline.db import utcnow
from hotline.inputs import whole_number
from hotline.runtime import app_runtime
from hotline.sms.inbound import MAX_MEDIA, Inbound, receive
from hotline.sms.jobs import status_callback_url
from hotline.sms.models import OptOutEvent, SmsMessage, advance_status
from hotline.telephony import OPTED_OUT_CODE
from hotline.webhooks import BadWebhook, empty_ok, id_arg, require, twilio_webhook, twiml

bp = Blueprint("sms", __name__, url_prefix="/sms")


@bp.post("/incoming")
@twilio_webhook(idempotency=lambda form: form.get("MessageSid"))
def incoming() -> Response:
    """A worker's text: stored, acted on, and answered at once (or not at all)."""
    form = g.form
    require(form, "MessageSid", "From")
    inbound = Inbound(
        sid=form["MessageSid"],
        sender=form["From"],
        body=form.get("Body", ""),
        media=_media(form),
    )
    runtime = app_runtime()
    try:
        outcome = receive(g.db, runtime.settings, inbound)
    except InvalidPhoneNumber as exc:
        raise BadWebhook("From is not a phone number the hotline can answer") from exc
    answer = MessagingResponse()
    for reply in outcome.replies:
        answer.message(
            reply.body,
            action=status_callback_url(runtime.settings.public_url, reply.id),
            method="POST",
        )
    return twiml(answer)


def _media(form: MultiDict[str, str]) -> list[dict[str, str]]:
    """References to the pictures or files sent with a text (never fetched here)."""
    count = whole_number(form.get("NumMedia", "0") or "0")
    if count is None:
        raise BadWebhook("NumMedia must be a whole number")
    media = []
    for i in range(min(count, MAX_MEDIA)):
        url = form.get(f"MediaUrl{i}", "")
        if urlsplit(url).scheme not in ("http", "https"):
            raise BadWebhook(f"MediaUrl{i} must be an http(s) URL")
        media.append({"url": url, "content_type": form.get(f"MediaContentType{i}", "")})
    return media


@bp.post("/status")
@twilio_webhook(idempotency=lambda form: f"{form.get('MessageSid')}:{form.get('MessageStatus')}")
def status() -> Response:
    """Delivery status of an outbound SMS. Unknown MessageSids get 200 too."""
    form = g.form
    require(form, "MessageSid", "MessageStatus")
    message = g.db.scalar(select(SmsMessage).where(SmsMessage.sid == form["MessageSid"]))
    record_id = id_arg("m")
    if message is None and record_id is not None:
        # The callback can beat the sending job to storing the sid.
        candidate = g.db.get(SmsMessage, record_id)
        if candidate is not None and candidate.sid is None and candidate.direction == "out":
            candidate.sid = form["MessageSid"]
            message = candidate
    if message is not None and advance_status(message, form["MessageStatus"]):
        code = whole_number(form.get("ErrorCode", ""))
        if code is not None:
            message.error_code = code
            if code == OPTED_OUT_CODE:
                _opted_out_by_carrier(message)
    return empty_ok()


def _opted_out_by_carrier(message: SmsMessage) -> None:
    """Twilio refused a message because the number sent STOP to the carrier: the ledger
    must say so too, or every later send would be refused the same way."""
    caller = g.db.get(Caller, message.caller_id)
    if caller is not None and caller.sms_opted_out_at is None:
        caller.sms_opted_out_at = utcnow()
        g.db.add(OptOutEvent(caller_id=caller.id, action="stop", source="twilio-21610"))
