"""The OpenAPI document and the application agree: nothing under /api/ is served that the
document does not describe, and nothing is described that is not served."""

from __future__ import annotations

import re
from typing import Any

from hotline.api.openapi import document

IGNORED_METHODS = {"HEAD", "OPTIONS"}


def served_operations(app: Any) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        found |= {(path, method.lower()) for method in rule.methods - IGNORED_METHODS}
    return found


def documented_operations() -> set[tuple[str, str]]:
    return {(path, method) for path, ops in document()["paths"].items() for method in ops}


def test_every_api_route_is_documented_and_every_documented_route_served(app: Any) -> None:
    served = served_operations(app)
    documented = documented_operations()
    assert served - documented == set(), "served but not in /api/openapi.json"
    assert documented - served == set(), "documented but not served"


def test_every_path_parameter_is_declared(app: Any) -> None:
    for path, operations in document()["paths"].items():
        names = set(re.findall(r"{(\w+)}", path))
        for method, operation in operations.items():
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == names, (path, method)


def test_all_of_api_is_served_by_the_api_package_and_the_audio_route_is_compared(
    app: Any,
) -> None:
    api_rules = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/")]
    assert {rule.endpoint.split(".")[0] for rule in api_rules} == {"api"}
    audio = ("/api/voicemails/{voicemail_id}/audio", "get")
    assert audio in served_operations(app)
    assert audio in documented_operations()
