"""Twilio webhooks: signature validation, strict form parsing and idempotent replay.

Every request under `/voice/` and `/sms/` is checked against HOTLINE_PUBLIC_URL + path +
query with Twilio's own `RequestValidator`, never against `Host` or `X-Forwarded-*`,
which a client controls. A delivery Twilio repeats (same CallSid and step, same
MessageSid) gets the stored answer back and changes nothing.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import hmac
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlparse

from flask import Response, abort, g, request
from sqlalchemy import String, Text, delete, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column
from twilio.request_validator import (
    HMAC_SHA1,
    HMAC_SHA256,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    add_port,
    get_signature_algorithm,
    remove_port,
)
from twilio.twiml import TwiML
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.datastructures import MultiDict

from hotline.crypto import decrypt_text, encrypt_text
from hotline.db import Base, utcnow
from hotline.inputs import MAX_ID, first_with_control_characters
from hotline.runtime import app_runtime
from hotline.twiml_xml import to_xml

TWIML = "text/xml; charset=utf-8"


RECEIPT_RETENTION = dt.timedelta(days=7)  # Twilio retries for minutes, not days


class WebhookReceipt(Base):
    """The answer given to one Twilio delivery, replayed if Twilio delivers it again.

    The body is stored encrypted: TwiML can carry a worker's number (a bridged `<Dial>`)
    or words of their messages. Receipts older than a week are pruned by the worker.
    """

    __tablename__ = "webhook_receipts"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    status_code: Mapped[int]
    content_type: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class BadWebhook(Exception):
    """A malformed webhook request: answered 400 with this message."""


def public_url_for_request() -> str:
    """The URL Twilio signed: the configured public base + this path + raw query."""
    base = app_runtime().settings.public_url
    url = base + request.path
    query = request.query_string.decode("latin-1")
    if query:
        url += "?" + query
    return url


def parse_form() -> MultiDict[str, str]:
    """Parse the urlencoded body strictly: invalid UTF-8 or syntax is a clear 400."""
    ctype = request.mimetype
    if ctype != "application/x-www-form-urlencoded":
        raise BadWebhook("expected an application/x-www-form-urlencoded body")
    return form_from_body(request.get_data(cache=True))


def form_from_body(raw: bytes) -> MultiDict[str, str]:
    """A urlencoded body read strictly; BadWebhook when it is not valid UTF-8 form data."""
    try:
        text = raw.decode("ascii")
        pairs = parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadWebhook("the form body is not valid UTF-8 urlencoded data") from exc
    return MultiDict(pairs)


def _lenient_form() -> MultiDict[str, str]:
    """The form as well as it can be read, only to check the signature of a request
    `parse_form` refused (a body that is not a form is signed with no parameters)."""
    if request.mimetype != "application/x-www-form-urlencoded":
        return MultiDict()
    text = request.get_data(cache=True).decode("utf-8", errors="replace")
    return MultiDict(parse_qsl(text, keep_blank_values=True, errors="replace"))


def signature_is_valid(form: MultiDict[str, str]) -> bool:
    settings = app_runtime().settings
    return signature_matches(
        settings.twilio_auth_token,
        public_url_for_request(),
        form,
        request.headers.get("X-Twilio-Signature", ""),
        request.headers.get(SIGNATURE_SETTINGS_HEADER),
    )


def signature_matches(
    token: str | None,
    url: str,
    form: MultiDict[str, str],
    signature: str,
    settings_header: str | None = None,
) -> bool:
    """Whether Twilio signed `url` and `form`, decided as `RequestValidator.validate`
    does (the URL without its port, then with its default port), but computing the
    second HMAC only when the first does not match: validate always computes both."""
    if not signature or not token:
        return False
    # Twilio signs with HMAC-SHA1 unless the settings header names another algorithm.
    algorithm = get_signature_algorithm(settings_header)
    digest = SIGNATURE_DIGESTS.get(algorithm.upper())
    if digest is None:
        # An algorithm the library does not know: validate refuses it and logs why.
        return bool(RequestValidator(token).validate(url, form, signature, algorithm))
    key = token.encode("utf-8")
    signed = signed_parameters(form).encode("utf-8")
    given = signature.encode("utf-8")
    parsed = urlparse(url)
    return any(
        hmac.compare_digest(
            base64.b64encode(hmac.new(key, uri.encode("utf-8") + signed, digest).digest()),
            given,
        )
        for uri in (remove_port(parsed), add_port(parsed))
    )


SIGNATURE_DIGESTS = {HMAC_SHA1: hashlib.sha1, HMAC_SHA256: hashlib.sha256}


def signed_parameters(form: MultiDict[str, str]) -> str:
    """What Twilio's signature covers after the URL, as `RequestValidator.compute_signature`
    builds it: each parameter's name in order, with each of its distinct values in order.
    Built here because the library asks a MultiDict for `getall` first and catches the
    AttributeError, once per parameter: a fifth of the SMS webhook's own CPU."""
    return "".join(
        name + value for name in sorted(form) for value in sorted(set(form.getlist(name)))
    )


