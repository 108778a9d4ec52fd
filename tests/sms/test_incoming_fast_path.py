"""`POST /sms/incoming` answered without Flask (hotline.fast_path): an
ordinary text is stored and answered with exactly the bytes the Flask view sends, and
every request that is not ordinary is answered by the view itself, as before."""

from __future__ import annotations

from typing import Any

import flask
import pytest
from sqlalchemy import select

from hotline.fast_path import FastWebhooks
from hotline.metrics import WEBHOOK_SECONDS
from hotline.runtime import Runtime
from hotline.sms.models import SmsDelivery
from tests.conftest import both_backends
from tests.helpers import FORM, WORKER_NUMBER, WsgiAnswer, wsgi_post
from tests.sms.helpers import new_sid


def text(sid: str | None = None, **extra: str) -> dict[str, str]:
    return {
        "MessageSid": sid or new_sid(),
        "AccountSid": "AC" + "0" * 32,
        "From": WORKER_NUMBER,
        "To": "+81500000000",
        "Body": "Xin chào, công ty giữ hộ chiếu của tôi",
        "NumMedia": "0",
        **extra,
    }


def call(app: flask.Flask, wsgi: Any, params: dict[str, str], **options: Any) -> WsgiAnswer:
    return wsgi_post(app, wsgi, "/sms/incoming", params, **options)


def fast_path(app: flask.Flask) -> FastWebhooks:
    assert isinstance(app.wsgi_app, FastWebhooks)
    return app.wsgi_app


def stored(runtime: Runtime) -> list[SmsDelivery]:
    with runtime.db.session() as session:
        return list(session.scalars(select(SmsDelivery).order_by(SmsDelivery.id)))


def observed() -> float:
    """How many `/sms/incoming` answers the webhook histogram has timed."""
    for metric in WEBHOOK_SECONDS.collect():
        for sample in metric.samples:
            if sample.name.endswith("_count") and sample.labels["route"] == "/sms/incoming":
                return sample.value
    return 0.0


@both_backends
def test_an_ordinary_text_is_stored_without_flask_and_answered_as_the_view_answers(
    app: flask.Flask, runtime: Runtime
) -> None:
    before = observed()
    fast = call(app, fast_path(app), text("SM" + "a" * 32))
    assert not fast.by_flask
    assert observed() == before + 1
    view = call(app, fast_path(app).wsgi_app, text("SM" + "b" * 32))
    assert view.by_flask
    assert (fast.status, fast.headers, fast.body) == (view.status, view.headers, view.body)
    rows = stored(runtime)
    assert [row.sid for row in rows] == ["SM" + "a" * 32, "SM" + "b" * 32]
    assert rows[0].sender_hash == rows[1].sender_hash
    assert rows[0].payload == rows[1].payload  # opened: the same sender, text and media


@both_backends
def test_a_repeated_text_is_stored_once_and_answered_the_same(
    app: flask.Flask, runtime: Runtime
) -> None:
    params = text()
    first, again = call(app, app.wsgi_app, params), call(app, app.wsgi_app, params)
    assert not first.by_flask and not again.by_flask
    assert (first.status, first.body) == (again.status, again.body) == ("200 OK", first.body)
    assert len(stored(runtime)) == 1


UNUSUAL: dict[str, dict[str, Any]] = {
    "bad signature": {"params": text(), "signature": "bm90IGEgc2lnbmF0dXJl"},
    "no signature": {"params": text(), "signature": ""},
    "sender that is no phone number": {"params": text(From="not-a-number")},
    "missing sender": {"params": {k: v for k, v in text().items() if k != "From"}},
    "bad media count": {"params": text(NumMedia="many")},
    "media that is not http": {
        "params": text(NumMedia="1", MediaUrl0="ftp://example.org/a.jpg"),
    },
    "control character": {"params": text(Body="a\x00b")},
    "sid of the wrong shape": {"params": text(sid="SMnothex")},
    "query string": {"params": text(), "query": "x=1"},
    "content type with a charset": {"params": text(), "content_type": FORM + "; charset=utf-8"},
    "not a form": {"params": text(), "content_type": "application/json"},
    "too large": {"params": text(Body="x" * 70_000)},
    "wrong method": {"params": text(), "method": "PUT"},
}


@pytest.mark.parametrize("case", list(UNUSUAL))
def test_an_unusual_request_is_answered_by_the_flask_view_as_before(
    app: flask.Flask, runtime: Runtime, case: str
) -> None:
    options = dict(UNUSUAL[case])
    params = options.pop("params")
    through = call(app, fast_path(app), params, **options)
    view = call(app, fast_path(app).wsgi_app, params, **options)
    assert through.by_flask and view.by_flask
    assert (through.status, through.headers, through.body) == (
        view.status,
        view.headers,
        view.body,
    )
    if case == "sender that is no phone number":
        # The body read by the fast path reached the view: a signed request learns why.
        assert through.status.startswith("400") and b"From" in through.body


def test_a_text_with_media_is_stored_without_flask_with_its_references(
    app: flask.Flask, runtime: Runtime
) -> None:
    params = text(
        NumMedia="1", MediaUrl0="https://api.twilio.com/m/ME1", MediaContentType0="image/jpeg"
    )
    assert not call(app, fast_path(app), params).by_flask
    (row,) = stored(runtime)
    assert "https://api.twilio.com/m/ME1" in row.payload
