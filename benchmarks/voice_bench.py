"""Signed voice webhooks under gunicorn at 50 concurrent callers, in one run: the
bare-Flask ceiling, the one-INSERT floor, `/voice/incoming` for new and for returning
callers, and one menu navigation step.

The hotline runs as `hotline serve` on PostgreSQL (its own database, default
`hotline_bench_voice`, dropped and migrated first) and a Redis database of its own
(flushed after the run). The hotline, the ceiling and the floor run at once and take
turns, `--rounds` rounds in an order that rotates (as in `sms_bench`); the hotline's
turn is these phases, each timed on its own, with numbers new to that round:

- incoming, new callers: `/voice/incoming` from numbers never seen (the caller and the
  call rows, the language menu as TwiML);
- (untimed) those callers choose Vietnamese (`84`), so they are known;
- incoming, returning callers: the same numbers call again (one read: caller, case
  status, staff PINs; one write: the call; the greeting and the main menu);
- navigation: the main menu's key `4` (information), a step answered from its signed
  URL alone (no database round trip).

Every request carries a valid X-Twilio-Signature (and the navigation URLs the state MAC
the hotline would have given them), computed before the clock starts. The ceiling is a
Flask app answering the same URLs with constant TwiML; the floor is the ceiling plus one
durable INSERT of each form into the same PostgreSQL. Both run under gunicorn with the
settings `hotline serve` uses, access log included. Goals (issue 13):
`/voice/incoming` ≥ 0.5 × the floor, a navigation step ≥ 0.5 × the ceiling.

    .venv/bin/python benchmarks/voice_bench.py --calls 3000 --rounds 5 --concurrency 50 \\
        --database hotline_bench_voice --redis redis://127.0.0.1:6379/13 --port 7200

Loopback only; the run is bounded by --calls.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import secrets
import statistics
import sys
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import redis
from twilio.request_validator import RequestValidator

# gunicorn imports this file as `benchmarks.voice_bench`, so `common` is not a sibling
# on the path by itself.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    FLOOR_DSN,
    PUBLIC_URL,
    SECRET,
    TOKEN,
    Request,
    Result,
    add_server_options,
    bare_flask,
    ceiling_command,
    drive,
    hotline_command,
    hotline_env,
    prepare_database,
    print_failures,
    serving,
    with_cpu,
    with_one_insert,
)

from hotline.voice.state import signed_query

CONSTANT_TWIML = (
    '<?xml version="1.0" encoding="UTF-8"?><Response><Gather action="'
    + PUBLIC_URL
    + '/voice/language?s=1&amp;c=1&amp;p=0&amp;f=0&amp;k=0" finishOnKey="#" timeout="6">'
    '<Say language="en-US">Enter your country code.</Say></Gather></Response>'
)


def bare_app() -> Any:
    """The ceiling: Flask parsing the same forms and answering constant TwiML."""
    from flask import Response, request

    app = bare_flask()

    @app.post("/voice/incoming")
    @app.post("/voice/language")
    @app.post("/voice/node/<name>")
    def step(name: str = "") -> Response:
        request.form.get("CallSid")
        return Response(CONSTANT_TWIML, content_type="text/xml; charset=utf-8")

    return app


def floor_app() -> Any:
    """The floor: the ceiling plus one durable INSERT of each request's form."""
    return with_one_insert(bare_app())


def _signed(path: str, params: dict[str, str]) -> Request:
    signature = RequestValidator(TOKEN).compute_signature(PUBLIC_URL + path, params)
    return (path, urlencode(params).encode(), signature)


def _call(number: int) -> dict[str, str]:
    return {
        "CallSid": "CA" + secrets.token_hex(16),
        "AccountSid": "AC" + "0" * 32,
        "From": f"+81900{number:07d}",
        "To": "+81500000000",
        "CallStatus": "in-progress",
        "Direction": "inbound",
    }


def _step_path(sid: str, path: str, params: dict[str, object]) -> str:
    """A step URL as the hotline signs it for call `sid` (hotline.voice.state)."""
    return f"{path}?{signed_query(SECRET, sid, path, params)}"


def incoming(numbers: range) -> list[list[Request]]:
    return [[_signed("/voice/incoming", _call(n))] for n in numbers]


def choose_language(numbers: range) -> list[list[Request]]:
    """A new caller's whole first call: incoming, then `84` for Vietnamese."""
    calls = []
    for n in numbers:
        params = _call(n)
        path = _step_path(params["CallSid"], "/voice/language", {"s": 1, "c": "1", "p": 0, "f": 0})
        calls.append(
            [_signed("/voice/incoming", params), _signed(path, {**params, "Digits": "84"})]
        )
    return calls


def navigation(count: int) -> list[list[Request]]:
    """Key 4 in the main menu of a known Vietnamese caller's call."""
    steps = []
    for n in range(count):
        params = {**_call(n), "Digits": "4"}
        state = {"s": 3, "l": "vi", "c": "1", "f": 0}
        steps.append([_signed(_step_path(params["CallSid"], "/voice/node/main", state), params)])
    return steps


