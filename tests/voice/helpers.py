"""Walking whole calls through the simulator against the Flask test client."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, select

from hotline.callers.models import Caller
from hotline.voice.models import Call
from hotline.voice.simulator import CallResult, CallSimulator, FlaskTransport, KeyScript
from tests.helpers import ACCOUNT_SID, AUTH_TOKEN, HOTLINE_NUMBER, PUBLIC_URL, WORKER_NUMBER


def place_call(
    client: Any,
    digits: str,
    *,
    from_number: str = WORKER_NUMBER,
    deliver_twice: bool = False,
    call_sid: str | None = None,
    recording_callbacks: bool = True,
) -> CallResult:
    """A whole call, signed as Twilio signs, with the keys in `digits`."""
    simulator = CallSimulator(
        FlaskTransport(client, PUBLIC_URL),
        auth_token=AUTH_TOKEN,
        public_url=PUBLIC_URL,
        from_number=from_number,
        to_number=HOTLINE_NUMBER,
        account_sid=ACCOUNT_SID,
        keys=KeyScript(digits),
        deliver_twice=deliver_twice,
        call_sid=call_sid,
        recording_callbacks=recording_callbacks,
    )
    return simulator.run()


def call_row(runtime: Any, call_sid: str) -> Call:
    with runtime.db.session() as s:
        call = s.scalar(select(Call).where(Call.sid == call_sid))
        assert call is not None
        return call


def caller_rows(runtime: Any) -> list[Caller]:
    with runtime.db.session() as s:
        return list(s.scalars(select(Caller)))


@contextmanager
def statements(runtime: Any) -> Iterator[list[str]]:
    """Every statement the app sends to the database meanwhile, as sent."""
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement.lstrip())

    # On PostgreSQL the first step of a call runs on the autocommitted engine, and an
    # ordinary one on the driver's own connection (Database.autocommitted).
    db = runtime.db
    engines = [db.engine]
    if not db.is_sqlite:
        engines.append(db.autocommit_engine)
    autocommitted = db.autocommitted

    @contextmanager
    def counted() -> Iterator[Any]:
        with autocommitted() as conn:
            yield CountingConnection(conn, seen)

    for engine in engines:
        event.listen(engine, "before_cursor_execute", count)
    db.autocommitted = counted
    try:
        yield seen
    finally:
        del db.autocommitted
        for engine in engines:
            event.remove(engine, "before_cursor_execute", count)


class CountingConnection:
    """The driver's connection, noting each statement."""

    def __init__(self, conn: Any, seen: list[str]) -> None:
        self.conn, self.seen = conn, seen

    def execute(self, statement: str, *args: Any) -> Any:
        self.seen.append(statement.lstrip())
        return self.conn.execute(statement, *args)
