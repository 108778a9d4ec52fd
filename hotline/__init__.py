"""Hotline: a multilingual voice (IVR) and SMS hotline for migrant workers in Japan."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Request, Response, abort, g, has_request_context, jsonify, request
from flask.ctx import _AppCtxGlobals
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, Rule

from hotline.config import Settings, load_settings
from hotline.handlers import register_handlers
from hotline.inputs import MAX_ID, first_with_control_characters
from hotline.jobs import REGISTRY
from hotline.logs import configure_logging
from hotline.runtime import EXTENSION, PENDING_PUSH_KEY, Runtime, app_runtime, set_current

__all__ = ["create_app"]

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None) -> Flask:
    """Build the web application: webhooks, the agent API and UI, and health checks."""
    configure_logging()
    if runtime is None:
        runtime = Runtime(settings or load_settings())
        set_current(runtime)
    settings = runtime.settings
    _check_data_keys(runtime)
    register_handlers(REGISTRY)

    app = Flask(__name__, instance_path=str(settings.instance_path))
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_request_bytes,
        MAX_FORM_MEMORY_SIZE=settings.max_request_bytes,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.public_url.startswith("https://"),
        JSON_SORT_KEYS=False,
    )
    app.extensions[EXTENSION] = runtime
    if settings.trusted_proxies:
        # The client's address (sign-in limits, logs) from X-Forwarded-For, as set by
        # this many proxies of ours; never from a header a client could have written.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies)  # type: ignore[method-assign]
    app.url_map.converters["int"] = DatabaseId
    app.url_rule_class = LazyBuilderRule

    _register_request_session(app, runtime)
    _register_security_headers(app, https=settings.public_url.startswith("https://"))
    _register_error_handlers(app)
    _register_blueprints(app)
    if runtime.training_space is None:
        from hotline.fast_path import FastWebhooks, Route
        from hotline.sms.routes import INCOMING, store_text
        from hotline.training.mount import install
        from hotline.voice import first_step, menu_steps

        install(app, runtime, create_app)  # /training/<trainee>/: the trainees' spaces
        https = settings.public_url.startswith("https://")
        headers = security_headers("/", https=https)
        routes = {
            INCOMING: Route(store_text, INCOMING),
            first_step.PATH: Route(first_step.answer, first_step.PATH),
            menu_steps.NODE_PREFIX: Route(menu_steps.node, "/voice/node/<name>", query=True),
            menu_steps.LANGUAGE: Route(menu_steps.language, menu_steps.LANGUAGE, query=True),
        }
        app.wsgi_app = FastWebhooks(app.wsgi_app, runtime, headers, routes)  # type: ignore[method-assign]
    return app


def _check_data_keys(runtime: Runtime) -> None:
    """A missing or wrong data key stops start-up (DataKeyError) rather than failing on
    the first read. An unreachable database is left to the health check and to requests,
    which answer 503 until it is back."""
    from hotline.encryption.rotation import verify_data_keys
    from hotline.unreachable import UNREACHABLE_ERRORS

    try:
        verify_data_keys(runtime.db)
    except UNREACHABLE_ERRORS:
        log.warning("database unreachable at start-up: data keys not checked yet")


class LazyBuilderRule(Rule):
    """A URL rule whose builders (what `url_for` runs) are compiled on first use.

    Werkzeug compiles two Python functions per rule when the rule is added; for the app's
    ~100 rules that is 95% of building an app (20 ms), paid by every app a test, a
    training space or a process makes, while a process builds URLs for a handful of
    rules. Matching requests does not use the builders and is unchanged."""

    def _compile_builder(self, append_unknown: bool = True) -> Any:
        compiled: Any = None
        compile_now = super()._compile_builder

        def build(rule: Rule, *args: Any, **kwargs: Any) -> tuple[str, str]:
            nonlocal compiled
            if compiled is None:
                compiled = compile_now(append_unknown).__get__(rule, None)
            return compiled(*args, **kwargs)

        return build


class DatabaseId(IntegerConverter):
    """`<int:...>` in every route: an id no database row can have is a 404, not an
    OverflowError deep in the driver."""

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


class RequestGlobals(_AppCtxGlobals):
    """`g` with the request's database session (`g.db`) made on first use: a webhook
    that needs none (the SMS intake's own autocommitted insert on PostgreSQL, a menu
    step answered from its signed URL) neither makes nor closes one. The session is
    closed when the request ends (`_close_session`)."""

    def __getattr__(self, name: str) -> Any:
        if name == "db" and has_request_context():
            session = app_runtime().db.sessionmaker()
            self.db = session
            return session
        return super().__getattr__(name)


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the signing serializer built only when there
    is a cookie to read: Twilio's webhooks never send one, and building it was a tenth of
    a webhook's time in Flask."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)


def _register_request_session(app: Flask, runtime: Runtime) -> None:
    app.app_ctx_globals_class = RequestGlobals
    app.session_interface = CookieSessions()

    @app.before_request
    def _open_session() -> None:
        length = request.content_length
        if length is not None and length > runtime.settings.max_request_bytes:
            from werkzeug.exceptions import RequestEntityTooLarge

            raise RequestEntityTooLarge()
        _refuse_control_characters()

    @app.after_request
    def _push_jobs_after_response(response: Response) -> Response:
        session = g.get("db")
        if session is not None and session.info.get(PENDING_PUSH_KEY):
            if runtime.db.is_sqlite or runtime.runs_jobs_inline:
                # Runs once the response has been sent: webhooks never wait on Redis.
                response.call_on_close(lambda: runtime.push_pending(session))
            else:
                # The commit notified the worker's relay (migration 0002), which pushes.
                session.info.pop(PENDING_PUSH_KEY)
        return response

    @app.teardown_request
    def _close_session(_exc: BaseException | None) -> None:
        session = g.pop("db", None)
        if session is not None:
            session.close()


WEBHOOK_PREFIXES = ("/voice/", "/sms/")


def _refuse_control_characters() -> None:
    """A query or form with control characters is a 400 before any view reads it.

    Webhooks are checked by `twilio_webhook` instead, after their signature: only a
    request Twilio signed learns what is wrong with it.
    """
    if request.path.startswith(WEBHOOK_PREFIXES):
        return
    for where, params in (("query", request.args), ("form", request.form)):
        name = first_with_control_characters(params.items(multi=True))
        if name is not None:
            abort(400, description=f"{where} field {name!r} contains a control character")


PUBLIC_CACHEABLE_PREFIXES = ("/audio/",)  # recorded prompts Twilio fetches for <Play>
HSTS = "max-age=31536000"


def _register_security_headers(app: Flask, *, https: bool) -> None:
    """API answers, TwiML and pages carry case data: no cache keeps them, and no browser
    guesses their type. Behind an https public URL, browsers are told to stay on https."""

    @app.after_request
    def _security_headers(response: Response) -> Response:
        for name, value in security_headers(request.path, https=https):
            response.headers.setdefault(name, value)
        return response


def security_headers(path: str, *, https: bool) -> list[tuple[str, str]]:
    """The headers every answer carries unless its view set them itself."""
    headers = [("X-Content-Type-Options", "nosniff")]
    if not path.startswith(PUBLIC_CACHEABLE_PREFIXES):
        headers.append(("Cache-Control", "no-store"))
    if https:
        headers.append(("Strict-Transport-Security", HSTS))
    return headers


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Any:
        code = exc.code or 500
        message = exc.description or exc.name
        if request.path.startswith("/api/"):
            return jsonify({"error": exc.name.lower().replace(" ", "_"), "message": message}), code
        return Response(f"{exc.name}: {message}\n", code, content_type="text/plain; charset=utf-8")


def _register_blueprints(app: Flask) -> None:
    from hotline import fallback, health, metrics
    from hotline.agents import live as agents_live
    from hotline.api.blueprint import bp as api_bp
    from hotline.callbacks import routes as callback_routes
    from hotline.sms import routes as sms_routes
    from hotline.voice import routes as voice_routes
    from hotline.web.blueprint import bp as web_bp

    app.register_blueprint(health.bp)
    metrics.init_app(app)
    app.register_blueprint(fallback.voice_bp)
    app.register_blueprint(fallback.sms_bp)
    app.register_blueprint(voice_routes.bp)
    app.register_blueprint(voice_routes.audio_bp)
    app.register_blueprint(sms_routes.bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(callback_routes.bp)
    app.register_blueprint(agents_live.bp)
    app.register_blueprint(web_bp)
