"""The SMS scripts in ivr_scripts/sms: complete, short enough, and validated on load."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hotline.languages import LANGUAGES
from hotline.sms.inbound import calling_code_choices
from hotline.sms.scripts import (
    COMMON_REPLIES,
    MAX_REPLY_SEGMENTS,
    REPLIES,
    WORST_CASE_VALUES,
    ScriptError,
    default_scripts,
    load,
    sms_scripts_dir,
)
from hotline.sms.segments import count_segments

ENGLISH_WORDS = {"stop", "start", "help", "call", "lang", "status", "info"}


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_every_reply_in_every_language_fits_in_two_segments(language: str) -> None:
    scripts = default_scripts()
    native = LANGUAGES[language].native_name
    for key, placeholders in REPLIES.items():
        values = {**WORST_CASE_VALUES, "language": native}
        text = scripts.reply(language, key, **{k: values[k] for k in placeholders})
        count = count_segments(text)
        assert count.segments <= MAX_REPLY_SEGMENTS, (language, key, count)


def test_the_language_neutral_replies_fit_in_two_segments() -> None:
    scripts = default_scripts()
    values = {**WORST_CASE_VALUES, "codes": calling_code_choices()}
    for key, placeholders in COMMON_REPLIES.items():
        text = scripts.common(key, **{k: values[k] for k in placeholders})
        assert count_segments(text).segments <= MAX_REPLY_SEGMENTS, key
    # Every supported language can be chosen from the list.
    for lang in LANGUAGES.values():
        assert lang.calling_codes[0] in calling_code_choices().split()


@pytest.mark.parametrize("language", sorted(set(LANGUAGES) - {"en"}))
def test_every_language_has_its_own_words_for_stop_help_and_call(language: str) -> None:
    script = default_scripts().languages[language]
    for keyword in ("stop", "help", "call"):
        own = [w for w in script.keywords[keyword] if w.casefold() not in ENGLISH_WORDS]
        assert own, (language, keyword)
        assert default_scripts().match(own[0]) is not None


def test_machine_drafted_texts_are_listed_for_review() -> None:
    pending = default_scripts().unreviewed()
    assert ("vi", "replies.help") in pending
    assert ("km", "keywords.stop") in pending


# --- the validator ------------------------------------------------------------------


@pytest.fixture
def scripts_dir(tmp_path: Path) -> Path:
    target = tmp_path / "sms"
    shutil.copytree(sms_scripts_dir(), target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")


def test_the_shipped_scripts_load(scripts_dir: Path) -> None:
    assert set(load(scripts_dir).languages) == set(LANGUAGES)


def test_a_missing_language_file_is_an_error(scripts_dir: Path) -> None:
    (scripts_dir / "km.yaml").unlink()
    with pytest.raises(ScriptError, match=r"km\.yaml: missing SMS script"):
        load(scripts_dir)


def test_a_missing_required_keyword_names_file_and_line(scripts_dir: Path) -> None:
    edit(scripts_dir / "th.yaml", "  call:", "  unused_call:")
    with pytest.raises(ScriptError, match=r"th\.yaml:\d+: unknown keyword 'unused_call'"):
        load(scripts_dir)


def test_an_unknown_placeholder_names_file_and_line(scripts_dir: Path) -> None:
    edit(scripts_dir / "fr.yaml", "Référence {reference}.", "Référence {case_number}.")
    with pytest.raises(ScriptError, match=r"fr\.yaml:\d+: .*unknown placeholder \{case_number\}"):
        load(scripts_dir)


def test_a_word_meaning_two_keywords_is_an_error(scripts_dir: Path) -> None:
    edit(scripts_dir / "id.yaml", '["BANTUAN", "TOLONG"]', '["BANTUAN", "TOLONG", "DUNG"]')
    with pytest.raises(ScriptError, match=r"'DUNG' means HELP here but STOP in .*vi\.yaml"):
        load(scripts_dir)


def test_an_unquoted_yes_which_yaml_reads_as_true_is_an_error(scripts_dir: Path) -> None:
    edit(scripts_dir / "common.yaml", '["UNSTOP", "YES"]', '["UNSTOP", YES]')
    with pytest.raises(ScriptError, match=r"common\.yaml:\d+: .*True.*quote it"):
        load(scripts_dir)


def test_a_review_flag_must_be_true_or_false(scripts_dir: Path) -> None:
    edit(scripts_dir / "ne.yaml", "reviewed: false}", "reviewed: maybe}")
    with pytest.raises(ScriptError, match=r"ne\.yaml:\d+: .*'reviewed: true' or 'reviewed: false'"):
        load(scripts_dir)


def test_a_duplicate_key_is_an_error(scripts_dir: Path) -> None:
    edit(
        scripts_dir / "ko.yaml",
        "replies:\n",
        "replies:\n  help:\n    text: x\n    reviewed: false\n",
    )
    with pytest.raises(ScriptError, match=r"ko\.yaml:\d+: duplicate key 'help'"):
        load(scripts_dir)


def test_a_missing_reply_is_an_error(scripts_dir: Path) -> None:
    edit(scripts_dir / "ur.yaml", "  status_unknown:", "  status_unknown_old:")
    with pytest.raises(ScriptError, match=r"ur\.yaml:\d+: unknown reply 'status_unknown_old'"):
        load(scripts_dir)
