"""Prompt audio: served to Twilio at stable, cacheable URLs; rendered at telephone quality."""

from __future__ import annotations

import shutil
import struct
from pathlib import Path
from typing import Any

import pytest

from hotline.voice.scripts import audio_dir, load_scripts
from tests.conftest import UNDER_CI


def wav_format(data: bytes) -> tuple[int, int, int]:
    """(format tag, channels, sample rate) from a RIFF/WAVE header."""
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    offset = 12
    while offset < len(data):
        chunk, size = (
            data[offset : offset + 4],
            struct.unpack("<I", data[offset + 4 : offset + 8])[0],
        )
        if chunk == b"fmt ":
            tag, channels, rate = struct.unpack("<HHI", data[offset + 8 : offset + 16])
            return tag, channels, rate
        offset += 8 + size
    raise AssertionError("no fmt chunk")


def test_every_audio_file_is_served_as_cacheable_audio_without_a_signature(client: Any) -> None:
    files = sorted(p for p in audio_dir().rglob("*.wav"))
    assert len(files) > 200
    for path in files:
        rel = path.relative_to(audio_dir())
        response = client.get(f"/audio/{rel.as_posix()}?v=1")
        assert response.status_code == 200, rel
        assert response.content_type == "audio/wav"
        assert response.cache_control.public and response.cache_control.max_age >= 86400
        assert response.get_data() == path.read_bytes()


def test_shipped_placeholders_are_8khz_mono_and_small() -> None:
    total = 0
    for path in audio_dir().rglob("*.wav"):
        data = path.read_bytes()
        tag, channels, rate = wav_format(data)
        assert (channels, rate) == (1, 8000), path
        assert tag in (1, 7)  # PCM or μ-law
        total += len(data)
    assert total < 20 * 1024 * 1024


@pytest.mark.parametrize(
    "path",
    [
        "/audio/xx/greeting.wav",
        "/audio/ne/greeting.ogg",
        "/audio/ne/..%2Fmanifest.yaml",
        "/audio/ne/manifest.yaml",
        "/audio/ne/nothing_here.wav",
        "/audio/km/greeting.wav",
    ],
)
def test_anything_but_an_existing_prompt_file_is_404(client: Any, path: str) -> None:
    assert client.get(path).status_code == 404


def test_a_conditional_request_for_unchanged_audio_is_304(client: Any) -> None:
    first = client.get("/audio/ne/greeting.wav")
    again = client.get("/audio/ne/greeting.wav", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


espeak = pytest.mark.skipif(
    not UNDER_CI and (shutil.which("espeak-ng") is None or shutil.which("sox") is None),
    reason="espeak-ng and sox are not installed (apt-get install -y espeak-ng sox)",
)


@espeak
@pytest.mark.slow
def test_render_makes_telephone_quality_placeholders_and_keeps_human_recordings(
    tmp_path: Path,
) -> None:
    from hotline.voice.render import render_placeholders

    audio = tmp_path / "audio"
    (audio / "uz").mkdir(parents=True)
    human = audio / "uz" / "greeting.wav"
    human.write_bytes(b"RIFF-by-a-person")
    scripts = load_scripts(audio_root=audio)
    done = render_placeholders(scripts, ["uz"])
    made = {r.prompt for r in done if r.skipped is None}
    assert "greeting" not in made and "main_menu" in made
    assert human.read_bytes() == b"RIFF-by-a-person"
    assert wav_format((audio / "uz" / "main_menu.wav").read_bytes())[1:] == (1, 8000)
    again = render_placeholders(scripts, ["uz"])
    assert all(r.skipped for r in again)
