"""One kind of problem for every pack file: where it is (file and line) and what is wrong."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from hotline import yamltext


@dataclass(frozen=True)
class Problem:
    """One broken reference: where it is and what is wrong."""

    file: str
    line: int | None
    entry: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return (
            f"{where}: {self.entry}: {self.message}" if self.entry else f"{where}: {self.message}"
        )


class ScriptError(Exception):
    """The packs are broken; `problems` lists every broken reference."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


class Lines:
    """Line numbers of mapping keys, read from the YAML node tree."""

    def __init__(self, node: yaml.Node | None) -> None:
        self.lines: dict[tuple[str, ...], int] = {}
        if node is not None:
            self._walk(node, ())

    def _walk(self, node: yaml.Node, path: tuple[str, ...]) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                sub = (*path, str(key.value))
                self.lines[sub] = key.start_mark.line + 1
                self._walk(value, sub)

    def get(self, *path: str) -> int | None:
        return self.lines.get(path)


def rel(root: Path, path: Path) -> str:
    """`path` as named in a problem: relative to the folder above `ivr_scripts/`."""
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)


def read_yaml(path: Path, problems: list[Problem], name: str | None = None) -> tuple[Any, Lines]:
    """The file's data and key lines; a missing or invalid file is a problem (and None)."""
    name = name or path.name
    try:
        text = path.read_text("utf-8")
        data, node = yamltext.parse_with_nodes(text)
        return data, Lines(node)
    except FileNotFoundError:
        problems.append(Problem(name, None, path.name, "file is missing"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problems.append(Problem(name, line, path.name, f"not valid YAML: {exc}"))
    return None, Lines(None)
