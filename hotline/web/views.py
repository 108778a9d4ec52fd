"""The agent web app's pages: sign-in, queue, case, replies, calls and the dashboard.

Every page works through the same service functions as the agent JSON API (queue and
claims from `hotline.callbacks`, case access and reads from `hotline.agents.cases`,
replies from `hotline.agents.replies`, availability from `hotline.agents.live`), so
the browser and the API obey one set of rules. Each POST carries a CSRF token.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from hotline.agents import cases as case_service
from hotline.agents import presence
from hotline.agents import replies as reply_service
from hotline.audit import record
from hotline.callbacks import queue as callback_queue
from hotline.callbacks import service as callback_service
from hotline.callbacks.models import OUTCOMES
from hotline.db import utcnow
from hotline.languages import LANGUAGES
from hotline.runtime import Runtime
from hotline.telephony import calls_are_local
from hotline.translation.audio import audio_response, stored_audio, stored_audio_ids
from hotline.voice.models import Voicemail
from hotline.web import charts, i18n, security, stats

bp = Blueprint(
    "web",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/web",
)

# Published list price of Cloud Translation (NMT), US$ per million characters; an
# estimate for supervisors, labelled as such on the page.
TRANSLATION_USD_PER_MILLION_CHARS = 20.0
MAX_REPLY_CHARS = reply_service.MAX_REPLY


def runtime() -> Runtime:
    rt: Runtime = current_app.extensions["hotline"]
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
        and not floor.is_poll_without_activity()
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


# --- Sign-in ------------------------------------------------------------------------


@bp.get("/")
def index() -> ResponseReturnValue:
    return redirect(url_for("web.inbox_page" if g.agent else "web.sign_in"))


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> ResponseReturnValue:
    if request.method == "GET":
        if g.agent is not None:
            return redirect(_safe_next(request.args.get("next")))
        return render_template("web/sign_in.html", next=request.args.get("next", ""))
    name = request.form.get("name", "")
    password = request.form.get("password", "")
    settings = runtime().settings
    keys = security.sign_in_keys(settings.secret_key, name, request.remote_addr)
    wait = security.retry_after(g.db, keys)
    if wait:
        record(g.db, "web.sign_in_limited", "agent", None)
        g.db.commit()
        page = render_template(
            "web/sign_in.html", next=request.form.get("next", ""), error="sign_in.limited"
        )
        return page, 429, {"Retry-After": str(math.ceil(wait.total_seconds()))}
    agent = security.authenticate(g.db, name, password) if name and password else None
    if agent is None:
        security.note_failure(g.db, keys)
        record(g.db, "web.sign_in_failed", "agent", None)
        g.db.commit()
        return render_template(
            "web/sign_in.html", next=request.form.get("next", ""), error="sign_in.failed"
        ), 401
    security.start_session(g.db, agent)
    record(g.db, "web.sign_in", "agent", agent.id, agent_id=agent.id)
    g.db.commit()
    return redirect(_safe_next(request.form.get("next")))


@bp.post("/sign-out")
def sign_out() -> ResponseReturnValue:
    if g.agent is not None:
        record(g.db, "web.sign_out", "agent", g.agent.id, agent_id=g.agent.id)
        presence.signed_out(g.db, g.agent)
    security.end_session(g.db)
    g.db.commit()
    return redirect(url_for("web.sign_in"))


@bp.post("/preferences/language")
@sign_in_required
def set_ui_language() -> ResponseReturnValue:
    choice = request.form.get("ui_language", "")
    if choice not in i18n.UI_LANGUAGES:
        abort(400, description="unknown interface language")
    g.agent.ui_language = choice
    g.db.commit()
    return redirect(_safe_next(request.form.get("next")))


# --- Queue --------------------------------------------------------------------------


@bp.get("/queue")
@sign_in_required
def queue() -> ResponseReturnValue:
    settings = runtime().settings
    agent = g.agent
    now = utcnow()
    waiting = callback_queue.list_queue(g.db, agent, quiet_hours=settings.quiet_hours, now=now)
    held = callback_queue.held_claim(g.db, agent, now)
    g.db.commit()  # list_queue may have released expired leases
    held_json = case_service.callbacks_json(g.db, settings.secret_key, [held]) if held else []
    lease_left = (
        max(0, int((held.lease_expires_at - now).total_seconds()))
        if held is not None and held.lease_expires_at is not None
        else None
    )
    return render_template(
        "web/queue.html",
        languages=list(agent.languages),
        backlog=stats.backlog(g.db, agent),
        ready=case_service.callbacks_json(g.db, settings.secret_key, waiting[:20]),
        ready_count=len(waiting),
        held=held_json[0] if held_json else None,
        lease_left=lease_left,
        quiet=callback_queue.in_quiet_hours(now, settings.quiet_hours),
        now=now,
    )


@bp.post("/queue/claim")
@sign_in_required
def claim() -> ResponseReturnValue:
    settings = runtime().settings
    claimed = callback_queue.claim_next(g.db, g.agent, quiet_hours=settings.quiet_hours)
    g.db.commit()
    if claimed is None:
        _say("queue.nothing_to_claim")
        return redirect(url_for("web.queue"))
    return redirect(url_for("web.case", case_id=claimed.case_id, _anchor="callback"))


# --- Case ---------------------------------------------------------------------------


def _visible_case(case_id: int) -> Any:
    case = case_service.case_for_agent(g.db, g.agent, case_id)
    if case is None:
        abort(404, description="no such case")
    return case


def _render_case(
    case: Any,
    *,
    preview: Any = None,
    draft: str = "",
    status: int = 200,
    writing_language: str | None = None,
) -> Any:
    settings = runtime().settings
    detail = case_service.case_detail(g.db, settings.secret_key, g.agent, case)
    g.db.commit()  # the audit event of this read
    open_callbacks = [cb for cb in detail["callbacks"] if cb["status"] != "closed"]
    return render_template(
        "web/case.html",
        **casework_views.case_work_context(detail),
        case=detail,
        calls_simulated=calls_are_local(settings),
        stt_configured=settings.google_configured,
        audio_ids=stored_audio_ids(g.db, [v["id"] for v in detail["voicemails"]]),
        open_callback=open_callbacks[0] if open_callbacks else None,
        reader_languages=_reader_languages(),
        writing_languages=_writing_languages(),
        writing_language=writing_language or g.agent.ui_language,
        preview=preview,
        draft=draft,
        max_reply=MAX_REPLY_CHARS,
        outcomes=OUTCOMES,
    ), status


def _writing_languages() -> list[str]:
    """What the composer offers to write in: the interface language, then the agent's."""
    ordered = [g.agent.ui_language, *g.agent.languages]
    return [code for i, code in enumerate(ordered) if code in LANGUAGES and code not in ordered[:i]]