# Twilio SIDs are a two-letter type prefix and 32 hex digits; a known parameter must
# carry its own type. Strict shapes also stop a captured request from being resent with
# its parameters' boundaries shifted (Twilio signs key+value concatenations, so
# `MessageSid=SM…NumMedia0` signs the same as `MessageSid=SM…` + `NumMedia=0`).
_SID = re.compile(r"[A-Z]{2}[0-9a-fA-F]{32}")
SID_PREFIXES = {
    "AccountSid": ("AC",),
    "CallSid": ("CA",),
    "ParentCallSid": ("CA",),
    "DialCallSid": ("CA",),
    "MessageSid": ("SM", "MM"),
    "SmsSid": ("SM", "MM"),
    "SmsMessageSid": ("SM", "MM"),
    "RecordingSid": ("RE",),
}


def check_parameters(form: MultiDict[str, str], args: MultiDict[str, str]) -> None:
    """Refuse control characters anywhere and SIDs of the wrong shape, before any view
    stores or looks up a value. Messages name the parameter, never its value."""
    for where, params in (("query", args), ("form", form)):
        name = first_with_control_characters(params.items(multi=True))
        if name is not None:
            raise BadWebhook(f"{where} parameter {name!r} contains a control character")
    for name, value in form.items(multi=True):
        if not name.endswith("Sid") or value == "":
            continue
        prefixes = SID_PREFIXES.get(name)
        if not _SID.fullmatch(value) or (prefixes and value[:2] not in prefixes):
            expected = "/".join(prefixes) if prefixes else "two letters"
            raise BadWebhook(f"{name} must be {expected} followed by 32 hex digits")


def id_arg(name: str) -> int | None:
    """A row id from the query string, None when absent; anything else is a 400."""
    raw = request.args.get(name, "")
    if raw == "":
        return None
    if not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) <= MAX_ID:
        raise BadWebhook(f"query parameter {name} must be a row id")
    return int(raw)


def require(form: MultiDict[str, str], *names: str) -> None:
    missing = [name for name in names if not form.get(name)]
    if missing:
        raise BadWebhook(f"missing required parameter(s): {', '.join(missing)}")


