"""The busiest webhooks answered without Flask when nothing about a request is unusual.

`/sms/incoming` (store the text), `/voice/incoming` (a call's first step) and the menu
steps that move without the database (`/voice/node/<name>`, `/voice/language`) are at
most two statements each, and Flask's machinery around them (request context, routing,
the app's request hooks, the response object) cost as much CPU as all the rest. An
ordinary delivery (a urlencoded body of a stated length, no query unless the route
takes one and then no repeated or undecodable parameter, validly signed with the
default algorithm, strictly parsed) is handed to the route's answer here, which does
the view's own work and returns the TwiML Flask would send, or None. Anything else —
an unusual request, an answer of None, any error — goes to the Flask view, which
answers as it always has: the body read here is handed on. Both are timed in the same
histogram, under the route's rule.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from sqlalchemy.exc import DBAPIError
from werkzeug.datastructures import MultiDict

from hotline.metrics import webhook_timer
from hotline.runtime import Runtime
from hotline.webhooks import TWIML, check_parameters, form_from_body, signature_matches

log = logging.getLogger(__name__)

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
# The route's own work on a checked request (its path, form and query): the TwiML to
# answer, or None for the view.
Answer = Callable[[Runtime, str, MultiDict[str, str], MultiDict[str, str]], str | None]
NO_QUERY: MultiDict[str, str] = MultiDict()


@dataclass(frozen=True)
class Route:
    answer: Answer
    rule: str  # the Flask rule, the histogram's label (never a caller's values)
    query: bool = False  # whether its URLs carry a query (a step's signed state)


# Anything that makes a request unusual sends it to the Flask view.
UNUSUAL_HEADERS = ("HTTP_TRANSFER_ENCODING", "HTTP_X_TWILIO_WEBHOOKS_SIGNATURE_SETTINGS")


class FastWebhooks:
    """A WSGI middleware in front of the Flask app for the routes in `routes`."""

    def __init__(
        self,
        wsgi_app: WsgiApp,
        runtime: Runtime,
        headers: list[tuple[str, str]],
        routes: Mapping[str, Route],
    ) -> None:
        """`routes` by path; a path ending in `/` takes every path one segment below."""
        self.wsgi_app = wsgi_app
        self.runtime = runtime
        self.headers = headers
        self.routes = {p: r for p, r in routes.items() if not p.endswith("/")}
        self.prefixed = {p: r for p, r in routes.items() if p.endswith("/")}

    def _route(self, path: str) -> Route | None:
        route = self.routes.get(path)
        if route is None and "/" in path[1:]:
            prefix, _, last = path.rpartition("/")
            route = self.prefixed.get(prefix + "/") if last else None
        return route

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        started = time.perf_counter()
        path = environ.get("PATH_INFO", "")
        route = self._route(path)
        length = self._plain_length(environ, route) if route is not None else None
        if route is None or length is None:
            return self.wsgi_app(environ, start_response)
        body = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(body)
        text = self._answered(path, route, environ, body) if len(body) == length else None
        if text is None:
            return self.wsgi_app(environ, start_response)
        data = text.encode("utf-8")
        headers = [("Content-Type", TWIML), ("Content-Length", str(len(data))), *self.headers]
        start_response("200 OK", headers)
        webhook_timer(route.rule).observe(time.perf_counter() - started)
        return [data]

    def _plain_length(self, environ: dict[str, Any], route: Route) -> int | None:
        """The body's length if the request may take this path, else None."""
        raw = environ.get("CONTENT_LENGTH", "")
        if (
            environ.get("REQUEST_METHOD") != "POST"
            or environ.get("SCRIPT_NAME")
            or (environ.get("QUERY_STRING") and not route.query)
            or environ.get("CONTENT_TYPE") != "application/x-www-form-urlencoded"
            or any(name in environ for name in UNUSUAL_HEADERS)
            or not (raw.isascii() and raw.isdigit())
        ):
            return None
        length = int(raw)
        return length if 0 < length <= self.runtime.settings.max_request_bytes else None

    def _answered(
        self, path: str, route: Route, environ: dict[str, Any], body: bytes
    ) -> str | None:
        settings = self.runtime.settings
        try:
            form = form_from_body(body)
            query = environ.get("QUERY_STRING", "")
            args = _strict_query(query) if query else NO_QUERY
            if args is None:
                return None
            signature = environ.get("HTTP_X_TWILIO_SIGNATURE", "")
            url = settings.public_url + path + (f"?{query}" if query else "")
            if not signature_matches(settings.twilio_auth_token, url, form, signature):
                return None
            check_parameters(form, args)
            try:
                return route.answer(self.runtime, path, form, args)
            except DBAPIError as exc:
                if not exc.connection_invalidated:
                    raise
            # The pooled connection had gone away (a database restart): nothing was
            # written, so the delivery is handled again on a fresh connection.
            return route.answer(self.runtime, path, form, args)
        except Exception as exc:
            # The view answers instead, exactly as it would have (its 400, 403 or 500;
            # what was written here is found by the view as a repeated delivery's).
            # The error's type only: its text may quote what the worker sent.
            log.debug("%s: answered by the view after %s", path, type(exc).__name__)
            return None


def _strict_query(query: str) -> MultiDict[str, str] | None:
    """The query as the view reads it, or None when the view should read it: anything
    but ASCII, a parameter given twice, or text that does not decode."""
    if not query.isascii():
        return None
    try:
        pairs = parse_qsl(query, keep_blank_values=True, encoding="utf-8", errors="strict")
    except (UnicodeDecodeError, ValueError):
        return None
    args = MultiDict(pairs)
    return args if len(args) == len(pairs) else None
