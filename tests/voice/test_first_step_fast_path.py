"""`POST /voice/incoming` answered without Flask on PostgreSQL (hotline.voice.first_step):
an ordinary first step writes the call it answers (and a new number's caller) and
answers exactly what the Flask view answers for the same call; every first step that is
not ordinary is the view's, which answers as it always has."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

import flask
import pytest
from sqlalchemy import delete, func, select

from hotline.callbacks.models import CallbackRequest
from hotline.callers.models import Caller
from hotline.cases.models import Case
from hotline.cases.service import open_case_for
from hotline.crypto import decrypt_phone, decrypt_text, encrypt_phone, phone_hash
from hotline.fast_path import FastWebhooks
from hotline.review import live
from hotline.review.models import PromptVersion
from hotline.runtime import Runtime
from hotline.voice.first_step import FIRST_ANSWER_KEY
from hotline.voice.models import Call
from hotline.voice.recording import set_recorder_pin
from tests.builders import make_agent
from tests.conftest import both_backends
from tests.helpers import HOTLINE_NUMBER, WORKER_NUMBER, WsgiAnswer, wsgi_post
from tests.voice.helpers import place_call

postgres = pytest.mark.parametrize("backend", ["postgres"], indirect=True)
NEW_NUMBER = "+819000000011"


def first_step(number: str = WORKER_NUMBER, sid: str | None = None) -> dict[str, str]:
    return {
        "CallSid": sid or "CA" + secrets.token_hex(16),
        "AccountSid": "AC" + "0" * 32,
        "From": number,
        "To": HOTLINE_NUMBER,
        "CallStatus": "ringing",
        "Direction": "inbound",
    }


def through(app: flask.Flask, params: dict[str, str]) -> WsgiAnswer:
    """The request as the app receives it: the fast path first."""
    assert isinstance(app.wsgi_app, FastWebhooks)
    return wsgi_post(app, app.wsgi_app, "/voice/incoming", params)


def by_view(app: flask.Flask, params: dict[str, str]) -> WsgiAnswer:
    """The same request straight to the Flask app behind the fast path."""
    assert isinstance(app.wsgi_app, FastWebhooks)
    return wsgi_post(app, app.wsgi_app.wsgi_app, "/voice/incoming", params)


def the_call(runtime: Runtime, sid: str) -> Call:
    with runtime.db.session() as s:
        call = s.scalar(select(Call).where(Call.sid == sid))
        assert call is not None
        return call


def forget(runtime: Runtime, sid: str, *, caller_too: bool = False) -> None:
    """Undo a first step, so that the view can be asked the same question."""
    with runtime.db.session() as s:
        call = s.scalar(select(Call).where(Call.sid == sid))
        assert call is not None
        s.execute(delete(Call).where(Call.id == call.id))
        if caller_too:
            s.execute(delete(Caller).where(Caller.id == call.caller_id))


def calls_of(runtime: Runtime, sid: str) -> int:
    with runtime.db.session() as s:
        return int(s.scalar(select(func.count()).select_from(Call).where(Call.sid == sid)) or 0)


def known_caller(client: Any, runtime: Runtime, number: str = WORKER_NUMBER) -> Caller:
    """A caller who chose Vietnamese and heard the privacy notice on an earlier call."""
    place_call(client, "84#", from_number=number)
    with runtime.db.session() as s:
        caller = s.scalar(select(Caller).where(Caller.phone_hash == digest(runtime, number)))
        assert caller is not None and caller.language == "vi"
        assert caller.privacy_notice_at is not None
        return caller


def digest(runtime: Runtime, number: str) -> str:
    return phone_hash(runtime.settings.secret_key, number)


@postgres
def test_a_new_number_is_asked_for_its_language_without_flask_as_the_view_asks(
    app: flask.Flask, runtime: Runtime
) -> None:
    params = first_step(NEW_NUMBER)
    fast = through(app, params)
    assert not fast.by_flask and fast.status == "200 OK"
    assert b"/voice/language?" in fast.body
    call = the_call(runtime, params["CallSid"])
    assert (call.direction, call.purpose, call.status, call.language) == (
        "inbound",
        "ivr",
        "in-progress",
        None,
    )
    assert call.started_at.tzinfo is not None
    assert abs(call.started_at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)
    state = dict(call.ivr_state or {})
    stored = decrypt_text(runtime.settings.secret_key, state.pop(FIRST_ANSWER_KEY))
    assert stored == fast.body.decode("utf-8")
    assert state == {"phase": "menu"}
    with runtime.db.session() as s:
        caller = s.get(Caller, call.caller_id)
        assert caller is not None
        assert caller.phone_hash == digest(runtime, NEW_NUMBER)
        assert decrypt_phone(runtime.settings.secret_key, caller.phone_encrypted) == NEW_NUMBER
        assert caller.language is None and caller.created_at.tzinfo is not None

    forget(runtime, params["CallSid"], caller_too=True)
    view = by_view(app, params)
    assert view.by_flask
    assert (fast.status, fast.headers, fast.body) == (view.status, view.headers, view.body)
    again = the_call(runtime, params["CallSid"])
    assert decrypt_text(runtime.settings.secret_key, (again.ivr_state or {})[FIRST_ANSWER_KEY]) == (
        stored
    )


@postgres
def test_a_returning_caller_is_greeted_and_told_their_case_status_without_flask(
    app: flask.Flask, client: Any, runtime: Runtime
) -> None:
    caller = known_caller(client, runtime)
    with runtime.db.session() as s:
        case = open_case_for(s, s.get_one(Caller, caller.id), "vi")
        case.status = "waiting"
    params = first_step()
    fast = through(app, params)
    assert not fast.by_flask
    call = the_call(runtime, params["CallSid"])
    assert (call.caller_id, call.language) == (caller.id, "vi")
    assert b'language="vi-VN"' in fast.body and b"/voice/node/main?" in fast.body

    forget(runtime, params["CallSid"])
    view = by_view(app, params)
    assert view.by_flask
    assert (fast.status, fast.headers, fast.body) == (view.status, view.headers, view.body)
    # The status was told: the answer differs from a caller's with nothing to tell.
    with runtime.db.session() as s:
        s.get_one(Case, case.id).status = "closed"
        s.get_one(Case, case.id).closed_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=90)
    nothing_to_tell = through(app, first_step())
    assert not nothing_to_tell.by_flask
    assert len(nothing_to_tell.body) < len(fast.body)


@postgres
def test_a_repeated_first_step_is_answered_by_the_view_with_the_same_answer(
    app: flask.Flask, client: Any, runtime: Runtime
) -> None:
    known_caller(client, runtime)
    params = first_step()
    first, again = through(app, params), through(app, params)
    assert not first.by_flask and again.by_flask
    assert (first.status, first.body) == (again.status, again.body)
    assert calls_of(runtime, params["CallSid"]) == 1


@postgres
def test_a_caller_yet_to_hear_the_privacy_notice_is_answered_by_the_view(
    app: flask.Flask, runtime: Runtime
) -> None:
    with runtime.db.session() as s:
        s.add(
            Caller(
                phone_hash=digest(runtime, WORKER_NUMBER),
                phone_encrypted="-",
                language="vi",
            )
        )
    params = first_step()
    answer = through(app, params)
    assert answer.by_flask and answer.status == "200 OK"
    with runtime.db.session() as s:
        caller = s.scalar(select(Caller))
        assert caller is not None and caller.privacy_notice_at is not None  # heard now


@postgres
def test_a_first_step_that_would_write_more_than_its_call_is_answered_by_the_view(
    app: flask.Flask, runtime: Runtime
) -> None:
    # Khmer has no voice yet: the first step asks for a callback (a case, a request).
    now = dt.datetime.now(dt.UTC)
    with runtime.db.session() as s:
        s.add(
            Caller(
                phone_hash=digest(runtime, WORKER_NUMBER),
                phone_encrypted=encrypt_phone(runtime.settings.secret_key, WORKER_NUMBER),
                language="km",
                privacy_notice_at=now,
            )
        )
    params = first_step()
    answer = through(app, params)
    assert answer.by_flask and answer.status == "200 OK"
    assert calls_of(runtime, params["CallSid"]) == 1
    with runtime.db.session() as s:
        assert s.scalar(select(func.count()).select_from(CallbackRequest)) == 1


@postgres
def test_calls_when_a_staff_member_has_a_pin_are_answered_by_the_view(
    app: flask.Flask, runtime: Runtime
) -> None:
    staff_phone = "+819000000009"
    agent_id = make_agent(runtime, name="Recorder", languages="km,en", phone=staff_phone).id
    with runtime.db.session() as s:
        set_recorder_pin(s, agent_id, "246813")
    staff = through(app, first_step(staff_phone))
    assert staff.by_flask and b"Staff line" in staff.body
    worker = through(app, first_step(NEW_NUMBER))
    assert worker.by_flask and b"/voice/language?" in worker.body


@postgres
def test_a_withheld_number_is_answered_by_the_view(app: flask.Flask, runtime: Runtime) -> None:
    params = first_step("anonymous")
    answer = through(app, params)
    assert answer.by_flask and answer.status == "200 OK"
    assert the_call(runtime, params["CallSid"]).caller_id is None


@both_backends
def test_a_badly_signed_first_step_is_refused_by_the_view_and_stores_nothing(
    app: flask.Flask, runtime: Runtime
) -> None:
    params = first_step(NEW_NUMBER)
    answer = wsgi_post(app, app.wsgi_app, "/voice/incoming", params, signature="bm90IHNpZ25lZA==")
    assert answer.by_flask and answer.status.startswith("403")
    assert calls_of(runtime, params["CallSid"]) == 0


def test_on_sqlite_the_view_answers_every_first_step(app: flask.Flask, runtime: Runtime) -> None:
    params = first_step(NEW_NUMBER)
    answer = through(app, params)
    assert answer.by_flask and b"/voice/language?" in answer.body
    assert calls_of(runtime, params["CallSid"]) == 1


@postgres
def test_callers_answered_from_the_same_rendering_each_get_their_own_step_urls(
    app: flask.Flask, client: Any, runtime: Runtime
) -> None:
    # The second and third answers of each kind reuse the first's rendering: each must
    # still be exactly what the view answers for that call (its own MACs).
    numbers = [f"+8190000001{n:02d}" for n in range(3)]
    for number in numbers:
        known_caller(client, runtime, number)
    for number in [*numbers, "+819000000150", "+819000000151"]:
        params = first_step(number)
        fast = through(app, params)
        assert not fast.by_flask
        forget(runtime, params["CallSid"], caller_too=number.endswith(("50", "51")))
        view = by_view(app, params)
        assert (fast.status, fast.body) == (view.status, view.body)


@postgres
def test_a_reviewers_new_wording_is_spoken_by_the_next_first_step(
    app: flask.Flask, client: Any, runtime: Runtime
) -> None:
    known_caller(client, runtime)
    before = through(app, first_step())
    assert not before.by_flask
    agent = make_agent(runtime, name="Lan", languages="vi")
    with runtime.db.session() as s:
        s.add(
            PromptVersion(
                language="vi",
                channel="voice",
                key="greeting",
                text="Xin chào, đây là đường dây hỗ trợ.",
                reviewed=True,
                action="edited",
                agent_id=agent.id,
            )
        )
    live.invalidate()  # as an edit made in this process does
    after = through(app, first_step())
    assert not after.by_flask
    assert "Xin chào, đây là đường dây hỗ trợ." in after.body.decode("utf-8")
    assert "Xin chào, đây là đường dây hỗ trợ." not in before.body.decode("utf-8")
