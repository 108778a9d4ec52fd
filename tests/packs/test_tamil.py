"""Adding a language is a data-only change: a Tamil pack in a copy of the packs
(HOTLINE_IVR_SCRIPTS pointing at it) passes `hotline prompts check`, a caller keying
94# is asked Sinhala or Tamil in each language and is then served in Tamil, and a
text in Tamil is answered in Tamil."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from hotline.callbacks.messages import gave_up_sms
from hotline.cli import main
from hotline.languages import LANGUAGES, languages_for_calling_code
from hotline.sms.script_guess import guess_language
from tests.packs.tamil import (
    TAMIL_GAVE_UP,
    TAMIL_GREETING,
    TAMIL_HELP,
    TAMIL_HELP_WORD,
    TAMIL_PICK,
    add_tamil,
)
from tests.sms.helpers import reply_of, text_in
from tests.voice.helpers import call_row, place_call


@pytest.fixture
def tamil_packs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = add_tamil(tmp_path / "ivr_scripts")
    monkeypatch.setenv("HOTLINE_IVR_SCRIPTS", str(root))
    return root


@pytest.fixture
def settings_overrides(tamil_packs: Path) -> dict[str, Any]:
    return {"ivr_scripts_path": tamil_packs}


def test_the_tamil_pack_passes_prompts_check(tamil_packs: Path) -> None:
    result = CliRunner().invoke(main, ["prompts", "check"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].split()[-1] == "ta"
    assert "all references resolve" in result.output


def test_a_call_keying_94_is_asked_sinhala_or_tamil_and_goes_on_in_tamil(
    client: Any, runtime: Any
) -> None:
    assert [lang.code for lang in languages_for_calling_code("94")] == ["si", "ta"]
    result = place_call(client, "94#2")
    heard = result.heard
    # The question: Sinhala's line (a recording) and key 1, Tamil's line and key 2.
    pick_at = next(i for i, h in enumerate(heard) if h.text == TAMIL_PICK)
    assert heard[pick_at].language == "ta-IN"
    assert heard[pick_at + 1].text == "2"
    sinhala = [h.url or "" for h in heard[:pick_at] if h.kind == "play"]
    assert any("/si/language_pick" in url for url in sinhala), result.transcript()
    greeting = next(h for h in heard[pick_at:] if h.text == TAMIL_GREETING)
    assert greeting.language == "ta-IN"
    assert call_row(runtime, result.call_sid).language == "ta"


def test_a_wrong_key_repeats_the_question_and_91_asks_hindi_or_tamil(
    client: Any, runtime: Any
) -> None:
    result = place_call(client, "91#7 1")
    says = result.says()
    assert says.count(TAMIL_PICK) == 2  # asked again after the key 7
    assert call_row(runtime, result.call_sid).language == "hi"


@pytest.mark.slow
def test_a_text_in_tamil_is_answered_in_tamil(client: Any, runtime: Any) -> None:
    reply = reply_of(text_in(client, TAMIL_HELP_WORD))
    assert reply is not None and reply.startswith(TAMIL_HELP)
    assert guess_language(TAMIL_HELP) == "ta"
    assert gave_up_sms("ta") == (TAMIL_GAVE_UP, "ta")
    assert LANGUAGES["ta"].font == "Noto Sans Tamil"
