"""The OpenAPI document and the application agree: nothing under /api/ is served that the
document does not describe, and nothing is described that is not served."""

from __future__ import annotations

import re
from typing import Any

from hotline.agents.openapi import document

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
