"""The menu engine and its actions: every action registered with the nodes it needs, so
`prompts check` catches a menu.yaml edit that would break calls; no Flask inside."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

import hotline.voice.actions as actions_package
from hotline.cli import main
from hotline.voice import engine, language_choice, state, turn
from hotline.voice.actions.registry import ACTIONS, INPUT_ACTIONS, KEY_ACTIONS
from hotline.voice.scripts import ivr_scripts_dir


@pytest.fixture
def scripts_copy(tmp_path: Path, monkeypatch: Any) -> Path:
    target = tmp_path / "ivr_scripts"
    shutil.copytree(ivr_scripts_dir(), target)
    monkeypatch.setenv("HOTLINE_IVR_SCRIPTS", str(target))
    return target


def rename_node(scripts: Path, old: str, new: str) -> None:
    """Rename a node and every reference to it in menu.yaml (the prompts keep theirs)."""
    menu = scripts / "menu.yaml"
    text = menu.read_text("utf-8")
    text = re.sub(rf"^  {old}:", f"  {new}:", text, flags=re.M)
    text = re.sub(rf"(goto|without_caller_id|next|on_fail): {old}\b", rf"\1: {new}", text)
    menu.write_text(text, "utf-8")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("node", "action"),
    [
        ("callback_number", "queue_done"),
        ("callback_other_number", "submit_callback"),
        ("talk_unavailable", "talk_now"),
        ("voicemail", "record_voicemail"),
    ],
)
def test_renaming_a_node_an_action_needs_fails_prompts_check(
    scripts_copy: Path, node: str, action: str
) -> None:
    rename_node(scripts_copy, node, f"{node}_renamed")
    # Consistent within menu.yaml: every `goto:` follows the rename...
    menu = yaml.safe_load((scripts_copy / "menu.yaml").read_text("utf-8"))
    assert node not in menu["nodes"] and f"{node}_renamed" in menu["nodes"]
    result = CliRunner().invoke(main, ["prompts", "check"])
    # ...but the code still sends callers there: the check names node and action.
    assert result.exit_code == 1, result.output
    assert f"node {node!r} is required by action {action!r}" in result.output


def test_the_shipped_menu_passes_and_names_only_registered_actions() -> None:
    result = CliRunner().invoke(main, ["prompts", "check"])
    assert result.exit_code == 0, result.output
    menu = yaml.safe_load((ivr_scripts_dir() / "menu.yaml").read_text("utf-8"))
    named = {
        spec["action"]
        for node in menu["nodes"].values()
        for spec in (node.get("keys") or {}).values()
        if "action" in spec
    }
    inputs = {node["input"]["action"] for node in menu["nodes"].values() if "input" in node}
    assert named <= set(KEY_ACTIONS) and inputs <= set(INPUT_ACTIONS)
    for spec in ACTIONS.values():
        assert spec.handler.__module__.startswith("hotline.voice.actions."), spec.where


def test_an_action_menu_yaml_names_but_no_module_registers_fails_the_check(
    scripts_copy: Path,
) -> None:
    menu = scripts_copy / "menu.yaml"
    menu.write_text(menu.read_text("utf-8").replace("action: mark_urgent", "action: mark_urgen"))
    result = CliRunner().invoke(main, ["prompts", "check"])
    assert result.exit_code == 1
    assert "unknown action 'mark_urgen'" in result.output


def test_a_step_action_cannot_be_named_as_a_key_action(scripts_copy: Path) -> None:
    menu = scripts_copy / "menu.yaml"
    menu.write_text(menu.read_text("utf-8").replace("action: mark_urgent", "action: queue_done"))
    result = CliRunner().invoke(main, ["prompts", "check"])
    assert result.exit_code == 1
    assert "unknown action 'queue_done'" in result.output


ENGINE_MODULES = [engine, turn, state, language_choice, *actions_package.__dict__.values()]


@pytest.mark.parametrize(
    "module",
    [m for m in ENGINE_MODULES if getattr(m, "__file__", None)],
    ids=lambda m: m.__name__,
)
def test_the_engine_and_its_actions_know_nothing_of_flask(module: Any) -> None:
    source = Path(module.__file__).read_text("utf-8")
    assert not re.search(r"^\s*(from|import) (flask|werkzeug)\b", source, flags=re.M)
    assert not re.search(r"(?<![\w.])(current_app|request|g)\.\w", source)
