"""The agent API's own resources: the agent, the callback queue, cases and replies,
callbacks and live calls; and the OpenAPI document at /api/openapi.json."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from flask import Response, g, jsonify, request
from flask.typing import ResponseReturnValue

from hotline.agents.auth import api_auth_required
from hotline.agents.cases import (
    attempt_json,
    callbacks_json,
    case_detail,
    case_for_agent,
    case_summary_json,
    consent_json,
    event_json,
    iso,
    referrals_json,
)
from hotline.agents.live import LiveError, set_availability, take_next_caller
from hotline.agents.models import Agent
from hotline.agents.replies import ReplyError, send_reply
from hotline.api.common import bp, fail, json_object
from hotline.api.openapi import document
from hotline.callbacks import queue as callback_queue
from hotline.callbacks.models import OUTCOMES, CallbackRequest
from hotline.callbacks.service import (
    CallbackError,
    record_outcome,
    start_dial,
    visible_callback,
)
from hotline.callers import consent
from hotline.callers.models import Caller
from hotline.cases import referrals, work
from hotline.cases.inbox import FilterError, InboxFilter, inbox
from hotline.cases.models import Case
from hotline.cases.work import CaseworkError
from hotline.runtime import app_runtime


def agent_json(agent: Agent) -> dict[str, object]:
    return {
        "id": agent.id,
        "name": agent.name,
        "languages": list(agent.languages),
        "role": agent.role,
        "available": agent.available,
    }


def _secret() -> str:
    return app_runtime().settings.secret_key


def _callback_or_404(callback_id: int) -> CallbackRequest:
    callback = visible_callback(g.db, g.agent, callback_id)
    if callback is None:
        fail(404, "not_found", "no such callback")
    return callback


@bp.get("/agents/me")
@api_auth_required
def me() -> ResponseReturnValue:
    return jsonify(agent_json(g.agent))


@bp.post("/agents/me/availability")
@api_auth_required
def availability() -> ResponseReturnValue:
    body = json_object("available")
    available = body.get("available")
    if not isinstance(available, bool):
        fail(422, "validation_error", "available must be true or false")
    set_availability(g.db, g.agent, available)
    g.db.commit()
    return jsonify(agent_json(g.agent))


@bp.get("/queue")
@api_auth_required
def queue() -> ResponseReturnValue:
    """A JSON array: waiting callbacks in queue order, each saying whether (and from
    when) it can be claimed, since quiet hours and workers' windows hold some back."""
    settings = app_runtime().settings
    waiting = callback_queue.list_waiting(g.db, g.agent, quiet_hours=settings.quiet_hours)
    items = callbacks_json(g.db, _secret(), [callback for callback, _, _ in waiting])
    for item, (_, eligible_now, eligible_at) in zip(items, waiting, strict=True):
        item["eligible_now"] = eligible_now
        item["eligible_at"] = iso(eligible_at)
    g.db.commit()  # expired leases released while listing
    return jsonify(items)


@bp.post("/queue/claim")
@api_auth_required
def claim() -> ResponseReturnValue:
    settings = app_runtime().settings
    callback = callback_queue.claim_next(g.db, g.agent, quiet_hours=settings.quiet_hours)
    if callback is None:
        g.db.commit()
        return Response(status=204)
    payload = callbacks_json(g.db, _secret(), [callback], with_attempts=True)[0]
    g.db.commit()
    return jsonify(payload)


@bp.get("/cases")
@api_auth_required
def cases() -> ResponseReturnValue:
    """A JSON array of the cases this agent may see, filtered; latest activity first
    unless `sort=needs_reply` (the inbox's order). Pages are in the Link and
    X-Total-Count headers."""
    try:
        wanted = InboxFilter.parse(request.args.to_dict(), default_sort="activity")
    except FilterError as exc:
        fail(422, "validation_error", str(exc))
    page = inbox(g.db, g.agent, wanted)
    response = jsonify(
        [case_summary_json(i.case, topics=i.topics, unread=i.unread) for i in page.items]
    )
    response.headers["X-Total-Count"] = str(page.total)
    if not page.exact:
        response.headers["X-Total-Count-Capped"] = "true"  # at least that many
    links = []
    if page.page < page.pages:
        links.append(f'<{_page_url(page.page + 1)}>; rel="next"')
    if page.page > 1:
        links.append(f'<{_page_url(page.page - 1)}>; rel="prev"')
    if links:
        response.headers["Link"] = ", ".join(links)
    return response


