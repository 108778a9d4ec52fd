"""The training pages, on the web app's blueprint.

In a space (`/training/<trainee>/`): the phone simulator, where the trainee plays the
worker: a keypad for calls (the prompts shown as text, recorded prompts playable), a text
box for SMS, and the worker's phone as it would show the hotline's replies. Calls and
texts are signed webhook requests into the space's own app, driven in process by
`hotline.voice.simulator`; what the hotline sends out is read back from the space's
database (there is no Twilio in training: `DevTelephony` keeps it).

In the real app (`/trainer`): the trainer's list of spaces with a reset button (a
supervisor or admin; every reset is audited in the real audit log).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar
from urllib.parse import urlencode

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from hotline.audit import record
from hotline.crypto import InvalidPhoneNumber, normalise_phone
from hotline.training import space as spaces
from hotline.training.samples import load_samples
from hotline.web.common import bp, runtime, sign_in_required

MAX_KEYS = 40
SIMULATION_SECONDS = 60
MAX_SMS = 1000
T = TypeVar("T")


def _apart(func: Callable[[], T]) -> T:
    """Run `func` (signed requests into this same app) on a thread of its own: its
    requests get their own app context and `g`, not this request's."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(func).result(timeout=SIMULATION_SECONDS)


def _run_due() -> None:
    g.db.commit()  # SQLite: the jobs write, so this request holds no transaction
    spaces.run_due(runtime())


def _in_space() -> str:
    slug = runtime().training_space
    if slug is None:
        abort(404)
    return slug


def _phones() -> list[str]:
    return [case["phone"] for case in load_samples().cases] + ["+819000009199"]


def _chosen_phone(raw: str | None) -> str:
    try:
        phone = normalise_phone(raw or "")
    except InvalidPhoneNumber:
        abort(400, description="phone must be a phone number like +819000009199")
    return phone


def _phone_view(phone: str) -> list[dict[str, Any]]:
    """What the worker's phone shows: their texts and the hotline's, oldest first."""
    from hotline.callers.service import find_caller
    from hotline.sms.models import SmsMessage

    caller = find_caller(g.db, runtime().settings.secret_key, phone)
    if caller is None:
        return []
    rows = g.db.scalars(
        select(SmsMessage)
        .where(SmsMessage.caller_id == caller.id)
        .order_by(SmsMessage.created_at, SmsMessage.id)
    ).all()
    return [
        {"mine": m.direction == "in", "body": m.body, "at": m.created_at, "status": m.status}
        for m in rows
    ]


@bp.get("/simulator")
@sign_in_required
def training_simulator() -> ResponseReturnValue:
    _in_space()
    _run_due()  # the space has no relay: due work runs when looked at
    phone = _chosen_phone(request.args.get("phone") or _phones()[0])
    return _render_simulator(phone)


def _render_simulator(phone: str, heard: list[dict[str, Any]] | None = None) -> ResponseReturnValue:
    return render_template(
        "web/training_simulator.html",
        phone=phone,
        phones=_phones(),
        heard=heard,
        phone_view=_phone_view(phone),
        sample_replies=load_samples().replies,
    )


@bp.post("/simulator/call")
@sign_in_required
def training_call() -> ResponseReturnValue:
    from hotline.voice.simulator import (
        CallSimulator,
        FlaskTransport,
        KeyScript,
        SimulationError,
    )

    _in_space()
    phone = _chosen_phone(request.form.get("phone"))
    keys = request.form.get("keys", "").strip()
    if len(keys) > MAX_KEYS:
        abort(400, description=f"at most {MAX_KEYS} keys")
    try:
        script = KeyScript(keys)
    except ValueError:
        abort(400, description="keys are digits, * and #")
    settings = runtime().settings
    g.db.commit()  # the call's webhooks write: leave the database free for them
    simulator = CallSimulator(
        FlaskTransport(current_app.test_client(), settings.public_url),
        auth_token=settings.twilio_auth_token or "",
        public_url=settings.public_url,
        from_number=phone,
        keys=script,
        call_sid="CA" + secrets.token_hex(16),
    )
    heard: list[dict[str, Any]] = []
    try:
        items = _apart(simulator.run).heard
    except SimulationError as exc:
        items = simulator.result.heard
        flash(f"the call stopped: {exc}", "error")
    for item in items:
        url = None
        if item.kind == "play" and item.url and item.url.startswith(settings.public_url + "/"):
            url = request.script_root + item.url[len(settings.public_url) :]
        heard.append({"kind": item.kind, "text": item.text, "language": item.language, "url": url})
    _run_due()
    return _render_simulator(phone, heard=heard)


@bp.post("/simulator/sms")
@sign_in_required
def training_sms() -> ResponseReturnValue:
    from twilio.request_validator import RequestValidator

    _in_space()
    phone = _chosen_phone(request.form.get("phone"))
    body = request.form.get("text", "").strip()
    if not body or len(body) > MAX_SMS:
        abort(400, description=f"a text of 1 to {MAX_SMS} characters")
    settings = runtime().settings
    params = {
        "MessageSid": "SM" + secrets.token_hex(16),
        "AccountSid": "AC" + "0" * 32,
        "From": phone,
        "To": "+81500000000",
        "Body": body,
        "NumMedia": "0",
    }
    signature = RequestValidator(settings.twilio_auth_token or "").compute_signature(
        settings.public_url + "/sms/incoming", params
    )
    g.db.commit()
    client = current_app.test_client()
    answer = _apart(
        lambda: client.post(
            "/sms/incoming",
            data=urlencode(params),
            content_type="application/x-www-form-urlencoded",
            headers={"X-Twilio-Signature": signature},
        )
    )
    if answer.status_code != 200:
        abort(400, description="the hotline did not take the text")
    _run_due()
    return _render_simulator(phone)  # the phone view shows the hotline's answer


# --- The trainer's page, in the real app ---------------------------------------------


def _trainer() -> Any:
    if runtime().training_space is not None:
        abort(404)
    if not g.agent.is_supervisor:
        abort(403, description="trainers only (a supervisor or admin)")
    return g.agent


@bp.get("/trainer")
@sign_in_required
def trainer_page() -> ResponseReturnValue:
    _trainer()
    settings = runtime().settings
    rows = [spaces.describe(settings, slug) for slug in spaces.list_spaces(settings)]
    return render_template("web/training_trainer.html", spaces=rows)


@bp.post("/trainer/<slug>/reset")
@sign_in_required
def trainer_reset(slug: str) -> ResponseReturnValue:
    from hotline.training.seed import reset

    agent = _trainer()
    settings = runtime().settings
    if slug not in spaces.list_spaces(settings):
        abort(404, description="no training space for that trainee")
    # Emptied in place: a trainee's open pages go on working, on an empty space.
    done = reset(settings, slug, empty=request.form.get("empty") == "1")
    record(g.db, "training.reset", "training_space", None, agent_id=agent.id, trainee=slug)
    g.db.commit()
    flash(f"Training space of {slug} reset: {done.cases} sample cases", "info")
    return redirect(url_for("web.trainer_page"))
