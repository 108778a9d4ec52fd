"""`hotline prompts render --engine google`: Google Cloud Text-to-Speech (here the local
fake of its REST API, through the real client library) for the languages it has a voice
for, espeak-ng for the others; the manifest says which engine and voice made each file."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from hotline.cli import main
from hotline.languages import LANGUAGES
from hotline.voice.scripts import audio_dir, load_scripts
from tests.conftest import GOOGLE_PROJECT
from tests.fakes.google_tts import FakeGoogleTTS, start_fake_google_tts
from tests.test_cli import cli_env

ULAW = 7  # WAVE_FORMAT_MULAW, as every telephone placeholder


@pytest.fixture(scope="module")
def fake_tts() -> Iterator[FakeGoogleTTS]:
    fake = start_fake_google_tts()
    yield fake
    assert fake.server is not None
    fake.server.stop()


@pytest.fixture
def audio(tmp_path: Path) -> Path:
    folder = tmp_path / "audio"
    shutil.copytree(audio_dir(), folder)
    return folder


def render(settings: Any, audio: Path, fake: FakeGoogleTTS | None, *args: str) -> Any:
    env = {**cli_env(settings), "HOTLINE_AUDIO_DIR": str(audio)}
    if fake is not None:
        env |= {"GOOGLE_CLOUD_PROJECT": GOOGLE_PROJECT, "GOOGLE_TTS_ENDPOINT": fake.url}
    return CliRunner().invoke(main, ["prompts", "render", "--engine", "google", *args], env=env)


def wav_format(path: Path) -> tuple[int, int, int]:
    data = path.read_bytes()
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    return (
        int.from_bytes(data[20:22], "little"),  # format code
        int.from_bytes(data[22:24], "little"),  # channels
        int.from_bytes(data[24:28], "little"),  # sample rate
    )


@pytest.mark.slow
def test_google_speaks_urdu_and_espeak_ng_the_rest_and_the_manifest_says_which(
    settings: Any, audio: Path, fake_tts: FakeGoogleTTS
) -> None:
    fake_tts.requests.clear()
    (audio / "si" / "goodbye.wav").unlink()
    result = render(settings, audio, fake_tts, "--language", "ur", "--language", "si")
    assert result.exit_code == 0, result.output
    prompts = len(load_scripts().menu.prompt_names())  # every prompt of the menu
    assert f"{prompts + 1} file(s) rendered" in result.output

    # Every Urdu prompt went to Google with Urdu's voice, at telephone rate.
    assert len(fake_tts.requests) == prompts
    assert {r["voice"]["name"] for r in fake_tts.requests} == {"ur-IN-Standard-A"}
    assert {r["audioConfig"]["audioEncoding"] for r in fake_tts.requests} == {"LINEAR16"}
    ur = yaml.safe_load((audio / "ur" / "manifest.yaml").read_text("utf-8"))
    assert {(m["source"], m["engine"], m["voice"]) for m in ur.values()} == {
        ("google-tts", "google", "ur-IN-Standard-A")
    }
    assert wav_format(audio / "ur" / "main_menu.wav") == (ULAW, 1, 8000)

    # Sinhala has no Google voice: espeak-ng made the missing file, and says so.
    si = yaml.safe_load((audio / "si" / "manifest.yaml").read_text("utf-8"))
    voice = LANGUAGES["si"].espeak_voice
    assert (si["goodbye"]["engine"], si["goodbye"]["voice"]) == ("espeak-ng", voice)
    assert wav_format(audio / "si" / "goodbye.wav") == (ULAW, 1, 8000)

    # Up to date now: nothing is rendered or asked again.
    again = render(settings, audio, fake_tts, "--language", "ur", "--language", "si")
    assert again.exit_code == 0 and "0 file(s) rendered" in again.output
    assert len(fake_tts.requests) == prompts

    # Google's files count as a synthetic voice, not a person's.
    check = CliRunner().invoke(
        main, ["prompts", "check"], env={**cli_env(settings), "HOTLINE_AUDIO_DIR": str(audio)}
    )
    line = next(x for x in check.output.splitlines() if x.startswith("ur   |"))
    count = str(len(load_scripts().menu.prompt_names()))
    assert line.split("|")[1].split() == ["0", count, count, "0", "0"]


@pytest.mark.slow
def test_a_google_failure_is_one_clear_line_and_finished_files_are_kept(
    settings: Any, audio: Path, fake_tts: FakeGoogleTTS
) -> None:
    fake_tts.requests.clear()
    fake_tts.failures.clear()
    fake_tts.fail(503, times=100)
    result = render(settings, audio, fake_tts, "--language", "ur")
    assert result.exit_code == 1
    assert "Google unavailable" in result.output
    fake_tts.failures.clear()
    manifest = yaml.safe_load((audio / "ur" / "manifest.yaml").read_text("utf-8"))
    assert all(m["source"] == "espeak-ng" for m in manifest.values())  # untouched


def test_without_a_google_project_the_google_engine_says_what_is_missing(
    settings: Any, audio: Path
) -> None:
    result = render(settings, audio, None, "--language", "ur")
    assert result.exit_code == 1
    assert "Google Text-to-Speech is not configured (GOOGLE_CLOUD_PROJECT)" in result.output
