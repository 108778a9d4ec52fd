"""ivr_scripts/ as data: validation with file, line and entry, and the coverage report."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from hotline.cli import main
from hotline.languages import LANGUAGES
from hotline.voice.scripts import (
    POSTER_MAIN_KEYS,
    ScriptError,
    audio_dir,
    coverage,
    ivr_scripts_dir,
    load_scripts,
)


@pytest.fixture
def scripts_copy(tmp_path: Path) -> Path:
    target = tmp_path / "ivr_scripts"
    shutil.copytree(ivr_scripts_dir(), target)
    return target


def problems_of(root: Path) -> list[Any]:
    with pytest.raises(ScriptError) as caught:
        load_scripts(root, audio_dir())
    return caught.value.problems


@pytest.mark.slow
def test_the_shipped_scripts_load_for_all_22_languages() -> None:
    scripts = load_scripts()
    assert set(scripts.languages) == set(LANGUAGES) and len(LANGUAGES) == 22
    assert set(scripts.menu.nodes["main"].keys) == POSTER_MAIN_KEYS


@pytest.mark.slow
def test_every_prompt_resolves_to_speakable_text_or_an_existing_file_in_all_22_languages() -> None:
    scripts = load_scripts()
    for row in coverage(scripts):
        lang = LANGUAGES[row.language]
        if lang.has_tts:
            assert row.how == "tts" and scripts.text(row.language, row.prompt).strip()
        elif lang.espeak_voice is not None:
            audio = scripts.audio(row.language, row.prompt)
            assert audio is not None and audio.path.stat().st_size > 100, row
        else:
            # Khmer and Mongolian wait for people's recordings; the call flow sends
            # their callers to a callback request (tests in test_calls.py).
            assert row.how in ("missing", "audio"), row


@pytest.mark.slow
def test_machine_drafted_texts_are_unreviewed_outside_english() -> None:
    scripts = load_scripts()
    for code, prompts in scripts.languages.items():
        if code != "en":
            assert not any(p.reviewed for p in prompts.prompts.values()), code


@pytest.mark.slow
def test_an_unknown_node_is_reported_with_its_file_line_and_entry(scripts_copy: Path) -> None:
    menu = scripts_copy / "menu.yaml"
    menu.write_text(menu.read_text().replace('"3": {goto: voicemail}', '"3": {goto: voicemale}'))
    problems = problems_of(scripts_copy)
    assert len(problems) == 1
    problem = problems[0]
    assert problem.file.endswith("menu.yaml") and problem.entry == "nodes.main.keys.3"
    assert "voicemale" in problem.message
    line = menu.read_text().splitlines()[problem.line - 1]
    assert '"3"' in line


@pytest.mark.slow
def test_a_prompt_missing_in_one_language_names_that_file(scripts_copy: Path) -> None:
    path = scripts_copy / "prompts" / "vi.yaml"
    lines = path.read_text("utf-8").splitlines()
    start = lines.index("  emergency_marked:")
    del lines[start : start + 3]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    problems = problems_of(scripts_copy)
    assert [(p.file, "emergency_marked" in p.message) for p in problems] == [
        ("ivr_scripts/prompts/vi.yaml", True)
    ]


@pytest.mark.slow
def test_an_sms_template_with_a_wrong_placeholder_is_reported(scripts_copy: Path) -> None:
    path = scripts_copy / "prompts" / "th.yaml"
    path.write_text(path.read_text("utf-8").replace("{reference}", "{ref}"), "utf-8")
    (problem,) = problems_of(scripts_copy)
    assert problem.entry == "sms.callback_confirmation" and problem.line is not None


@pytest.mark.slow
def test_the_main_menu_keys_are_fixed_by_the_posters(scripts_copy: Path) -> None:
    menu = scripts_copy / "menu.yaml"
    menu.write_text(menu.read_text().replace('"9": {action: change_language}', ""))
    assert any("posters" in p.message for p in problems_of(scripts_copy))


@pytest.mark.slow
def test_prompts_check_prints_the_coverage_table_and_passes(monkeypatch: Any) -> None:
    result = CliRunner().invoke(main, ["prompts", "check"])
    assert result.exit_code == 0, result.output
    header = result.output.splitlines()[0].split()
    assert header == list(LANGUAGES)
    assert "km: 55 prompt(s) without audio" in result.output
    assert "mn: 55 prompt(s) without audio" in result.output


@pytest.mark.slow
def test_prompts_check_fails_when_a_placeholder_can_be_made_but_is_missing(
    tmp_path: Path, monkeypatch: Any
) -> None:
    audio = tmp_path / "audio"
    shutil.copytree(audio_dir(), audio)
    (audio / "si" / "goodbye.wav").unlink()
    monkeypatch.setenv("HOTLINE_AUDIO_DIR", str(audio))
    result = CliRunner().invoke(main, ["prompts", "check"])
    assert result.exit_code == 1
    assert "audio/si/goodbye.wav: goodbye: audio file missing" in result.output


@pytest.mark.slow
def test_prompts_check_fails_on_a_broken_reference(scripts_copy: Path, monkeypatch: Any) -> None:
    menu = scripts_copy / "menu.yaml"
    menu.write_text(menu.read_text().replace("on_fail: goodbye", "on_fail: goodby"))
    monkeypatch.setenv("HOTLINE_IVR_SCRIPTS", str(scripts_copy))
    result = CliRunner().invoke(main, ["prompts", "check"])
    assert result.exit_code == 1
    assert "menu.yaml:" in result.output and "unknown node 'goodby'" in result.output
