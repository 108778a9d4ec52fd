"""SMS webhooks configured on the Twilio number.

`/sms/incoming` stores the delivery (hotline.sms.intake) and answers an empty
`<Response/>` at once; the worker's processor (hotline.sms.processor) turns it into a
message, a case and replies, which go out through the REST API like every other SMS.
It never calls Google, Twilio's REST API or Redis.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Response, g
from sqlalchemy import select
from twilio.twiml.messaging_response import MessagingResponse
from werkzeug.datastructures import MultiDict

from hotline.crypto import InvalidPhoneNumber
from hotline.inputs import whole_number
from hotline.runtime import Runtime, app_runtime
from hotline.sms import intake, optout
from hotline.sms.inbound import MAX_MEDIA
from hotline.sms.models import SmsMessage, advance_status
from hotline.telephony import OPTED_OUT_CODE
from hotline.twiml_xml import to_xml
from hotline.webhooks import (
    BadWebhook,
    empty_ok,
    id_arg,
    require,
    twilio_webhook,
    twiml,
)

bp = Blueprint("sms", __name__, url_prefix="/sms")
EMPTY = to_xml(MessagingResponse())
INCOMING = "/sms/incoming"


@bp.post("/incoming")
@twilio_webhook()
def incoming() -> Response:
    """A worker's text: stored once (a repeated MessageSid changes nothing), answered
    with an empty TwiML document, and acted on by the worker."""
    delivery = _delivery(g.form)
    runtime = app_runtime()
    try:
        intake.store(runtime.db, runtime.settings.secret_key, delivery)
    except InvalidPhoneNumber as exc:
        raise BadWebhook("From is not a phone number the hotline can answer") from exc
    return twiml(EMPTY)


def _delivery(form: MultiDict[str, str]) -> intake.Delivery:
    require(form, "MessageSid", "From")
    return intake.Delivery(
        sid=form["MessageSid"],
        sender=form["From"],
        body=form.get("Body", ""),
        media=_media(form),
    )


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
                optout.carrier_refused(g.db, message.caller_id)
    return empty_ok()


def store_text(
    runtime: Runtime, path: str, form: MultiDict[str, str], args: MultiDict[str, str]
) -> str:
    """`/sms/incoming` without Flask (hotline.fast_path): the view's own steps."""
    intake.store(runtime.db, runtime.settings.secret_key, _delivery(form))
    return EMPTY