def _reader_languages() -> list[str]:
    """Translations shown first: the agent's own languages, then the configured ones."""
    ordered = [code for code in g.agent.languages]
    ordered += [c for c in runtime().settings.agent_languages if c not in ordered]
    return ordered


@bp.get("/cases/<int:case_id>")
@sign_in_required
def case(case_id: int) -> ResponseReturnValue:
    return _render_case(_visible_case(case_id))


@bp.post("/cases/<int:case_id>/reply")
@sign_in_required
def reply(case_id: int) -> ResponseReturnValue:
    case = _visible_case(case_id)
    text = request.form.get("text", "").strip()
    if not text:
        _say("reply.empty", "error")
        return redirect(url_for("web.case", case_id=case.id, _anchor="reply"))
    if len(text) > MAX_REPLY_CHARS:
        _say("reply.too_long", "error", limit=MAX_REPLY_CHARS)
        return _render_case(case, draft=text, status=422)
    language = request.form.get("language") or None
    rt = runtime()
    try:
        if request.form.get("action") != "send":
            prepared = reply_service.prepare(
                rt, g.db, case=case, agent=g.agent, text=text, language=language
            )
            g.db.commit()
            return _render_case(case, preview=prepared, draft=text, writing_language=language)
        sent = reply_service.send_reply(
            rt, g.db, case=case, agent=g.agent, text=text, language=language
        )
    except reply_service.ReplyError as exc:
        g.db.rollback()
        flash(str(exc), "error")
        return _render_case(case, draft=text, status=exc.status)
    except ValueError as exc:
        g.db.rollback()
        flash(str(exc), "error")
        return _render_case(case, draft=text, status=422)
    g.db.commit()
    _say("reply.sent", segments=sent.segments)
    return redirect(url_for("web.case", case_id=case.id, _anchor=f"message-{sent.message_id}"))


@bp.get("/cases/<int:case_id>/voicemails/<int:voicemail_id>/audio")
@sign_in_required
def voicemail_audio(case_id: int, voicemail_id: int) -> ResponseReturnValue:
    """The recording, for the signed-in agent's audio player; every play is audited."""
    case = _visible_case(case_id)
    voicemail = g.db.get(Voicemail, voicemail_id)
    if voicemail is None or voicemail.case_id != case.id:
        abort(404, description="no such voicemail")
    stored = stored_audio(g.db, voicemail.id)
    if stored is None:
        abort(404, description="the recording has not been fetched yet")
    response = audio_response(stored, request)
    record(g.db, "voicemail.listen", "voicemail", voicemail.id, agent_id=g.agent.id, via="web")
    g.db.commit()
    return response