def _page_url(number: int) -> str:
    args = request.args.to_dict()
    args["page"] = str(number)
    return f"{request.path}?{urlencode(args)}"


def _change_case(change: Callable[[], object]) -> None:
    """Run a casework change: a bad value is a 422, a refusal its own status; either
    way nothing of it is kept."""
    try:
        change()
    except ValueError as exc:
        g.db.rollback()
        fail(422, "validation_error", str(exc))
    except CaseworkError as exc:
        g.db.rollback()
        fail(exc.status, exc.code, str(exc))


def _case_summary(case: Case) -> ResponseReturnValue:
    payload = case_summary_json(case, topics=work.topics_of(g.db, case.id))
    g.db.commit()
    return jsonify(payload)


def _visible_case(case_id: int) -> Case:
    found = case_for_agent(g.db, g.agent, case_id)
    if found is None:
        fail(404, "not_found", "no such case")
    return found


@bp.post("/cases/<int:case_id>/notes")
@api_auth_required
def add_note(case_id: int) -> ResponseReturnValue:
    found = _visible_case(case_id)
    text = json_object("text").get("text")
    if not isinstance(text, str):
        fail(422, "validation_error", "text must be a string")
    try:
        event = work.add_note(g.db, found, g.agent, text)
    except ValueError as exc:
        fail(422, "validation_error", str(exc))
    g.db.flush()
    payload = event_json(event)
    g.db.commit()
    return jsonify(payload), 201


@bp.post("/cases/<int:case_id>/assign")
@api_auth_required
def assign(case_id: int) -> ResponseReturnValue:
    found = _visible_case(case_id)
    body = json_object("agent_id", "note")
    if "agent_id" not in body:
        fail(422, "validation_error", "agent_id is required (null to unassign)")
    agent_id, note = body["agent_id"], body.get("note")
    if agent_id is not None and (not isinstance(agent_id, int) or isinstance(agent_id, bool)):
        fail(422, "validation_error", "agent_id must be an agent's id or null")
    if note is not None and not isinstance(note, str):
        fail(422, "validation_error", "note must be a string")
    target = None
    if agent_id is not None:
        target = g.db.get(Agent, agent_id) if 0 < agent_id < 2**31 else None
        if target is None:
            fail(422, "validation_error", "no such agent")
    _change_case(lambda: work.assign(g.db, found, g.agent, target, note))
    return _case_summary(found)


@bp.post("/cases/<int:case_id>/status")
@api_auth_required
def case_status(case_id: int) -> ResponseReturnValue:
    found = _visible_case(case_id)
    body = json_object("status", "outcome", "topics")
    status, outcome, topics = body.get("status"), body.get("outcome"), body.get("topics")
    if status is not None and not isinstance(status, str):
        fail(422, "validation_error", "status must be a string")
    if outcome is not None and not isinstance(outcome, str):
        fail(422, "validation_error", "outcome must be a string")
    if topics is not None and not (
        isinstance(topics, list) and all(isinstance(t, str) for t in topics)
    ):
        fail(422, "validation_error", "topics must be a list of topic codes")
    if status is None and topics is None:
        fail(422, "validation_error", "give a status, topics, or both")
    _change_case(lambda: work.set_status(g.db, found, g.agent, status, outcome, topics))
    return _case_summary(found)


@bp.post("/cases/<int:case_id>/referrals")
@api_auth_required
def refer(case_id: int) -> ResponseReturnValue:
    found = _visible_case(case_id)
    body = json_object("organisations", "send_sms")
    ids, send_sms = body.get("organisations"), body.get("send_sms", True)
    if not (
        isinstance(ids, list)
        and all(isinstance(i, int) and not isinstance(i, bool) and 0 < i < 2**31 for i in ids)
    ):
        fail(422, "validation_error", "organisations must be a list of organisation ids")
    if not isinstance(send_sms, bool):
        fail(422, "validation_error", "send_sms must be true or false")
    _change_case(
        lambda: referrals.refer(
            g.db, case=found, agent=g.agent, organisation_ids=ids, send_sms=send_sms
        )
    )
    payload = {
        "case": case_summary_json(found, topics=work.topics_of(g.db, found.id)),
        "referrals": referrals_json(g.db, found.id),
    }
    g.db.commit()
    return jsonify(payload), 201


