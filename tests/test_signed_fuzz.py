"""A bounded signed fuzz of every webhook and agent API call: never a 5xx. The run of
10,000 requests is `benchmarks/signed_fuzz.py` (figures in docs/reliability.md)."""

from __future__ import annotations

import pytest

from hotline import create_app
from hotline.runtime import Runtime
from tests.conftest import both_backends
from tests.signed_fuzz import run

pytestmark = pytest.mark.slow  # fuzzing

REQUESTS = 400


@both_backends
def test_signed_fuzz_of_every_webhook_and_api_call_never_answers_5xx(
    twilio_runtime: Runtime, backend: str
) -> None:
    app = create_app(runtime=twilio_runtime)
    report = run(app, twilio_runtime, REQUESTS, seed=1 if backend == "sqlite" else 2)
    assert report.server_errors == [], report.summary()
    assert report.requests >= REQUESTS * 0.9
    # Every route was reached, and most requests got past the signature to a view.
    assert len(report.per_route) >= 30
    assert report.statuses[403] < report.requests * 0.05
    # A good share succeeded. Requests the fuzzer itself sent with a wrong token (401) are
    # left out, and the bound leaves room: the seeded draws, and so the share, move by a
    # few points whenever an API route is added (at 20% of all it failed on a new route).
    assert report.statuses[200] > (report.requests - report.statuses[401]) * 0.15
