"""Menu steps that need no database answered without Flask (hotline.voice.menu_steps):
exactly what the Flask view answers; every step that reads or writes, and every step
that is not ordinary, is the view's, which answers as it always has."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import flask
import pytest

from hotline.fast_path import FastWebhooks
from hotline.review import live
from hotline.runtime import Runtime
from hotline.voice.simulator import Exchange
from tests.conftest import both_backends
from tests.helpers import PUBLIC_URL, WsgiAnswer, wsgi_post
from tests.voice.helpers import call_row, place_call


def delivered(
    app: flask.Flask, exchange: Exchange, *, by_view: bool = False, **options: Any
) -> WsgiAnswer:
    """The step delivered again, through the app (fast path first) or to the view."""
    assert isinstance(app.wsgi_app, FastWebhooks)
    parts = urlsplit(exchange.url.replace(PUBLIC_URL, ""))
    wsgi = app.wsgi_app.wsgi_app if by_view else app.wsgi_app
    options.setdefault("query", parts.query)
    return wsgi_post(app, wsgi, parts.path, exchange.params, **options)


def steps(result: Any, prefix: str) -> list[Exchange]:
    return [x for x in result.exchanges if x.url.replace(PUBLIC_URL, "").startswith(prefix)]


@both_backends
def test_moving_through_the_menu_is_answered_without_flask_as_the_view_answers(
    app: flask.Flask, client: Any, runtime: Runtime
) -> None:
    # Silence on the first page of languages, Vietnamese, then 4 (information), topic 1,
    # * (back), an invalid key, silence.
    result = place_call(client, ". 84#4 1 * 7 .")
    pages = [x for x in steps(result, "/voice/language") if not x.params.get("Digits")]
    menu = steps(result, "/voice/node/")
    assert len(pages) == 1 and len(menu) == 5
    for exchange in [*pages, *menu]:
        fast = delivered(app, exchange)
        view = delivered(app, exchange, by_view=True)
        assert not fast.by_flask and view.by_flask
        assert (fast.status, fast.headers, fast.body) == (view.status, view.headers, view.body)
        assert fast.body.decode("utf-8") == exchange.body


@both_backends
def test_a_step_with_an_effect_is_answered_by_the_view(
    app: flask.Flask, client: Any, runtime: Runtime
) -> None:
    # Vietnamese chosen on a call whose first answer is then undone: the view chooses it.
    result = place_call(client, "84#")
    (chosen,) = [x for x in steps(result, "/voice/language") if x.params.get("Digits")]
    answer = delivered(app, chosen)
    assert answer.by_flask and answer.body.decode("utf-8") == chosen.body  # its receipt
    assert call_row(runtime, result.call_sid).language == "vi"


@both_backends
@pytest.mark.parametrize(
    "unusual",
    [
        {"signature": "bm90IHNpZ25lZA=="},
        {"query_change": lambda q: q.replace("f=0", "f=1")},  # tampered: its MAC fails
        {"query_change": lambda q: q + "&f=0"},  # a parameter twice
        {"query_change": lambda q: q + "&x=%FF"},  # not UTF-8
    ],
    ids=["bad signature", "tampered", "repeated", "undecodable"],
)
def test_an_unusual_step_is_answered_by_the_view_as_before(
    app: flask.Flask, client: Any, runtime: Runtime, unusual: dict[str, Any]
) -> None:
    result = place_call(client, "84#4")
    (info,) = steps(result, "/voice/node/main")
    options: dict[str, Any] = {}
    if "signature" in unusual:
        options["signature"] = unusual["signature"]
    if "query_change" in unusual:
        options["query"] = unusual["query_change"](urlsplit(info.url).query)
    through = delivered(app, info, **options)
    view = delivered(app, info, by_view=True, **options)
    assert through.by_flask and view.by_flask
    assert (through.status, through.body) == (view.status, view.body)
    assert through.status.startswith(("400", "403"))


def test_a_step_whose_live_texts_are_due_for_a_check_is_answered_by_the_view(
    app: flask.Flask, client: Any, runtime: Runtime
) -> None:
    result = place_call(client, "84#4")
    (info,) = steps(result, "/voice/node/main")
    live.invalidate()  # the overlay must be read again: a statement
    first = delivered(app, info)
    assert first.by_flask and first.body.decode("utf-8") == info.body
    again = delivered(app, info)  # the view has just read it
    assert not again.by_flask and again.body == first.body
