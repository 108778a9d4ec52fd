"""The review pages: `/review` (coverage of every language and channel; the languages the
agent reviews) and `/review/<lang>` (every text of the pack beside the English source and
its back-translation, its recording, and the forms to mark it reviewed or edit it).

Registered on the web blueprint: sign-in, CSRF and the security headers are the app's.
Only a reviewer of the language may open or change its page; a supervisor may make an
agent a reviewer. Every change is audited.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from hotline.agents.models import Agent
from hotline.languages import LANGUAGES
from hotline.review import service
from hotline.review.backtranslate import back_translate
from hotline.review.coverage import coverage
from hotline.review.live import live_packs
from hotline.review.models import CHANNELS
from hotline.review.packs import Packs, pack_texts
from hotline.voice.turn import recorded_prompts
from hotline.web.common import _say, bp, runtime, sign_in_required


@bp.get("/review")
@sign_in_required
def review_index() -> ResponseReturnValue:
    p = live_packs(g.db, runtime().settings)
    agents = []
    if g.agent.is_supervisor:
        agents = list(
            g.db.scalars(select(Agent).where(Agent.active.is_(True)).order_by(Agent.name))
        )
    return render_template(
        "web/review_index.html",
        rows=coverage(p, recorded_prompts(g.db)),
        mine=service.reviewer_languages(g.db, g.agent),
        agents=agents,
        languages=list(LANGUAGES.values()),
    )


@bp.post("/review/reviewers")
@sign_in_required
def review_grant() -> ResponseReturnValue:
    """A supervisor makes an agent a reviewer of a language."""
    if not g.agent.is_supervisor:
        abort(403, description="only supervisors and admins choose reviewers")
    language = request.form.get("language", "")
    raw_id = request.form.get("agent_id", "")
    if language not in LANGUAGES:
        abort(400, description="unknown language: choose one from the list")
    agent = g.db.get(Agent, int(raw_id)) if raw_id.isascii() and raw_id.isdigit() else None
    if agent is None or not agent.active:
        abort(400, description="unknown agent: choose one from the list")
    service.grant(g.db, agent, [language], by=g.agent.id)
    g.db.commit()
    _say("review.granted", "success", name=agent.name, language=language)
    return redirect(url_for("web.review_index"))


def _reviewer_of(language: str) -> None:
    if language not in LANGUAGES:
        abort(404, description="no such language")
    if not service.may_review(g.db, g.agent, language):
        abort(403, description=f"you are not a reviewer of {language}")


def _page(p: Packs, language: str, *, error: dict[str, Any] | None = None) -> ResponseReturnValue:
    settings = runtime().settings
    texts = pack_texts(p, language)
    english = {(t.channel, t.key): t.text for t in pack_texts(p, "en")}
    back = back_translate(settings, language, [t.text for t in texts])
    history = service.history(g.db, language)
    names = {a.id: a.name for a in g.db.scalars(select(Agent))}
    recordings = service.recordings(g.db, language)
    row = coverage(p, recorded_prompts(g.db))
    lang_coverage = next(r for r in row if r.code == language)
    audio = {}
    for t in texts:
        if t.channel != "voice" or LANGUAGES[language].has_tts:
            continue
        rec = recordings.get(t.key)
        if rec is not None and rec.audio is not None:
            audio[t.key] = (
                url_for("web.review_recording", language=language, recording_id=rec.id),
                "pending" if rec.status == service.PENDING else "recorded by phone",
            )
            continue
        found = p.voice.audio(language, t.key)
        if found is not None:
            url = f"/audio/{language}/{t.key}{found.path.suffix}?v={found.version}"
            audio[t.key] = (url, found.source)
    return render_template(
        "web/review_language.html",
        language=LANGUAGES[language],
        texts=texts,
        english=english,
        back=back,
        history=history,
        names=names,
        audio=audio,
        coverage=lang_coverage,
        error=error,
    ), (400 if error else 200)


@bp.get("/review/<language>")
@sign_in_required
def review_language(language: str) -> ResponseReturnValue:
    _reviewer_of(language)
    return _page(live_packs(g.db, runtime().settings), language)


def _target() -> tuple[str, str]:
    channel, key = request.form.get("channel", ""), request.form.get("key", "")
    if channel not in CHANNELS or not key or len(key) > 96:
        abort(400, description="the form names no text of this pack")
    return channel, key


def _anchor(channel: str, key: str) -> str:
    return f"{channel}-{key}".replace(".", "-")


@bp.post("/review/<language>/reviewed")
@sign_in_required
def review_mark(language: str) -> ResponseReturnValue:
    _reviewer_of(language)
    channel, key = _target()
    try:
        service.mark_reviewed(
            g.db, g.agent, live_packs(g.db, runtime().settings), language, channel, key
        )
    except LookupError:
        abort(400, description="the form names no text of this pack")
    g.db.commit()
    _say("review.marked", "success", text=key)
    url = url_for("web.review_language", language=language)
    return redirect(f"{url}#{_anchor(channel, key)}")


@bp.post("/review/<language>/edit")
@sign_in_required
def review_edit(language: str) -> ResponseReturnValue:
    _reviewer_of(language)
    channel, key = _target()
    text = request.form.get("text", "")
    p = live_packs(g.db, runtime().settings)
    try:
        service.edit(g.db, g.agent, p, language, channel, key, text)
    except LookupError:
        abort(400, description="the form names no text of this pack")
    except service.BadEdit as exc:
        # The page again, with what was typed kept in its box and the reason beside it.
        return _page(
            p, language, error={"channel": channel, "key": key, "text": text, "message": str(exc)}
        )
    g.db.commit()
    _say("review.saved", "success", text=key)
    url = url_for("web.review_language", language=language)
    return redirect(f"{url}#{_anchor(channel, key)}")


@bp.get("/review/<language>/recordings/<int:recording_id>.wav")
@sign_in_required
def review_recording(language: str, recording_id: int) -> ResponseReturnValue:
    """A phone recording (also one still pending), for the reviewer's player."""
    _reviewer_of(language)
    rec = service.recordings(g.db, language)
    found = next((r for r in rec.values() if r.id == recording_id), None)
    if found is None or found.audio is None:
        abort(404, description="no such recording")
    return Response(found.audio, content_type="audio/wav")
