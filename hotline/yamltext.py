"""YAML as the project reads it: always the safe loader, libyaml's C parser when PyYAML was
built with it (ten times faster than the pure-Python one on the language packs, which
every app and every `prompts check` reads)."""

from __future__ import annotations

from typing import Any

import yaml

SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse(text: str) -> Any:
    """The data of a YAML document (safe types only)."""
    return yaml.load(text, Loader=SafeLoader)  # noqa: S506 (a safe loader)


def parse_with_nodes(text: str) -> tuple[Any, yaml.Node | None]:
    """The data of a YAML document and its node tree (for line numbers), parsed once."""
    loader = SafeLoader(text)
    try:
        node = loader.get_single_node()
        return (loader.construct_document(node) if node is not None else None), node
    finally:
        loader.dispose()
