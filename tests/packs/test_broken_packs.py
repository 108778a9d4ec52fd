"""A broken pack stops `hotline prompts check` and `hotline serve` alike, and both list
every problem with its file and line: a missing prompt, a calling code listed twice, a
calling code two languages share with no question, an unknown node, missing audio, an
unknown Twilio voice or font, and a gave-up SMS too long for two segments."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from hotline.callbacks.messages import gave_up_sms
from hotline.cli import main
from hotline.config import default_data_path
from hotline.languages import LANGUAGES
from hotline.packs.texts import MAX_GAVE_UP_SEGMENTS, current_packs
from hotline.sms.segments import count_segments
from tests.test_startup import env_for, invoke, no_serving, started  # noqa: F401 (fixture)


def edit(path: Path, old: str, new: str) -> int:
    """Replace `old` once; the 1-based line where it was."""
    text = path.read_text("utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), "utf-8")
    return text[: text.index(old)].count("\n") + 1


@pytest.fixture
def broken(tmp_path: Path) -> tuple[Path, Path, list[str]]:
    """Copies of the packs and audio, broken; with the `file:line: ...` each problem gives."""
    root, audio = tmp_path / "ivr_scripts", tmp_path / "audio"
    shutil.copytree(default_data_path("ivr_scripts"), root)
    shutil.copytree(default_data_path("audio"), audio)
    csv = root / "languages.csv"
    expected = []
    line = edit(root / "prompts" / "th.yaml", "  language_pick:\n", "  language_pock:\n")
    expected.append(f"prompts/th.yaml:{line}: prompts.language_pock: prompt is not used")
    expected.append("prompts/th.yaml:5: prompts: prompt 'language_pick' is missing")
    line = edit(csv, ",855,,,", ",855 855,,,")
    expected.append(
        f"ivr_scripts/languages.csv:{line}: calling_codes: calling code 855 is listed twice"
    )
    line = edit(csv, "한국어,82,", "한국어,82 84,")
    expected.append(
        f"ivr_scripts/languages.csv:{line}: calling_codes: duplicate calling code 84 (vi, ko)"
        " with no question"
    )
    line = edit(csv, "Google.th-TH-Standard-A", "Google.th-TH-Fancy-Z")
    expected.append(f"ivr_scripts/languages.csv:{line}: twilio_say_voice: 'Google.th-TH-Fancy-Z'")
    line = edit(csv, "UCS-2,Noto Sans Sinhala", "UCS-2,Comic Sans")
    expected.append(f"ivr_scripts/languages.csv:{line}: font: unknown font 'Comic Sans'")
    line = edit(root / "menu.yaml", '"3": {goto: voicemail}', '"3": {goto: voicemale}')
    expected.append(f"ivr_scripts/menu.yaml:{line}: nodes.main.keys.3: unknown node 'voicemale'")
    (audio / "ne" / "greeting.wav").unlink()
    expected.append("audio/ne/greeting.wav: greeting: audio file missing")
    hi = root / "packs" / "hi.yaml"
    line = edit(hi, "gave_up_sms:\n  text: ", "gave_up_sms:\n  text: " + "बहुत लंबा " * 20)
    expected.append(f"ivr_scripts/packs/hi.yaml:{line}: gave_up_sms: 5 SMS segments (at most 2)")
    edit(root / "sms" / "th.yaml", "keywords:", "keywordz:")
    line = edit(
        root / "sms" / "th.yaml", "language: th", "language: th"
    )  # where the mapping starts
    expected.append(f"sms/th.yaml:{line}: 'keywords' must be a mapping")
    return root, audio, expected


def test_prompts_check_lists_every_problem_by_file_and_line(
    broken: tuple[Path, Path, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, audio, expected = broken
    monkeypatch.setenv("HOTLINE_IVR_SCRIPTS", str(root))
    monkeypatch.setenv("HOTLINE_AUDIO_DIR", str(audio))
    result = CliRunner().invoke(main, ["prompts", "check"])
    assert result.exit_code == 1, result.output
    for problem in expected:
        assert problem in result.stderr, (problem, result.stderr)
    assert "Traceback" not in result.stderr


def test_serve_refuses_to_start_with_every_problem_listed(
    broken: tuple[Path, Path, list[str]], database_url: str, redis_url: str, tmp_path: Path
) -> None:
    root, audio, expected = broken
    env = env_for(
        database_url,
        redis_url,
        tmp_path,
        HOTLINE_IVR_SCRIPTS=str(root),
        HOTLINE_AUDIO_DIR=str(audio),
    )
    result = invoke("serve", env)
    assert result.exit_code == 1 and not started(result), result.output
    assert "refusing to start" in result.output
    for problem in expected:
        assert problem in result.output, (problem, result.output)


def test_a_declared_question_makes_a_shared_code_valid(tmp_path: Path) -> None:
    from hotline.packs.table import table_problems

    root = tmp_path / "ivr_scripts"
    shutil.copytree(default_data_path("ivr_scripts"), root)
    edit(root / "languages.csv", "한국어,82,", "한국어,82 84,")
    assert next(p.message for p in table_problems(root, {})).startswith("duplicate calling code 84")
    assert table_problems(root, {"84": ("vi", "ko")}) == []


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_gave_up_sms_exists_in_every_language_in_two_segments(language: str) -> None:
    text, written_in = gave_up_sms(language)
    assert written_in == language
    assert "CALL" in text
    assert count_segments(text).segments <= MAX_GAVE_UP_SEGMENTS, count_segments(text)
    if language != "en":
        assert (language, "gave_up_sms") in current_packs().unreviewed()


def test_there_are_22_languages_and_each_has_its_pack() -> None:
    assert len(LANGUAGES) == 22
    assert set(current_packs().packs) == set(LANGUAGES)
