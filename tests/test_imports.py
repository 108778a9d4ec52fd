"""Who may import whom (docs/architecture.md), checked on the source: every `import` in
`hotline`, those inside functions included, so a lazy import cannot hide a circle.

Only imports under `if TYPE_CHECKING:` are left out: they are never executed.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "hotline"

# Shared plumbing: knows no domain, no web page, no entry point.
PLUMBING = {
    "hotline.audit",
    "hotline.clients",
    "hotline.clock",
    "hotline.config",
    "hotline.crypto",
    "hotline.db",
    "hotline.encryption",
    "hotline.errors",
    "hotline.folders",
    "hotline.inputs",
    "hotline.instance",
    "hotline.jobs",
    "hotline.jobs.models",
    "hotline.jobs.transport",
    "hotline.languages",
    "hotline.logs",
    "hotline.migrate",  # Alembic commands; the migrations load the models themselves
    "hotline.pdf",
    "hotline.redis_conn",
    "hotline.runtime",
    "hotline.telephony",
    "hotline.twiml_xml",
    "hotline.unreachable",
    "hotline.wakeup",
    "hotline.webhooks",
    "hotline.yamltext",
}
# Entry points and edges: the app factory, the worker, the CLI, the API, webhooks and web
# pages. They put the domains together; no domain and no plumbing imports them.
EDGE_MODULES = {
    "hotline",
    "hotline.cli",
    "hotline.commands",
    "hotline.demo",
    "hotline.fast_path",
    "hotline.handlers",
    "hotline.health",
    "hotline.metrics",
    "hotline.review.commands",
    "hotline.sms.inbound_cli",
    "hotline.training.mount",
    "hotline.server",
    "hotline.web.blueprint",
    "hotline.web.common",
    "hotline.web.floor",
    "hotline.worker",
}
EDGE_PACKAGES = ("hotline.api",)
EDGE_NAMES = ("cli", "routes", "views")  # a domain's own CLI commands, webhooks and pages


def layer(module: str) -> int:
    """0: plumbing, 1: a domain, 2: an edge."""
    if module in PLUMBING:
        return 0
    last = module.rsplit(".", 1)[-1]
    if (
        module in EDGE_MODULES
        or module.startswith(tuple(p + "." for p in EDGE_PACKAGES))
        or module in EDGE_PACKAGES
        or last in EDGE_NAMES
        or last.endswith("_views")
    ):
        return 2
    return 1


LAYER_NAMES = {0: "plumbing", 1: "a domain", 2: "an edge"}


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported_names(tree: ast.AST, module: str, is_package: bool) -> set[str]:
    """Every module name an import statement in `tree` names, at any depth."""
    names: set[str] = set()
    pending: list[ast.AST] = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.If) and _type_checking_only(node):
            pending.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            names |= {f"{target}.{alias.name}" for alias in node.names}
        pending.extend(ast.iter_child_nodes(node))
    return names


def import_graph() -> dict[str, set[str]]:
    """module -> the `hotline` modules it imports (a name imported from a package counts
    as the submodule when there is one, else as the package)."""
    known = modules()
    graph: dict[str, set[str]] = {}
    for module, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        targets: set[str] = set()
        for name in _imported_names(tree, module, path.name == "__init__.py"):
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != module:
                targets.add(name)
        graph[module] = targets
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle as [a, b, ..., a], or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)) is not None:
            return found
    return None


def test_the_check_sees_imports_inside_functions_and_relative_ones() -> None:
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from hotline.web import views\n"
        "def f():\n    from hotline.sms import outbound\n"
        "from .models import Call\n"
    )
    names = _imported_names(tree, "hotline.voice.flow", is_package=False)
    assert "hotline.sms.outbound" in names
    assert "hotline.voice.models.Call" in names
    assert not any(name.startswith("hotline.web") for name in names)


def test_the_cycle_finder_finds_a_circle_through_three_modules() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


@pytest.mark.slow
def test_no_module_of_hotline_imports_itself_back_through_others() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "import circle: " + " -> ".join(cycle or [])


@pytest.mark.slow
@pytest.mark.parametrize("lower", [0, 1])
def test_no_layer_imports_a_layer_above_it(lower: int) -> None:
    wrong = sorted(
        f"{module} ({LAYER_NAMES[lower]}) imports {target} ({LAYER_NAMES[layer(target)]})"
        for module, targets in import_graph().items()
        if layer(module) == lower
        for target in targets
        if layer(target) > lower
    )
    assert wrong == []
