"""The menu graph of `ivr_scripts/menu.yaml`, validated: every node, key, action and
reference, each broken one a `Problem` with its file and line."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from hotline.languages import Language
from hotline.packs.problems import Problem, read_yaml, rel
from hotline.voice.actions.registry import is_action, nodes_missing_for_actions

MENU_KEYS = frozenset("0123456789*#")
# The keys printed on posters (DESIGN.md): the main menu must offer exactly these.
POSTER_MAIN_KEYS = frozenset("123490*")
SET_FIELDS: dict[str, set[object]] = {
    "number": {"caller_id"},
    "window": {"morning", "afternoon", "evening", "any"},
    "may_identify": {True, False},
    "sms_allowed": {True, False},
    "urgent": {True, False},
}
# The answers held per worker (hotline.callers.consent) that `ask_once` may name.
ASK_ONCE_FIELDS = frozenset({"window", "may_identify", "sms_allowed"})


@dataclass(frozen=True)
class KeyAction:
    goto: str | None = None
    action: str | None = None
    set: dict[str, Any] = field(default_factory=dict)
    play: tuple[str, ...] = ()


@dataclass(frozen=True)
class InputSpec:
    finish_on_key: str
    max_digits: int
    action: str


@dataclass(frozen=True)
class RecordSpec:
    max_length: int
    finish_on_key: str
    min_seconds: int
    retries: int


@dataclass(frozen=True)
class Node:
    name: str
    prompts: tuple[str, ...]
    keys: dict[str, KeyAction]
    max_failures: int
    on_fail: str
    hangup: bool = False
    input: InputSpec | None = None
    record: RecordSpec | None = None
    next: str | None = None
    without_caller_id: str | None = None
    # A question about one of the worker's standing choices, asked only while it is
    # unknown; when known, the call goes on to `skip_to` (where every key leads).
    ask_once: str | None = None
    skip_to: str | None = None


@dataclass(frozen=True)
class Menu:
    start: str
    nodes: dict[str, Node]
    max_failures: int
    gather_timeout: int
    intro_languages: tuple[str, ...]
    pages: tuple[tuple[str, ...], ...]
    code_prompts: tuple[str, ...]
    sms_templates: dict[str, tuple[str, ...]]
    # The rights topics also sent by SMS: (number, prompt), from the keys of the node
    # named by `sms_info_node` that play one prompt each.
    sms_topics: tuple[tuple[str, str], ...] = ()
    # A calling code shared by several languages -> those languages, in the order of
    # the keys that choose them (the question asked in each; hotline.voice.shared_code).
    shared_codes: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def prompt_names(self) -> list[str]:
        """Every prompt the call flow can play, in a stable order."""
        names: list[str] = []
        for node in self.nodes.values():
            names.extend(node.prompts)
            for key in node.keys.values():
                names.extend(key.play)
        names.extend(self.code_prompts)
        return list(dict.fromkeys(names))


def _skip_target(
    field_name: object, keys: dict[str, KeyAction], bad: Callable[[str], None]
) -> str | None:
    """Where an `ask_once` question goes when its answer is known: the one node every
    key leads to, each key having set that answer."""
    if field_name is None:
        return None
    if field_name not in ASK_ONCE_FIELDS:
        bad(f"ask_once must be one of: {', '.join(sorted(ASK_ONCE_FIELDS))}")
        return None
    targets = {spec.goto for spec in keys.values()}
    if not keys or any(field_name not in spec.set for spec in keys.values()):
        bad(f"every key must set {field_name}")
        return None
    if len(targets) != 1 or None in targets:
        bad("every key must go to the same node")
        return None
    return targets.pop()


def load_menu(root: Path, languages: dict[str, Language], problems: list[Problem]) -> Menu | None:
    path = root / "menu.yaml"
    data, lines = read_yaml(path, problems)
    if data is None:
        return None
    fname = rel(root, path)

    def bad(entry_path: tuple[str, ...], message: str) -> None:
        problems.append(Problem(fname, lines.get(*entry_path), ".".join(entry_path), message))

    if not isinstance(data, dict) or not isinstance(data.get("nodes"), dict):
        bad(("nodes",), "menu.yaml must have a `nodes` mapping")
        return None
    max_failures = int(data.get("max_failures", 3))
    nodes: dict[str, Node] = {}
    for name, raw in data["nodes"].items():
        where = ("nodes", str(name))
        if not isinstance(raw, dict):
            bad(where, "a node must be a mapping")
            continue
        keys: dict[str, KeyAction] = {}
        for key, spec in (raw.get("keys") or {}).items():
            key = str(key)
            kwhere = (*where, "keys", key)
            if key not in MENU_KEYS:
                bad(kwhere, f"{key!r} is not a telephone key")
                continue
            if not isinstance(spec, dict) or not ({"goto", "action"} & set(spec)):
                bad(kwhere, "a key needs `goto` or `action`")
                continue
            sets = dict(spec.get("set") or {})
            for field_name, value in sets.items():
                if value not in SET_FIELDS.get(field_name, set()):
                    bad(kwhere, f"cannot set {field_name} to {value!r}")
            keys[key] = KeyAction(
                goto=spec.get("goto"),
                action=spec.get("action"),
                set=sets,
                play=tuple(spec.get("play") or ()),
            )
        input_spec = None
        if "input" in raw:
            i = raw["input"]
            input_spec = InputSpec(
                finish_on_key=str(i.get("finish_on_key", "#")),
                max_digits=int(i.get("max_digits", 15)),
                action=str(i.get("action", "")),
            )
        record_spec = None
        if "record" in raw:
            r = raw["record"]
            record_spec = RecordSpec(
                max_length=int(r.get("max_length", 180)),
                finish_on_key=str(r.get("finish_on_key", "#")),
                min_seconds=int(r.get("min_seconds", 2)),
                retries=int(r.get("retries", 1)),
            )
        nodes[str(name)] = Node(
            name=str(name),
            prompts=tuple(raw.get("prompts") or ()),
            keys=keys,
            max_failures=int(raw.get("max_failures", max_failures)),
            on_fail=str(raw.get("on_fail", "fail_offer")),
            hangup=bool(raw.get("hangup", False)),
            input=input_spec,
            record=record_spec,
            next=raw.get("next"),
            without_caller_id=raw.get("without_caller_id"),
            ask_once=raw.get("ask_once"),
            skip_to=_skip_target(raw.get("ask_once"), keys, partial(bad, (*where, "ask_once"))),
        )

    # Every reference must name a node or an action that exists.
    for node in nodes.values():
        where = ("nodes", node.name)
        if not (node.keys or node.hangup or node.input or node.record):
            bad(where, "a node needs keys, input, record or hangup")
        refs: list[tuple[tuple[str, ...], str]] = (
            [(("on_fail",), node.on_fail)] if node.keys or node.input else []
        )
        if node.next is not None:
            refs.append((("next",), node.next))
        if node.without_caller_id is not None:
            refs.append((("without_caller_id",), node.without_caller_id))
        for key, spec in node.keys.items():
            if spec.goto is not None:
                refs.append((("keys", key), spec.goto))
            if spec.action is not None and not is_action(spec.action, "key"):
                bad((*where, "keys", key), f"unknown action {spec.action!r}")
        if node.input is not None and not is_action(node.input.action, "input"):
            bad((*where, "input"), f"unknown action {node.input.action!r}")
        if node.input is not None and node.next is None:
            bad(where, "an input node needs `next`")
        for sub, target in refs:
            if target not in nodes:
                bad((*where, *sub), f"unknown node {target!r}")
        if not node.prompts:
            bad(where, "a node needs at least one prompt")
    start = str(data.get("start", "main"))
    if start not in nodes:
        bad(("start",), f"unknown node {start!r}")
    if "main" in nodes and set(nodes["main"].keys) != POSTER_MAIN_KEYS:
        bad(("nodes", "main", "keys"), "the main menu must offer exactly 1 2 3 4 9 0 * (posters)")
    for needed in ("fail_offer", "goodbye"):
        if needed not in nodes:
            bad(("nodes",), f"node {needed!r} is required by the call flow")
    for message in nodes_missing_for_actions(set(nodes)):  # hotline/voice/actions/
        bad(("nodes",), message)

    selection = data.get("language_selection") or {}
    pages = tuple(tuple(str(c) for c in page) for page in selection.get("pages") or ())
    listed = [code for page in pages for code in page]
    for code in listed:
        if code not in languages:
            bad(("language_selection", "pages"), f"unknown language {code!r}")
    missing = sorted(set(languages) - set(listed))
    if missing or len(listed) != len(set(listed)):
        bad(
            ("language_selection", "pages"),
            f"pages must name every language once (missing: {', '.join(missing) or 'none'})",
        )
    intro = tuple(str(c) for c in selection.get("intro_languages") or ())
    for code in intro:
        if code not in languages or not languages[code].has_tts:
            bad(("language_selection", "intro_languages"), f"{code!r} has no Twilio voice")
    shared = _shared_codes(selection.get("shared_calling_codes"), languages, bad)
    templates = {
        str(k): tuple(str(v) for v in (vals or ()))
        for k, vals in (data.get("sms_templates") or {}).items()
    }
    sms_topics: list[tuple[str, str]] = []
    info_node = str(data.get("sms_info_node") or "")
    if info_node and info_node not in nodes:
        bad(("sms_info_node",), f"unknown node {info_node!r}")
    elif info_node:
        for key, spec in nodes[info_node].keys.items():
            if key.isdigit() and len(spec.play) == 1:
                sms_topics.append((key, spec.play[0]))
            elif key.isdigit():
                bad(("nodes", info_node, "keys", key), "an SMS topic plays exactly one prompt")
    return Menu(
        start=start,
        nodes=nodes,
        max_failures=max_failures,
        gather_timeout=int(data.get("gather_timeout", 6)),
        intro_languages=intro,
        pages=pages,
        code_prompts=tuple(str(p) for p in data.get("code_prompts") or ()),
        sms_templates=templates,
        sms_topics=tuple(sms_topics),
        shared_codes=shared,
    )


def _shared_codes(
    raw: object,
    languages: dict[str, Language],
    bad: Callable[[tuple[str, ...], str], None],
) -> dict[str, tuple[str, ...]]:
    """`language_selection.shared_calling_codes`: for each calling code that several
    languages share, the languages asked about, in key order (1, 2, ...)."""
    where = ("language_selection", "shared_calling_codes")
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        bad(where, "must map a calling code to its languages")
        return {}
    shared: dict[str, tuple[str, ...]] = {}
    for code, codes in raw.items():
        entry = (*where, str(code))
        names = tuple(str(c) for c in codes) if isinstance(codes, list) else ()
        if len(names) < 2 or len(names) > 9 or len(set(names)) != len(names):
            bad(entry, "list two to nine different languages (keys 1-9 choose them)")
            continue
        for name in names:
            if name not in languages:
                bad(entry, f"unknown language {name!r}")
            elif str(code) not in languages[name].calling_codes:
                bad(entry, f"{name!r} does not have calling code {code} in languages.csv")
        shared[str(code)] = names
    return shared