# --- Callbacks ----------------------------------------------------------------------


def _visible_callback(callback_id: int) -> Any:
    callback = callback_service.visible_callback(g.db, g.agent, callback_id)
    if callback is None:
        abort(404, description="no such callback")
    return callback


@bp.post("/callbacks/<int:callback_id>/dial")
@sign_in_required
def dial(callback_id: int) -> ResponseReturnValue:
    callback = _visible_callback(callback_id)
    try:
        callback_service.start_dial(g.db, runtime().settings, callback=callback, agent=g.agent)
    except callback_service.CallbackError as exc:
        g.db.rollback()
        flash(str(exc), "error")
    else:
        g.db.commit()
        _say("call.simulated_started" if calls_are_local(runtime().settings) else "call.ringing")
    return redirect(url_for("web.case", case_id=callback.case_id, _anchor="callback"))


@bp.post("/callbacks/<int:callback_id>/outcome")
@sign_in_required
def outcome(callback_id: int) -> ResponseReturnValue:
    callback = _visible_callback(callback_id)
    note = request.form.get("note", "").strip() or None
    try:
        callback_service.record_outcome(
            g.db,
            runtime().settings,
            callback=callback,
            agent=g.agent,
            outcome=request.form.get("outcome", ""),
            note=note,
        )
    except (callback_service.CallbackError, ValueError) as exc:
        g.db.rollback()
        flash(str(exc), "error")
        return redirect(url_for("web.case", case_id=callback.case_id, _anchor="callback"))
    g.db.commit()
    _say(
        "outcome.recorded",
        outcome=i18n.translate(i18n.ui_language(g.agent), f"outcome.{callback.outcome}"),
    )
    return redirect(url_for("web.case", case_id=callback.case_id, _anchor="callback"))


# --- Supervisor dashboard -----------------------------------------------------------


@bp.get("/dashboard")
@sign_in_required
def dashboard() -> ResponseReturnValue:
    if not g.agent.is_supervisor:
        abort(403, description="the dashboard is for supervisors")
    from hotline.translation.service import usage_summary

    now = utcnow()
    data = stats.dashboard(g.db, now=now)
    usage = usage_summary(g.db, days=30)
    ui = i18n.ui_language(g.agent)
    backlog_chart = charts.horizontal_bars(
        [
            (language_name(row.language), [(row.waiting, "waiting"), (row.claimed, "claimed")])
            for row in data.backlog
        ]
    )
    days_chart = charts.columns(
        [
            (
                i18n.short_day(ui, day.day),
                [(day.reached, "reached"), (day.total - day.reached, "other")],
            )
            for day in data.days
        ]
    )
    return render_template(
        "web/dashboard.html",
        data=data,
        usage=usage,
        usage_by_language=_usage_by_language(usage),
        estimated_usd=usage.characters / 1_000_000 * TRANSLATION_USD_PER_MILLION_CHARS,
        usd_per_million=TRANSLATION_USD_PER_MILLION_CHARS,
        backlog_chart=backlog_chart,
        days_chart=days_chart,
        now=now,
    )


def _usage_by_language(usage: Any) -> list[tuple[str, int, int, int]]:
    """(language, characters billed, requests, cache hits) over the summary's period."""
    totals: dict[str, tuple[int, int, int]] = {}
    for row in usage.rows:
        chars, requests, hits = totals.get(row.language, (0, 0, 0))
        totals[row.language] = (
            chars + row.characters + row.detect_characters,
            requests + row.requests,
            hits + row.cache_hits,
        )
    rows = [(language, *numbers) for language, numbers in totals.items()]
    return sorted(rows, key=lambda r: (-r[1], r[0]))


from hotline.cases import handover_views  # noqa: E402, F401
from hotline.directory import views as directory_views  # noqa: E402, F401
from hotline.posters import views as poster_views  # noqa: E402, F401
from hotline.reports import views as reports_views  # noqa: E402, F401

# The training simulator and the trainer's page (hotline.training).
from hotline.training import views as training_views  # noqa: E402, F401

# The casework, consent, audit and floor pages register themselves on this blueprint.
from hotline.web import casework_views, consent_views, floor  # noqa: E402, F401
