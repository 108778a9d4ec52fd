"""What every page of the agent web app shares: the blueprint, the request set-up
(signed-in agent, CSRF, no caching), sign-in, flashed messages and case access. The pages
are in `views.py` and the `*_views` modules; `blueprint.py` puts them together."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from hotline.agents import cases as case_service
from hotline.agents import presence
from hotline.languages import LANGUAGES
from hotline.runtime import Runtime, app_runtime
from hotline.web import i18n, security

bp = Blueprint(
    "web",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/web",
)


def runtime() -> Runtime:
    rt = app_runtime()
    return rt


# --- Request set-up -----------------------------------------------------------------


@bp.before_request
def _load_agent_and_check_csrf() -> None:
    if request.endpoint == "web.static":
        return
    g.agent = security.current_agent(g.db)
    security.check_csrf()
    if (
        g.agent is not None
        and not is_poll_without_activity()
        and presence.note_activity(g.db, runtime().settings, g.agent)
    ):
        g.db.commit()


@bp.after_request
def _no_store(response: Any) -> Any:
    # Pages carry personal data: never keep them in a shared cache or the back button.
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; media-src 'self'; "
        "style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'",
    )
    return response


@bp.context_processor
def _template_helpers() -> dict[str, Any]:
    agent = g.get("agent")
    ui = i18n.ui_language(agent, request.accept_languages.best_match(i18n.UI_LANGUAGES))
    return {
        "t": functools.partial(i18n.translate, ui),
        "ui_language": ui,
        "csrf_token": security.csrf_token,
        "agent": agent,
        "language_name": language_name,
        "jst": i18n.jst,
        "waited": functools.partial(i18n.waited, ui),
        "UI_LANGUAGES": i18n.UI_LANGUAGES,
    }


@bp.errorhandler(HTTPException)
def _error_page(exc: HTTPException) -> ResponseReturnValue:
    code = exc.code or 500
    return render_template("web/error.html", code=code, message=exc.description), code


def language_name(code: str | None) -> str:
    if code is None:
        return "?"
    lang = LANGUAGES.get(code)
    return f"{lang.native_name} ({code})" if lang else code


def sign_in_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Send signed-out browsers to the sign-in page, remembering where they were going."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if g.agent is None:
            return redirect(url_for("web.sign_in", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapper


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect."""
    if not target:
        return url_for("web.inbox_page")
    if (
        request.script_root
        and target.startswith("/")
        and not target.startswith(("//", request.script_root + "/"))
    ):
        target = request.script_root + target  # a path of this app, mounted (training)
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target  # browsers read /\host as //host
    ):
        return url_for("web.inbox_page")
    return target


def _say(key: str, category: str = "info", **values: Any) -> None:
    flash(i18n.translate(i18n.ui_language(g.agent), key, **values), category)


def is_poll_without_activity() -> bool:
    """The page's background poll, with no click or key since the previous one."""
    return request.endpoint == "web.live_waiting" and request.args.get("active") != "1"


def _visible_case(case_id: int) -> Any:
    case = case_service.case_for_agent(g.db, g.agent, case_id)
    if case is None:
        abort(404, description="no such case")
    return case
