"""A dead database costs a webhook a bounded wait, and a call still gets the safe answer.

The database is a port that refuses connections, or a black hole: a socket that listens
but never accepts or answers, the way a host behind a broken network looks.
"""

from __future__ import annotations

import socket
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hotline import create_app
from hotline.db import CONNECT_TIMEOUT, POOL_TIMEOUT, STATEMENT_TIMEOUT
from hotline.runtime import Runtime
from tests.conftest import free_port, make_settings
from tests.helpers import WORKER_NUMBER, twilio_post

TWILIO_LIMIT = 15.0  # seconds Twilio waits for a webhook before it gives up
CALL = {"CallSid": "CA" + "d" * 32, "From": WORKER_NUMBER, "To": "+81500000000"}


@pytest.fixture
def black_hole() -> Iterator[int]:
    """A port whose connections are never accepted nor answered."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(0)
        yield int(sock.getsockname()[1])


def dead_database_client(tmp_path: Path, redis_url: str, port: int) -> Any:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/hotline"
    runtime = Runtime(make_settings(tmp_path, url, redis_url))
    return create_app(runtime=runtime).test_client()


def answer_within_twilios_limit(
    client: Any, path: str, params: dict[str, str]
) -> tuple[Any, float]:
    """The response and how long it took; fails if Twilio would have given up first."""
    result: dict[str, Any] = {}

    def post() -> None:
        started = time.monotonic()
        result["response"] = twilio_post(client, path, params)
        result["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=post, daemon=True)
    thread.start()
    thread.join(TWILIO_LIMIT)
    assert not thread.is_alive(), f"{path} still waiting after Twilio's {TWILIO_LIMIT} s"
    return result["response"], result["seconds"]


def test_the_waits_add_up_to_well_under_twilios_limit() -> None:
    # A webhook may meet a full pool, then a connection attempt, then a retry of it.
    assert POOL_TIMEOUT + 2 * CONNECT_TIMEOUT < TWILIO_LIMIT / 2
    assert STATEMENT_TIMEOUT < TWILIO_LIMIT / 2


@pytest.mark.slow
@pytest.mark.parametrize("database", ["black hole", "closed port"])
def test_a_call_gets_the_safe_answer_when_the_database_is_dead(
    database: str, tmp_path: Path, redis_url: str, black_hole: int
) -> None:
    port = black_hole if database == "black hole" else free_port()
    client = dead_database_client(tmp_path, redis_url, port)
    response, seconds = answer_within_twilios_limit(client, "/voice/incoming", CALL)
    assert response.status_code == 200
    verbs = [v.tag for v in ET.fromstring(response.get_data(as_text=True))]  # noqa: S314
    assert verbs == ["Say", "Say", "Hangup"]
    print(f"{database}: safe answer after {seconds:.2f} s")
