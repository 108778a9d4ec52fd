"""The directory page (`/directory`) of the agent web app: every signed-in adviser can
look organisations up; supervisors verify, edit and add entries. Registered on the web
blueprint, so sign-in, CSRF and the security headers are the app's own."""

from __future__ import annotations

from typing import Any

from flask import abort, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from hotline.directory import hours as hours_text
from hotline.directory import service
from hotline.directory.models import ORGANISATION_KINDS, Organisation
from hotline.languages import LANGUAGES
from hotline.web import i18n
from hotline.web.common import _safe_next, _say, bp, sign_in_required


def _filter(name: str, allowed: Any) -> str | None:
    value = request.args.get(name) or None
    if value is not None and value not in allowed:
        abort(400, description=f"unknown {name}: choose one from the list")
    return value


def _supervisor() -> None:
    if not g.agent.is_supervisor:
        abort(403, description="only supervisors change the directory")


def _organisation(organisation_id: int) -> Organisation:
    org = g.db.get(Organisation, organisation_id)
    if org is None:
        abort(404, description="no such organisation")
    return org


@bp.get("/directory")
@sign_in_required
def directory() -> ResponseReturnValue:
    filters = {
        "language": _filter("language", LANGUAGES),
        "prefecture": _filter("prefecture", service.prefectures()),
        "kind": _filter("kind", ORGANISATION_KINDS),
    }
    rows = service.search(g.db, **filters)
    ui = i18n.ui_language(g.agent)
    return render_template(
        "web/directory.html",
        rows=rows,
        filters=filters,
        kinds=ORGANISATION_KINDS,
        prefectures=service.prefectures(),
        languages=LANGUAGES,
        hours_in=lambda org: hours_text.render(org.hours, ui),
        unverified=sum(1 for org in rows if org.verified_at is None),
    )


@bp.post("/directory/<int:organisation_id>/verify")
@sign_in_required
def directory_verify(organisation_id: int) -> ResponseReturnValue:
    _supervisor()
    org = _organisation(organisation_id)
    service.verify(g.db, org, agent_id=g.agent.id)
    g.db.commit()
    _say("dir.verified_now", name=org.name_en)
    # Back to the list as it was filtered, at the entry.
    back = request.form.get("next") or url_for("web.directory")
    return redirect(f"{_safe_next(back)}#org-{org.id}")


def _form_values() -> dict[str, Any]:
    return {field: request.form.get(field, "") for field in service.EDITABLE}


def _render_form(org: Organisation | None, values: dict[str, Any], status: int = 200) -> Any:
    return render_template(
        "web/directory_form.html",
        org=org,
        values=values,
        kinds=ORGANISATION_KINDS,
        prefectures=service.prefectures(),
    ), status


def _org_values(org: Organisation) -> dict[str, Any]:
    values = {field: getattr(org, field) or "" for field in service.EDITABLE}
    values["languages"] = ",".join(org.languages)
    return values


@bp.route("/directory/new", methods=["GET", "POST"])
@sign_in_required
def directory_new() -> ResponseReturnValue:
    _supervisor()
    if request.method == "GET":
        return _render_form(None, {field: "" for field in service.EDITABLE})
    values = _form_values()
    try:
        org = service.add(g.db, values, agent_id=g.agent.id)
    except service.DirectoryError as exc:
        g.db.rollback()
        _say("dir.form_error", "error", message=str(exc))
        return _render_form(None, values, 422)
    g.db.commit()
    _say("dir.added", name=org.name_en)
    return redirect(url_for("web.directory", _anchor=f"org-{org.id}"))


@bp.route("/directory/<int:organisation_id>/edit", methods=["GET", "POST"])
@sign_in_required
def directory_edit(organisation_id: int) -> ResponseReturnValue:
    _supervisor()
    org = _organisation(organisation_id)
    if request.method == "GET":
        return _render_form(org, _org_values(org))
    values = _form_values()
    try:
        service.edit(g.db, org, values, agent_id=g.agent.id)
    except service.DirectoryError as exc:
        g.db.rollback()
        _say("dir.form_error", "error", message=str(exc))
        return _render_form(org, values, 422)
    g.db.commit()
    _say("dir.saved" if org.verified_at else "dir.saved_unverified", name=org.name_en)
    return redirect(url_for("web.directory", _anchor=f"org-{org.id}"))
