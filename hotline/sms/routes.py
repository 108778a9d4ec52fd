"""SMS webhooks configured on the Twilio number.

`/sms/incoming` stores the delivery (hotline.sms.intake) and answers an empty
`<Response/>` at once; the worker's processor (hotline.sms.processor) turns it into a
message, a case and replies, which go out through the REST API like every other SMS.
It never calls Google, Twilio's REST API or Redis.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, g
from sqlalchemy import select
from twilio.twiml.messaging_response import MessagingResponse
from werkzeug.datastructures import MultiDict

from hotline.crypto import InvalidPhoneNumber
from hotline.inputs import whole_number
from hotline.metrics import webhook_timer
from hotline.runtime import Runtime, app_runtime
from hotline.sms import intake, optout
from hotline.sms.inbound import MAX_MEDIA
from hotline.sms.models import SmsMessage, advance_status
from hotline.telephony import OPTED_OUT_CODE
from hotline.twiml_xml import to_xml
from hotline.webhooks import (
    TWIML,
    BadWebhook,
    check_parameters,
    empty_ok,
    form_from_body,
    id_arg,
    require,
    signature_matches,
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


WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
NO_QUERY: MultiDict[str, str] = MultiDict()
# Anything that makes a request unusual sends it to the Flask view (see IncomingTexts).
UNUSUAL_HEADERS = ("HTTP_TRANSFER_ENCODING", "HTTP_X_TWILIO_WEBHOOKS_SIGNATURE_SETTINGS")


class IncomingTexts:
    """`POST /sms/incoming` answered without Flask when nothing about it is unusual.

    Storing a text is one INSERT, and Flask's machinery around it (request context,
    routing, the app's request hooks, the response object) cost as much CPU as all the
    rest. An ordinary delivery (a urlencoded body of a stated length, no query, validly
    signed with the default algorithm, strictly parsed, from a sender the hotline can
    answer) is stored here by the view's own steps and answered with the bytes Flask
    would send, and timed in the same histogram. Anything else, and any error, goes to
    the Flask view, which answers as it always has: the body read here is handed on.
    """

    def __init__(self, wsgi_app: WsgiApp, runtime: Runtime, headers: list[tuple[str, str]]):
        self.wsgi_app = wsgi_app
        self.runtime = runtime
        self.body = EMPTY.encode("utf-8")
        self.headers = [("Content-Type", TWIML), ("Content-Length", str(len(self.body)))]
        self.headers += headers

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        started = time.perf_counter()
        length = self._plain_length(environ)
        if length is None:
            return self.wsgi_app(environ, start_response)
        body = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(body)
        if len(body) != length or not self._stored(environ, body):
            return self.wsgi_app(environ, start_response)
        start_response("200 OK", list(self.headers))
        webhook_timer(INCOMING).observe(time.perf_counter() - started)
        return [self.body]

    def _plain_length(self, environ: dict[str, Any]) -> int | None:
        """The body's length if the request may take this path, else None."""
        raw = environ.get("CONTENT_LENGTH", "")
        if (
            environ.get("PATH_INFO") != INCOMING
            or environ.get("REQUEST_METHOD") != "POST"
            or environ.get("SCRIPT_NAME")
            or environ.get("QUERY_STRING")
            or environ.get("CONTENT_TYPE") != "application/x-www-form-urlencoded"
            or any(name in environ for name in UNUSUAL_HEADERS)
            or not (raw.isascii() and raw.isdigit())
        ):
            return None
        length = int(raw)
        return length if 0 < length <= self.runtime.settings.max_request_bytes else None

    def _stored(self, environ: dict[str, Any], body: bytes) -> bool:
        settings = self.runtime.settings
        try:
            form = form_from_body(body)
            signature = environ.get("HTTP_X_TWILIO_SIGNATURE", "")
            url = settings.public_url + INCOMING
            if not signature_matches(settings.twilio_auth_token, url, form, signature):
                return False
            check_parameters(form, NO_QUERY)
            intake.store(self.runtime.db, settings.secret_key, _delivery(form))
        except Exception:
            # The view answers instead, exactly as it would have (its 400, 403 or 500;
            # a second attempt at the same insert changes nothing).
            return False
        return True
