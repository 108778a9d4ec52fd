"""The privacy texts state the retention periods the deletion job uses: spoken (by
Twilio, or in recorded audio for languages it cannot speak) and by SMS, filled from the
settings, never written a second time."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from hotline.languages import LANGUAGES
from hotline.sms.scripts import MAX_HELP_SEGMENTS, WORST_CASE_VALUES, default_scripts
from hotline.sms.segments import count_segments
from hotline.voice.render import render_placeholders, text_hash
from hotline.voice.scripts import ScriptError, audio_dir, ivr_scripts_dir, load_scripts
from tests.sms.helpers import reply_of, text_in
from tests.voice.helpers import place_call

DEFAULTS = {"voicemail_days": "30", "content_days": "365"}


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"retain_voicemail_audio_days": 14, "retain_content_days": 90}


def test_a_new_caller_hears_the_configured_periods(client: Any) -> None:
    says = " ".join(place_call(client, "1#").says())

    assert "We delete voice messages 14 days after your case is closed" in says
    assert "your texts and notes 90 days after" in says
    assert "{" not in says


def test_help_by_sms_states_the_configured_periods(client: Any) -> None:
    reply = reply_of(text_in(client, "HELP"))

    assert reply is not None
    assert "voice messages 14 days and texts 90 days after your case closes" in reply


def test_every_language_states_both_periods_in_speech_and_sms() -> None:
    scripts = load_scripts()
    sms = default_scripts()
    for code in LANGUAGES:
        spoken = scripts.text(
            code, "privacy_notice", {"voicemail_days": "71", "content_days": "83"}
        )
        written = sms.reply(code, "privacy", voicemail_days="71", content_days="83")
        for text in (spoken, written):
            assert "71" in text and "83" in text and "{" not in text, code
        help_and_privacy = (
            sms.reply(code, "help") + "\n" + sms.reply(code, "privacy", **WORST_CASE_VALUES)
        )
        assert count_segments(help_and_privacy).segments <= MAX_HELP_SEGMENTS, code


def test_a_privacy_notice_without_a_period_is_a_script_error(tmp_path: Path) -> None:
    root = tmp_path / "ivr_scripts"
    shutil.copytree(ivr_scripts_dir(), root)
    path = root / "prompts" / "id.yaml"
    path.write_text(path.read_text("utf-8").replace("{content_days}", "365"), "utf-8")

    with pytest.raises(ScriptError) as caught:
        load_scripts(root, audio_dir())

    assert "id.yaml" in str(caught.value) and "privacy_notice" in str(caught.value)


def test_recorded_placeholder_audio_states_the_default_periods() -> None:
    """Nepali, Burmese, Sinhala, Urdu and Uzbek hear audio rendered from the filled text:
    the manifests say which text, so stale audio cannot go unnoticed."""
    scripts = load_scripts()
    for code, lang in LANGUAGES.items():
        if lang.has_tts or lang.espeak_voice is None:
            continue
        manifest = yaml.safe_load((audio_dir() / code / "manifest.yaml").read_text("utf-8"))
        filled = scripts.text(code, "privacy_notice", DEFAULTS)
        assert manifest["privacy_notice"]["text"] == text_hash(filled), code


def test_changing_a_period_re_renders_the_spoken_notice_and_only_it(tmp_path: Path) -> None:
    audio = tmp_path / "audio"
    shutil.copytree(audio_dir() / "ne", audio / "ne")
    shutil.copytree(audio_dir() / "tones", audio / "tones")
    scripts = load_scripts(audio_root=audio)

    unchanged = render_placeholders(scripts, ["ne"], values=DEFAULTS)
    changed = render_placeholders(
        scripts, ["ne"], values={"voicemail_days": "14", "content_days": "90"}
    )

    assert [r.prompt for r in unchanged if r.skipped is None] == []
    assert [r.prompt for r in changed if r.skipped is None] == ["privacy_notice"]
    manifest = yaml.safe_load((audio / "ne" / "manifest.yaml").read_text("utf-8"))
    assert manifest["privacy_notice"]["text"] == text_hash(
        scripts.text("ne", "privacy_notice", {"voicemail_days": "14", "content_days": "90"})
    )