def gathered(status: int, body: bytes) -> bool:
    """Every step measured answers with a menu: a missing `<Gather` is an error too."""
    return status == 200 and b"<Gather" in body


def timed(base: str, name: str, load: list[list[Request]], conc: int) -> Result:
    return asyncio.run(drive(name, base, load, conc, gathered))


GOALS = (  # phase, goal, against
    ("new", 0.5, "floor"),
    ("returning", 0.5, "floor"),
    ("navigation", 0.5, "ceiling"),
)
NAMES = {
    "new": "incoming, new",
    "returning": "incoming, returning",
    "navigation": "navigation step",
    "ceiling": "ceiling (bare Flask)",
    "floor": "floor (bare Flask)",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000, help="requests per phase, in all")
    parser.add_argument(
        "--rounds", type=int, default=5, help="turns the three servers take, in rotation"
    )
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--port", type=int, default=7200, help="first of three ports")
    add_server_options(parser, database="hotline_bench_voice", redis_db=13)
    args = parser.parse_args()

    url = prepare_database(args.postgres, args.database)
    env = hotline_env(url, args.redis, "hotline-voice-bench-")
    floor_env = {**env, FLOOR_DSN: env["DATABASE_URL"]}
    conc, per_round = args.concurrency, max(1, args.calls // args.rounds)
    print(
        f"{per_round * args.rounds} signed requests per phase in {args.rounds} rounds, "
        f"{conc} concurrent callers, gunicorn {args.workers} workers x {args.threads} "
        f"threads, {os.cpu_count()} cores"
    )
    rounds: list[dict[str, Result]] = []
    with ExitStack() as stack:
        hotline = stack.enter_context(serving(hotline_command(args.port, args), env, args.port))
        ceiling, floor = (
            stack.enter_context(serving(ceiling_command(port, args, app), floor_env, port))
            for port, app in (
                (args.port + 1, "benchmarks.voice_bench:bare_app()"),
                (args.port + 2, "benchmarks.voice_bench:floor_app()"),
            )
        )
        timed(hotline, "warm-up", choose_language(range(9_000_000, 9_000_200)), conc)
        for base in (hotline, ceiling, floor):
            timed(base, "warm-up", navigation(200), conc)

        def hotline_phases(numbers: range) -> dict[str, Result]:
            # Signed before the clock starts; new numbers, then the same numbers again
            # once their first calls (untimed) have chosen Vietnamese.
            first, chosen, again = incoming(numbers), choose_language(numbers), incoming(numbers)
            steps = navigation(len(numbers))
            out = {"new": with_cpu(hotline, NAMES["new"], first, conc, gathered)}
            timed(hotline, "language chosen", chosen, conc)
            out["returning"] = with_cpu(hotline, NAMES["returning"], again, conc, gathered)
            out["navigation"] = with_cpu(hotline, NAMES["navigation"], steps, conc, gathered)
            return out

        for number in range(args.rounds):
            numbers = range(1_000_000 + number * per_round, 1_000_000 + (number + 1) * per_round)
            turns: list[Callable[[], dict[str, Result]]] = [
                functools.partial(hotline_phases, numbers),
                lambda: {
                    "ceiling": with_cpu(
                        ceiling, NAMES["ceiling"], navigation(per_round), conc, gathered
                    )
                },
                lambda: {
                    "floor": with_cpu(
                        floor, NAMES["floor"], incoming(range(per_round)), conc, gathered
                    )
                },
            ]
            turn = number % len(turns)
            results: dict[str, Result] = {}
            for phases in turns[turn:] + turns[:turn]:
                results.update(phases())
            rounds.append(results)
            print(
                f"round {number + 1}: "
                + ", ".join(f"{key} {results[key].rps:5.0f}" for key in NAMES)
                + " req/s; "
                + ", ".join(
                    f"{key} / {against} {results[key].rps / results[against].rps:.0%}"
                    for key, _, against in GOALS
                ),
                flush=True,
            )
    redis.Redis.from_url(args.redis).flushdb()
    pooled = {key: Result.pooled([r[key] for r in rounds]) for key in NAMES}
    for result in pooled.values():
        print(result.line())
    for result in pooled.values():
        print(result.cpu_line())
    for key, goal, against in GOALS:
        ratio = pooled[key].rps / pooled[against].rps
        median = statistics.median(r[key].rps / r[against].rps for r in rounds)
        verdict = "met" if min(ratio, median) >= goal else "NOT met"
        print(
            f"{NAMES[key]} / {against}: {ratio:.0%} of the whole run, rounds' median "
            f"{median:.0%} (goal {goal:.0%}: {verdict})"
        )
    print(f"floor / ceiling: {pooled['floor'].rps / pooled['ceiling'].rps:.0%}")
    print_failures()


if __name__ == "__main__":
    main()
