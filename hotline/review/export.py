"""`hotline prompts export`: reviewed and edited versions written back to the pack files.

Only the `text:` and `reviewed:` values of the changed entries are rewritten, in place,
at the positions the YAML parser reports: comments, order, indentation and every other
entry stay exactly as they were, so the diff a reviewer's work makes is the work itself.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml
from sqlalchemy.orm import Session

from hotline.review.live import latest_versions
from hotline.review.packs import Packs, PackText, pack_texts


@dataclass(frozen=True)
class Change:
    item: PackText
    text: str
    reviewed: bool


def pending_changes(session: Session, p: Packs, languages: Iterable[str]) -> list[Change]:
    """The latest versions that differ from the files (text or review flag)."""
    versions = latest_versions(session)
    changes = []
    for language in languages:
        for item in pack_texts(p, language):
            version = versions.get((language, item.channel, item.key))
            if version is None:
                continue
            if version.text != item.text or version.reviewed != item.reviewed:
                changes.append(Change(item, version.text, version.reviewed))
    return changes


def _child(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    return next((v for k, v in node.value if str(k.value) == key), None)


def _entry(root: yaml.Node | None, section: str, name: str) -> yaml.MappingNode | None:
    entry = _child(_child(root, section), name)
    return entry if isinstance(entry, yaml.MappingNode) else None


def _value(entry: yaml.MappingNode, key: str) -> yaml.ScalarNode | None:
    found = _child(entry, key)
    return found if isinstance(found, yaml.ScalarNode) else None


def patch(text: str, changes: list[Change]) -> str:
    """The file's text with each change's `text:` and `reviewed:` values replaced."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    spans: list[tuple[int, int, str]] = []
    for change in changes:
        entry = _entry(root, change.item.section, change.item.name)
        if entry is None:
            raise ValueError(
                f"{change.item.file}: {change.item.section}.{change.item.name} "
                "is not where the loader found it"
            )
        text_node, flag_node = _value(entry, "text"), _value(entry, "reviewed")
        if text_node is None or flag_node is None:
            raise ValueError(f"{change.item.file}: {change.item.name} lacks text or reviewed")
        start, end = text_node.start_mark.index, text_node.end_mark.index
        new = json.dumps(change.text, ensure_ascii=False)
        if text[start:end].endswith("\n"):  # a block scalar's span takes its line end
            new += "\n"
        spans.append((start, end, new))
        flag = "true" if change.reviewed else "false"
        spans.append((flag_node.start_mark.index, flag_node.end_mark.index, flag))
    for start, end, new in sorted(spans, reverse=True):
        text = text[:start] + new + text[end:]
    return text


def export(changes: list[Change], source_root: Path, out: Path | None = None) -> list[Path]:
    """Write the changes into the pack files (or copies of them under `out`)."""
    by_file: dict[Path, list[Change]] = {}
    for change in changes:
        by_file.setdefault(change.item.file, []).append(change)
    written = []
    for path, file_changes in sorted(by_file.items()):
        target = path if out is None else out / path.relative_to(source_root)
        target.parent.mkdir(parents=True, exist_ok=True)
        if out is not None and not target.exists():
            shutil.copyfile(path, target)
        patched = patch(target.read_text("utf-8"), file_changes)
        target.write_text(patched, "utf-8")
        written.append(target)
    return written
