"""Schemathesis generates requests from the OpenAPI document, valid and invalid; the API
must never answer with a 5xx, and every answer must match the document.

Operations are driven one by one with Hypothesis (schemathesis' pytest plugin loader
does not run under pytest 9), a bounded number of examples each.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from hotline import create_app
from hotline.runtime import Runtime
from tests.builders import make_agent, make_callback, make_organisation, worker_number
from tests.signed_fuzz import operation_of

pytestmark = pytest.mark.slow  # fuzzing

EXAMPLES_PER_OPERATION = 20
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_api_never_answers_5xx_and_matches_its_document(
    twilio_runtime: Runtime, mode: GenerationMode
) -> None:
    for n, language in enumerate(("vi", "vi", "km", "en"), start=1):
        make_callback(twilio_runtime, phone=worker_number(n), language=language)
    make_organisation(twilio_runtime)  # referrals to organisation 1 can succeed
    token = make_agent(twilio_runtime, languages="vi,en").token
    app = create_app(runtime=twilio_runtime)
    app.testing = True
    api = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    headers = {"Authorization": f"Bearer {token}"}

    operations = [operation_of(result) for result in api.get_all_operations()]
    assert len(operations) >= 10
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def exercise(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        exercise()
