"""A signed fuzz of every webhook and every agent API call, shared by the bounded test
(`tests/test_signed_fuzz.py`) and the on-demand run of 10,000 requests
(`benchmarks/signed_fuzz.py`).

Webhook requests are built by Hypothesis from what Twilio really sends (SIDs from a
small pool, so later steps meet calls that started, digits, statuses, numbers, texts,
recording and queue parameters) mixed with hostile values (control characters,
oversized ids, malformed SIDs, unknown parameters), and signed exactly as Twilio signs,
so they get past the signature check and reach the views. API requests are Hypothesis
JSON bodies against the real ids of a seeded database, plus Schemathesis cases from
the OpenAPI document (valid and invalid). Requests go through the WSGI app in this
process: nothing leaves the machine.

The run never stops at the first failure: it counts answers by status and keeps
every 5xx (route and exception), which must be none.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.core.result import Ok, Result
from twilio.request_validator import RequestValidator

from hotline.runtime import Runtime
from hotline.voice.scripts import get_scripts
from tests.builders import auth, make_agent, make_callback, worker_number
from tests.helpers import ACCOUNT_SID, AUTH_TOKEN, HOTLINE_NUMBER, PUBLIC_URL

# --- What a run found ----------------------------------------------------------------


@dataclass
class FuzzReport:
    statuses: Counter[int] = field(default_factory=Counter)
    per_route: Counter[str] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    def note(self, route: str, status: int, detail: str = "") -> None:
        self.statuses[status] += 1
        self.per_route[route] += 1
        if status >= 500:
            self.server_errors.append(f"{route}: {status} {detail}".strip())

    def summary(self) -> str:
        by_class = Counter(f"{status // 100}xx" for status in self.statuses.elements())
        return (
            f"{self.requests} requests in {self.seconds:.1f} s over {len(self.per_route)}"
            f" routes; {dict(sorted(by_class.items()))}; 5xx: {len(self.server_errors)}"
        )


# --- Webhooks ------------------------------------------------------------------------

HEX = "0123456789abcdef"
CALL_SIDS = [f"CA{n:032x}" for n in range(1, 9)]
MESSAGE_SIDS = [f"SM{n:032x}" for n in range(1, 9)]
RECORDING_SIDS = [f"RE{n:032x}" for n in range(1, 5)]
NUMBERS = [worker_number(n) for n in range(1, 6)] + ["anonymous", "+266696687", "", "+81"]

hostile_text = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40
) | st.sampled_from(["\x00", "a\x00b", "\x1b[2J", "\u202e", "%00", "' OR 1=1 --", "9" * 30])
small_or_huge_id = st.one_of(
    st.integers(0, 40).map(str),
    st.sampled_from([str(2**31 - 1), str(2**31), str(2**63), "9" * 25, "-1", "1e3", "", "x"]),
)
any_sid = st.one_of(
    st.sampled_from(CALL_SIDS + MESSAGE_SIDS + RECORDING_SIDS),
    st.text(st.sampled_from(HEX), min_size=32, max_size=32).map(lambda h: "CA" + h),
    st.sampled_from(["CA" + "a" * 70, "SM1", "", "CA" + "g" * 32, "MM" + "0" * 32]),
    hostile_text,
)


def _twilio_value(name: str, hostile: bool) -> st.SearchStrategy[str]:
    """Values for a parameter Twilio sends: realistic, or in a hostile request now and
    then something else."""
    realistic: dict[str, st.SearchStrategy[str]] = {
        "CallSid": st.sampled_from(CALL_SIDS),
        "MessageSid": st.sampled_from(MESSAGE_SIDS),
        "RecordingSid": st.sampled_from(RECORDING_SIDS),
        "AccountSid": st.just(ACCOUNT_SID),
        "From": st.sampled_from(NUMBERS),
        "To": st.just(HOTLINE_NUMBER),
        "Digits": st.sampled_from(
            ["1", "2", "3", "4", "9", "0", "*", "84#", "855#", "1#", "", "12", "#"]
        )
        | st.text(st.sampled_from("0123456789*#"), max_size=8),
        "Body": st.sampled_from(["HELP", "STOP", "START", "CALL", "LANG 84", "INFO 2", "hi"])
        | hostile_text,
        "CallStatus": st.sampled_from(
            ["queued", "ringing", "in-progress", "completed", "busy", "failed", "no-answer"]
        ),
        "MessageStatus": st.sampled_from(
            ["queued", "sent", "delivered", "undelivered", "failed", "received", "read"]
        ),
        "DialCallStatus": st.sampled_from(["completed", "busy", "no-answer", "failed"]),
        "RecordingStatus": st.sampled_from(["completed", "failed", "absent"]),
        "RecordingUrl": st.sampled_from(
            [
                f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/RE1",
                "https://attacker.example/steal",
                "",
            ]
        ),
        "RecordingDuration": small_or_huge_id,
        "CallDuration": small_or_huge_id,
        "DialCallDuration": small_or_huge_id,
        "QueueTime": small_or_huge_id,
        "QueuePosition": small_or_huge_id,
        "QueueResult": st.sampled_from(["bridged", "hangup", "leave", "error", ""]),
        "NumMedia": small_or_huge_id,
        "MediaUrl0": st.sampled_from(["https://api.twilio.com/media/1", "javascript:1", ""]),
        "ErrorCode": st.sampled_from(["30003", "21610", "", "x", "9" * 25]),
        "SpeechResult": hostile_text,
    }
    base = realistic.get(name, st.sampled_from(["", "x", "1"]))
    if not hostile:
        return base
    return st.one_of(base, base, any_sid if name.endswith("Sid") else hostile_text)


COMMON = ["CallSid", "AccountSid", "From", "To"]
ROUTE_PARAMS: dict[str, list[str]] = {
    "/voice/incoming": COMMON,
    "/voice/language": [*COMMON, "Digits"],
    "/voice/node/<name>": [*COMMON, "Digits", "SpeechResult"],
    "/voice/record/<name>": [*COMMON, "RecordingSid", "RecordingUrl", "RecordingDuration"],
    "/voice/recording": [*COMMON, "RecordingSid", "RecordingUrl", "RecordingStatus"],
    "/voice/queue/wait": [*COMMON, "QueueTime", "QueuePosition"],
    "/voice/queue/key": [*COMMON, "Digits"],
    "/voice/queue/done": [*COMMON, "QueueResult", "QueueTime"],
    "/voice/staff/pin": [*COMMON, "Digits"],
    "/voice/staff/language": [*COMMON, "Digits"],
    "/voice/staff/recorded": [*COMMON, "RecordingSid", "RecordingUrl", "RecordingDuration"],
    "/voice/staff/review": [*COMMON, "Digits"],
    "/voice/status": [*COMMON, "CallStatus", "CallDuration"],
    "/sms/incoming": ["MessageSid", "AccountSid", "From", "To", "Body", "NumMedia", "MediaUrl0"],
    "/sms/status": ["MessageSid", "AccountSid", "MessageStatus", "ErrorCode"],
    "/voice/callbacks/<int:callback_id>/agent": [*COMMON, "CallStatus"],
    "/voice/callbacks/<int:callback_id>/connect": [*COMMON, "Digits"],
    "/voice/callbacks/<int:callback_id>/dial-status": [
        *COMMON,
        "DialCallStatus",
        "DialCallDuration",
    ],
    "/voice/callbacks/<int:callback_id>/agent-status": [*COMMON, "CallStatus", "CallDuration"],
    "/voice/live/agent": COMMON,
}
QUERY_ARGS = ["s", "p", "f", "t", "empty", "m", "attempt", "agent", "lang", "i"]


def operation_of(result: Result[Any, Any]) -> Any:
    """The operation schemathesis read from the document (failing on a schema it could not)."""
    assert isinstance(result, Ok), result.err()
    return result.ok()


def webhook_routes(app: Any) -> list[str]:
    """Every POST route under /voice/ and /sms/, as the app declares them."""
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if "POST" in (rule.methods or ()) and rule.rule.startswith(("/voice/", "/sms/"))
    )


@st.composite
def webhook_request(draw: Any, routes: list[str], node_names: list[str]) -> tuple[str, str, dict]:
    # A call or a text starts a quarter of the time, so later steps meet known SIDs.
    starts = [r for r in routes if r in ("/voice/incoming", "/sms/incoming")]
    rule = draw(
        st.sampled_from(starts) if draw(st.integers(0, 3)) == 0 else st.sampled_from(routes)
    )
    hostile = draw(st.integers(0, 2)) == 0
    path = rule.replace(
        "<name>", draw(st.sampled_from(node_names) | st.text("abcxyz_-", min_size=1, max_size=9))
    ).replace("<int:callback_id>", draw(small_or_huge_id.filter(lambda v: v.isdigit())))
    names = ROUTE_PARAMS.get(rule, COMMON)
    # Now and then a parameter is missing, and unknown ones come along.
    form = {
        name: draw(_twilio_value(name, hostile)) for name in names if draw(st.integers(0, 19)) > 0
    }
    for _ in range(draw(st.integers(0, 2))):
        form[draw(hostile_text if hostile else st.sampled_from(["ApiVersion", "Caller"]))] = draw(
            hostile_text if hostile else st.sampled_from(["2010-04-01", "x"])
        )
    query_value = small_or_huge_id | st.sampled_from(["vi", "km", "xx"])
    query = {
        arg: draw(query_value | hostile_text if hostile else query_value)
        for arg in draw(st.lists(st.sampled_from(QUERY_ARGS), max_size=3, unique=True))
    }
    if query:
        path += "?" + urlencode(query)
    return rule, path, form


def post_signed(client: Any, path: str, form: dict[str, str]) -> Any:
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + path, form)
    return client.post(
        path,
        data=urlencode(form).encode("ascii"),
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": signature},
    )


def fuzz_webhooks(app: Any, report: FuzzReport, examples: int, seed: int) -> None:
    client = app.test_client()
    routes = webhook_routes(app)
    node_names = sorted(get_scripts().menu.nodes)

    @given(request=webhook_request(routes, node_names))
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=False,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @_seeded(seed)
    def exercise(request: tuple[str, str, dict[str, str]]) -> None:
        rule, path, form = request
        try:
            response = post_signed(client, path, form)
        except Exception as exc:  # counted as the 500 a server would answer
            report.note(rule, 500, f"{type(exc).__name__}: {str(exc)[:200]}")
            return
        report.note(rule, response.status_code, response.get_data()[:200].decode(errors="replace"))

    exercise()


def _seeded(seed: int) -> Any:
    from hypothesis import seed as hypothesis_seed

    return hypothesis_seed(seed)


# --- The agent API ---------------------------------------------------------------------

API_FIELDS = ["text", "note", "outcome", "available", "language", "agent_id", "status"]
json_value = st.one_of(
    hostile_text,
    st.sampled_from(["reached", "no_answer", "busy", "wrong_number", "unsafe", "vi", "en"]),
    st.booleans(),
    st.none(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False),
    st.lists(st.integers(0, 5), max_size=3),
)


@dataclass(frozen=True)
class Seeded:
    tokens: list[str]
    case_ids: list[int]
    callback_ids: list[int]


def seed_data(runtime: Runtime) -> Seeded:
    """Cases and callbacks in three languages, an adviser and a supervisor."""
    cases, callbacks = [], []
    for n, language in enumerate(("vi", "vi", "km", "en", "vi", "ne"), start=1):
        callback_id, case_id = make_callback(runtime, phone=worker_number(n), language=language)
        cases.append(case_id)
        callbacks.append(callback_id)
    adviser = make_agent(runtime, name="Fuzz adviser", languages="vi,en").token
    lead = make_agent(runtime, name="Fuzz lead", languages="en", role="supervisor").token
    return Seeded([adviser, lead], cases, callbacks)


@st.composite
def api_request(draw: Any, routes: list[tuple[str, str]], data: Seeded) -> tuple:
    method, rule = draw(st.sampled_from(routes))
    ids = {
        "case_id": data.case_ids,
        "callback_id": data.callback_ids,
        "voicemail_id": [1, 2],
    }
    path = rule
    for name, pool in ids.items():
        value = draw(st.sampled_from(pool) | st.integers(0, 2**31 - 1))
        path = path.replace(f"<int:{name}>", str(value))
    body: Any = {name: draw(json_value) for name in draw(st.sets(st.sampled_from(API_FIELDS)))}
    raw = draw(
        st.sampled_from(["json", "json", "json", "junk", "list", "empty"]),
    )
    if raw == "junk":
        content = draw(st.binary(max_size=40))
    elif raw == "list":
        content = json.dumps([body]).encode()
    elif raw == "empty":
        content = b""
    else:
        content = json.dumps(body).encode()
    token = draw(st.sampled_from([*data.tokens, "wrong-token"]))
    return rule, method, path, content, token


def api_routes(app: Any) -> list[tuple[str, str]]:
    return sorted(
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
        for method in (rule.methods or ())
        if method in ("GET", "POST")
    )


def fuzz_api(app: Any, data: Seeded, report: FuzzReport, examples: int, seed: int) -> None:
    client = app.test_client()

    @given(request=api_request(api_routes(app), data))
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @_seeded(seed)
    def exercise(request: tuple[str, str, str, bytes, str]) -> None:
        rule, method, path, content, token = request
        try:
            response = client.open(
                path,
                method=method,
                data=content,
                content_type="application/json",
                headers=auth(token),
            )
        except Exception as exc:
            report.note(rule, 500, f"{type(exc).__name__}: {str(exc)[:200]}")
            return
        report.note(rule, response.status_code, response.get_data()[:200].decode(errors="replace"))

    exercise()


def fuzz_api_schema(
    app: Any, data: Seeded, report: FuzzReport, examples_per_operation: int, seed: int
) -> None:
    """Schemathesis cases from the OpenAPI document, valid and invalid."""
    api = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        for result in api.get_all_operations():
            _fuzz_operation(operation_of(result), mode, data, report, examples_per_operation, seed)


def _fuzz_operation(
    operation: Any, mode: Any, data: Seeded, report: FuzzReport, examples: int, seed: int
) -> None:
    route = f"{operation.method.upper()} {operation.path}"
    headers = auth(data.tokens[0])

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @_seeded(seed)
    def exercise(case: Any) -> None:
        try:
            response = case.call(headers=headers)
        except Exception as exc:
            report.note(route, 500, f"{type(exc).__name__}: {str(exc)[:200]}")
            return
        report.note(route, response.status_code, response.text[:200])

    exercise()


def run(app: Any, runtime: Runtime, total: int, seed: int = 0) -> FuzzReport:
    """`total` requests: 60% webhooks, 25% API bodies, 15% Schemathesis cases."""
    report = FuzzReport()
    app.config["PROPAGATE_EXCEPTIONS"] = True  # an exception is reported, not just a 500
    started = time.perf_counter()
    data = seed_data(runtime)
    operations = len(
        list(schemathesis.openapi.from_wsgi("/api/openapi.json", app).get_all_operations())
    )
    fuzz_webhooks(app, report, examples=total * 60 // 100, seed=seed)
    fuzz_api(app, data, report, examples=total * 25 // 100, seed=seed)
    per_operation = max(1, (total - report.requests) // (2 * operations))
    fuzz_api_schema(app, data, report, per_operation, seed)
    report.seconds = time.perf_counter() - started
    return report