def receipt_key(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def twilio_webhook(
    *, idempotency: Callable[[MultiDict[str, str]], str | None] | None = None
) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """Validate the signature, parse the form into `g.form`, and replay repeats.

    `idempotency(form)` names the delivery (e.g. CallSid + step); a second delivery with
    the same name gets the first answer back and changes nothing.
    """

    def decorate(view: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Response:
            try:
                form = parse_form()
            except BadWebhook as exc:
                # Authenticated first: only a request Twilio signed learns what is wrong.
                if not signature_is_valid(_lenient_form()):
                    abort(403)
                return _bad_request(str(exc))
            if not signature_is_valid(form):
                abort(403)
            try:
                check_parameters(form, request.args)
            except BadWebhook as exc:
                return _bad_request(str(exc))
            g.form = form
            key = idempotency(form) if idempotency else None
            if key is not None:
                key = receipt_key(request.path, key)
            try:
                return _answer_once(view, args, kwargs, key)
            except DBAPIError as exc:
                if not exc.connection_invalidated:
                    raise
            # The pooled connection had gone away (a database restart): nothing was
            # written, so the delivery is handled again on a fresh connection.
            return _answer_once(view, args, kwargs, key)

        return wrapper

    return decorate


def _answer_once(
    view: Callable[..., Response], args: Any, kwargs: Any, key: str | None
) -> Response:
    """Run the view and commit its rows with the receipt of its answer, in one transaction.

    A repeated delivery is not looked up first (most deliveries are new, and a lookup is
    a round trip each): it runs, collides on the receipt's unique key (or an earlier
    unique row, such as the MessageSid) and gets the stored answer instead, with
    everything it did rolled back. A view that never touched the database (a voice
    menu step answered from its signed URL) stores no receipt: it changed nothing, and
    the same request gets the same answer again.
    """
    try:
        response = view(*args, **kwargs)
        if key is not None and response.status_code >= 400:
            replay = _replay_if_seen(g.db, key)
            if replay is not None:
                return replay
        session: Session | None = g.get("db")  # None: the view never needed the database
        if session is not None and session.in_transaction():
            if key is not None and response.status_code < 400:
                session.add(
                    WebhookReceipt(
                        key=key,
                        status_code=response.status_code,
                        content_type=response.content_type or TWIML,
                        body=encrypt_text(_secret(), response.get_data(as_text=True)),
                    )
                )
            session.commit()
    except BadWebhook as exc:
        g.db.rollback()
        return _replay_if_seen(g.db, key) or _bad_request(str(exc))
    except Exception as exc:
        # An earlier or concurrent delivery of the same step got there first (its rows
        # or its receipt collide, or the state it left makes this step fail): answer
        # exactly as it did.
        g.db.rollback()
        previous = _replay_if_seen(g.db, key)
        if previous is not None:
            return previous
        if key is not None and isinstance(exc, IntegrityError):
            # Its rows are there but its receipt was pruned (a replay over a week
            # later): a repeat all the same, answered with TwiML that does nothing.
            return twiml(
                MessagingResponse() if request.path.startswith("/sms/") else VoiceResponse()
            )
        raise
    return response


def _replay_if_seen(session: Session, key: str | None) -> Response | None:
    """The stored answer to an earlier delivery named `key`, if there was one."""
    if key is None:
        return None
    previous = session.scalar(select(WebhookReceipt).where(WebhookReceipt.key == key))
    if previous is None:
        return None
    session.rollback()
    return _replay(previous)


def _secret() -> str:
    return str(app_runtime().settings.secret_key)


def _replay(receipt: WebhookReceipt) -> Response:
    body = decrypt_text(_secret(), receipt.body)
    return Response(body, receipt.status_code, content_type=receipt.content_type)


def prune_receipts(session: Session, now: dt.datetime | None = None) -> int:
    """Forget answers to deliveries too old for Twilio to repeat."""
    cutoff = (now or utcnow()) - RECEIPT_RETENTION
    result = session.execute(delete(WebhookReceipt).where(WebhookReceipt.created_at < cutoff))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _bad_request(message: str) -> Response:
    return Response(message + "\n", 400, content_type="text/plain; charset=utf-8")


def twiml(document: TwiML | str) -> Response:
    """A TwiML response from a `twilio.twiml` document object (or its text)."""
    body = to_xml(document) if isinstance(document, TwiML) else document
    return Response(body, 200, content_type=TWIML)


def empty_ok() -> Response:
    return Response("", 200, content_type="text/plain")