@bp.post("/cases/<int:case_id>/consent")
@api_auth_required
def record_consent(case_id: int) -> ResponseReturnValue:
    """Record a choice or consent the worker asked for (audited, on the timeline)."""
    found = _visible_case(case_id)
    body = json_object("subject", "value")
    subject, value = body.get("subject"), body.get("value")
    if not isinstance(subject, str) or not isinstance(value, str):
        fail(422, "validation_error", "subject and value must be strings")
    try:
        consent.record_on_request(g.db, case=found, agent=g.agent, subject=subject, value=value)
    except consent.ChoiceError as exc:
        g.db.rollback()
        fail(422, "validation_error", str(exc))
    g.db.flush()
    payload = consent_json(g.db, g.db.get(Caller, found.caller_id))
    g.db.commit()
    return jsonify(payload)


@bp.get("/cases/<int:case_id>")
@api_auth_required
def case(case_id: int) -> ResponseReturnValue:
    found = _visible_case(case_id)
    payload = case_detail(g.db, _secret(), g.agent, found)
    g.db.commit()
    return jsonify(payload)


@bp.post("/cases/<int:case_id>/reply")
@api_auth_required
def reply(case_id: int) -> ResponseReturnValue:
    found = _visible_case(case_id)
    body = json_object("text", "language")
    text = body.get("text")
    if not isinstance(text, str):
        fail(422, "validation_error", "text must be a string")
    language = body.get("language")
    if language is not None and not isinstance(language, str):
        fail(422, "validation_error", "language must be a language code, e.g. en")
    if found.status == "closed":
        fail(409, "case_closed", "this case is closed")
    try:
        sent = send_reply(
            app_runtime(), g.db, case=found, agent=g.agent, text=text, language=language
        )
    except ValueError as exc:
        fail(422, "validation_error", str(exc))
    except ReplyError as exc:
        g.db.rollback()
        fail(exc.status, exc.code, str(exc))
    g.db.commit()
    return jsonify(
        {
            "message_id": sent.message_id,
            "translation_status": sent.status,
            "text": sent.text,
            "sent_text": sent.sent_text,
            "translated_text": sent.translated_text,
            "translation": sent.translated_text,
            "back_translation": sent.back_translation,
            "segments": sent.segments,
            "language": sent.language,
            "source_language": sent.source_language,
        }
    )


@bp.post("/callbacks/<int:callback_id>/dial")
@api_auth_required
def dial(callback_id: int) -> ResponseReturnValue:
    callback = _callback_or_404(callback_id)
    try:
        attempt = start_dial(g.db, app_runtime().settings, callback=callback, agent=g.agent)
    except CallbackError as exc:
        g.db.commit()  # a refusal is audited
        fail(exc.status, exc.code, str(exc))
    payload = {
        "attempt": attempt_json(attempt),
        "callback": callbacks_json(g.db, _secret(), [callback])[0],
    }
    g.db.commit()
    return jsonify(payload)


@bp.post("/callbacks/<int:callback_id>/outcome")
@api_auth_required
def outcome(callback_id: int) -> ResponseReturnValue:
    callback = _callback_or_404(callback_id)
    body = json_object("outcome", "note")
    value = body.get("outcome")
    note = body.get("note")
    if not isinstance(value, str) or value not in OUTCOMES:
        fail(422, "validation_error", f"outcome must be one of: {', '.join(OUTCOMES)}")
    if note is not None and not isinstance(note, str):
        fail(422, "validation_error", "note must be a string")
    try:
        record_outcome(
            g.db, app_runtime().settings, callback=callback, agent=g.agent, outcome=value, note=note
        )
    except ValueError as exc:
        fail(422, "validation_error", str(exc))
    except CallbackError as exc:
        fail(exc.status, exc.code, str(exc))
    payload = callbacks_json(g.db, _secret(), [callback], with_attempts=True)[0]
    g.db.commit()
    return jsonify(payload)


@bp.post("/live/next")
@api_auth_required
def live_next() -> ResponseReturnValue:
    body = json_object("language") if request.content_length else {}
    language = body.get("language")
    if language is not None and not isinstance(language, str):
        fail(422, "validation_error", "language must be a language code")
    try:
        call, queue_name = take_next_caller(
            g.db, app_runtime().settings, agent=g.agent, language=language
        )
    except ValueError as exc:
        fail(422, "validation_error", str(exc))
    except LiveError as exc:
        fail(exc.status, exc.code, str(exc))
    g.db.commit()
    return jsonify(
        {"call_id": call.id, "language": call.language, "queue": queue_name, "status": call.status}
    )


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    return jsonify(document())
