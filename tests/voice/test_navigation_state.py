"""Moving through the menu without the database: state in signed step URLs.

A step that changes nothing durable (another menu, a repeat, an invalid key, silence,
the next page of languages) is answered from its URL alone: no statement at all, the
same answer when delivered again, and a 400 when its state is tampered with or comes
from another call. `/voice/incoming` for a returning caller: one read, one write.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from sqlalchemy import func, select

from hotline.voice.models import Call
from hotline.voice.simulator import Exchange
from hotline.webhooks import WebhookReceipt
from tests.conftest import both_backends
from tests.helpers import PUBLIC_URL, WORKER_NUMBER, twilio_post
from tests.test_bad_input import stored_rows
from tests.voice.helpers import place_call, statements

WRITES = ("INSERT", "UPDATE", "DELETE")


def path_of(exchange: Exchange) -> str:
    return exchange.url.replace(PUBLIC_URL, "")


def steps(result: Any, prefix: str) -> list[Exchange]:
    return [x for x in result.exchanges if path_of(x).startswith(prefix)]


def receipts(runtime: Any) -> int:
    with runtime.db.session() as s:
        return int(s.scalar(select(func.count()).select_from(WebhookReceipt)) or 0)


@pytest.mark.slow
@both_backends
def test_moving_through_the_menu_reads_and_writes_nothing_and_replays_the_same(
    client: Any, runtime: Any
) -> None:
    # Silence on the first page of languages, Vietnamese, then 4 (information), topic 1,
    # * (back), an invalid key, silence, and 2 (the callback questions begin).
    result = place_call(client, ". 84#4 1 * 7 . 2")
    pages = [x for x in steps(result, "/voice/language") if not x.params.get("Digits")]
    menu = steps(result, "/voice/node/")
    assert len(pages) == 1 and [x.params.get("Digits", "") for x in menu] == [
        "4",
        "1",
        "*",
        "7",
        "",
        "2",
    ]
    # Only the steps with effects stored a receipt: the language chosen, the call's end.
    assert receipts(runtime) == 2
    for exchange in [*pages, *menu]:
        with statements(runtime) as seen:
            again = twilio_post(client, path_of(exchange), exchange.params)
        assert seen == [], (path_of(exchange), seen)
        assert again.status_code == 200
        assert again.get_data(as_text=True) == exchange.body
    assert receipts(runtime) == 2


@pytest.mark.slow
@both_backends
def test_a_key_with_an_effect_reads_and_writes_in_its_step(client: Any, runtime: Any) -> None:
    result = place_call(client, "84#0 1")  # emergency: an urgent callback
    urgent = steps(result, "/voice/node/emergency")[-1]
    with statements(runtime) as seen:
        again = twilio_post(client, path_of(urgent), urgent.params)
    assert again.get_data(as_text=True) == urgent.body  # replayed from its receipt
    assert any(s.startswith("SELECT") for s in seen)


def tampered(path: str, change: dict[str, str | None]) -> str:
    parts = urlsplit(path)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    for name, value in change.items():
        if value is None:
            query.pop(name, None)
        else:
            query[name] = value
    return f"{parts.path}?{urlencode(query)}"


@pytest.mark.slow
@both_backends
@pytest.mark.parametrize(
    "change",
    [
        {"l": "ja"},  # another language
        {"c": "0"},  # pretend the number is withheld
        {"c": "1wim"},  # pretend every standing answer is known
        {"a": "u.1"},  # an answer never given
        {"r": "voicemail"},
        {"f": "2"},  # closer to the end of the retries
        {"s": "9"},
        {"k": None},  # no MAC at all
        {"k": "0" * 32},
    ],
    ids=lambda change: ",".join(f"{k}={v}" for k, v in change.items()),
)
def test_a_tampered_step_url_is_a_400_that_stores_nothing(
    client: Any, runtime: Any, change: dict[str, str | None]
) -> None:
    result = place_call(client, "84#4")
    step = steps(result, "/voice/node/main")[0]
    before = stored_rows(runtime)
    with statements(runtime) as seen:
        response = twilio_post(client, tampered(path_of(step), change), step.params)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert "not one the hotline gave this call" in response.get_data(as_text=True)
    # (Only the receipt of an earlier delivery of this very URL is looked for.)
    assert not [s for s in seen if s.startswith(WRITES)] and stored_rows(runtime) == before


@both_backends
def test_a_step_url_of_one_call_is_refused_on_another(client: Any, runtime: Any) -> None:
    first = place_call(client, "84#4", call_sid="CA" + "a" * 32)
    place_call(client, "84#", call_sid="CA" + "b" * 32)
    step = steps(first, "/voice/node/main")[0]
    response = twilio_post(client, path_of(step), {**step.params, "CallSid": "CA" + "b" * 32})
    assert response.status_code == 400


@both_backends
def test_a_returning_caller_costs_incoming_one_read_and_one_write(
    client: Any, runtime: Any
) -> None:
    place_call(client, "84#", from_number=WORKER_NUMBER)  # the language is remembered
    params = {"CallSid": "CA" + "c" * 32, "From": WORKER_NUMBER, "To": "+81500000000"}
    with statements(runtime) as seen:
        first = twilio_post(client, "/voice/incoming", params)
    assert first.status_code == 200 and "<Gather" in first.get_data(as_text=True)
    reads = [s for s in seen if s.startswith("SELECT")]
    writes = [s for s in seen if s.startswith(WRITES)]
    assert len(reads) == 1 and len(writes) == 1, seen
    # (SQLite's `BEGIN IMMEDIATE` is the transaction's start, not a round trip of its own
    # on PostgreSQL.)
    assert len([s for s in seen if not s.startswith("BEGIN")]) == 2, seen
    # Delivered again: the same answer, and still one call.
    again = twilio_post(client, "/voice/incoming", params)
    assert again.get_data(as_text=True) == first.get_data(as_text=True)
    with runtime.db.session() as s:
        assert (
            s.scalar(select(func.count()).select_from(Call).where(Call.sid == params["CallSid"]))
            == 1
        )
