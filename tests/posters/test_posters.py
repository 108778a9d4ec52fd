"""Posters and wallet cards: every language renders, and what a worker needs is on it —
the number, `<calling code>#`, the menu keys and the SMS keywords in their own script —
read back from the PDF with pdftotext; the command and the supervisors' page."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from hotline.cli import main
from hotline.config import Settings
from hotline.languages import LANGUAGES
from hotline.posters.poster import NUMBER_PLACEHOLDER, poster_content, render_pdf
from hotline.voice.scripts import POSTER_TEXTS, ScriptError, audio_dir, load_scripts
from tests.builders import PASSWORD, make_agent
from tests.pdf_text import page_count, pdftotext, words
from tests.web.helpers import sign_in

NUMBER = "+815012345678"  # made up; dialled in Japan as 050-1234-5678
PAGES = {"a4": 1, "card": 2}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_overrides(twilio_number=NUMBER)


def _pdf_words(pdf: bytes, tmp_path: Path, *, right_to_left: bool = False) -> str:
    # Drawing order keeps the card's two columns apart; pdftotext reorders right-to-left
    # (Urdu) text into reading order only when it lays the page out itself.
    return words(pdftotext(pdf, tmp_path, raw=not right_to_left))


@pytest.mark.parametrize("page_format", ["a4", "card"])
@pytest.mark.parametrize("code", sorted(LANGUAGES))
@pytest.mark.slow
def test_every_language_prints_its_number_key_menu_and_keywords(
    settings: Settings, code: str, page_format: str, tmp_path: Path, caplog: Any
) -> None:
    caplog.set_level(logging.WARNING)
    pdf = render_pdf(settings, code, page_format)
    assert page_count(pdf, tmp_path) == PAGES[page_format]
    poster = poster_content(settings, code)
    text = _pdf_words(pdf, tmp_path, right_to_left=poster.right_to_left)

    selection = f"{LANGUAGES[code].calling_codes[0]}#"
    assert poster.selection == selection and selection in text
    assert "050-1234-5678" in text
    for item in poster.keys:
        assert words(item.text.own) in text, (item.key, item.text.own)
    assert [item.key for item in poster.keys] == ["1", "2", "3", "4", "9", "0", "*"]
    assert "110 · 119" in text
    for keyword in poster.keywords:
        assert keyword.english in text
        printed = keyword.own if page_format == "a4" else keyword.own[:1]  # the card: one
        for word in printed:
            # Right-to-left, `زبان 92` reads back as `92 زبان`: each part must be there.
            parts = word.split() if poster.right_to_left else [word]
            assert all(words(part) in text for part in parts), word
    assert [k.english for k in poster.keywords][:3] == ["STOP", "START", "HELP"]
    if code != "en":
        assert poster.keywords[0].own, "the language's own word for STOP is printed"
    if page_format == "a4":
        assert words(poster.headline.ja) in text and words(poster.headline.en) in text
        assert words(poster.keys[0].text.ja) in text and words(poster.keys[0].text.en) in text
    # A glyph no installed font has is drawn as an empty box and logged by WeasyPrint.
    assert not [r for r in caplog.records if ".notdef" in r.getMessage()]


def test_the_vietnamese_poster_reads_as_a_vietnamese_worker_needs_it(
    settings: Settings, tmp_path: Path
) -> None:
    text = _pdf_words(render_pdf(settings, "vi", "a4"), tmp_path)
    for expected in (
        "Gọi số này",
        "84#",
        "Nói chuyện ngay với tư vấn viên",
        "DỪNG / NGỪNG",
        "STOP",
        "GIÚP / TRỢ GIÚP",
        "NGÔN NGỮ 84",
        "LANG 84",
        "今すぐ相談員と話す",  # Japanese beside
        "Talk to an adviser now",  # and English
    ):
        assert expected in text, expected


def test_without_a_hotline_number_the_poster_says_so_instead_of_inventing_one(
    settings: Settings, tmp_path: Path
) -> None:
    pdf = render_pdf(settings.with_overrides(twilio_number=None), "ne", "a4")
    text = _pdf_words(pdf, tmp_path)
    assert NUMBER_PLACEHOLDER in text
    assert "977#" in text


def test_poster_command_writes_the_pdf_for_one_language(tmp_path: Path) -> None:
    out = tmp_path / "my-card.pdf"
    env = {
        "TWILIO_NUMBER": NUMBER,
        "HOTLINE_INSTANCE_PATH": str(tmp_path / "instance"),
        "HOTLINE_SECRET_KEY": "poster-test-secret-key-0123456789",
    }
    args = ["poster", "--lang", "my", "--format", "card", "--out", str(out)]
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code == 0, result.output
    pdf = out.read_bytes()
    assert page_count(pdf, tmp_path) == 2
    assert "95#" in _pdf_words(pdf, tmp_path)


def test_poster_command_makes_an_a4_poster_by_default_and_warns_without_a_number(
    tmp_path: Path,
) -> None:
    out = tmp_path / "poster.pdf"
    env = {
        "TWILIO_NUMBER": None,
        "HOTLINE_INSTANCE_PATH": str(tmp_path / "instance"),
        "HOTLINE_SECRET_KEY": "poster-test-secret-key-0123456789",
    }
    result = CliRunner().invoke(main, ["poster", "--lang", "km", "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    assert "TWILIO_NUMBER is not set" in result.output
    pdf = out.read_bytes()
    assert page_count(pdf, tmp_path) == 1
    assert NUMBER_PLACEHOLDER in _pdf_words(pdf, tmp_path)


def test_an_unknown_language_is_a_one_line_error_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "poster.pdf"
    env = {"HOTLINE_INSTANCE_PATH": str(tmp_path / "instance")}
    result = CliRunner().invoke(main, ["poster", "--lang", "xx", "--out", str(out)], env=env)
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: unknown language 'xx'; choose one of: " + ", ".join(sorted(LANGUAGES))
    ]
    assert not out.exists()


def test_a_missing_poster_text_is_reported_with_its_file_and_line(tmp_path: Path) -> None:
    from hotline.voice.scripts import ivr_scripts_dir

    root = tmp_path / "ivr_scripts"
    shutil.copytree(ivr_scripts_dir(), root)
    path = root / "prompts" / "km.yaml"
    lines = path.read_text("utf-8").splitlines(keepends=True)
    start = lines.index("  key_3:\n")
    del lines[start : start + 3]
    lines.append('  key_8:\n    text: "no such key"\n    reviewed: false\n')
    path.write_text("".join(lines), "utf-8")
    with pytest.raises(ScriptError) as caught:
        load_scripts(root, audio_dir())
    problems = {(p.file, p.entry, p.message) for p in caught.value.problems}
    assert ("ivr_scripts/prompts/km.yaml", "poster", "poster text 'key_3' is missing") in problems
    assert (
        "ivr_scripts/prompts/km.yaml",
        "poster.key_8",
        "not a poster text (see POSTER_TEXTS)",
    ) in problems
    assert all(p.line for p in caught.value.problems if p.entry == "poster.key_8")


def test_machine_drafted_poster_texts_wait_for_review(settings: Settings) -> None:
    from hotline.voice.scripts import get_scripts

    for code, prompts in get_scripts(settings).languages.items():
        assert set(prompts.poster) == set(POSTER_TEXTS), code
        assert not any(text.reviewed for text in prompts.poster.values()), code


@pytest.mark.slow
def test_supervisors_download_posters_from_the_web_app(
    app: Any, client: Any, runtime: Any, tmp_path: Path
) -> None:
    lead = make_agent(
        runtime,
        name="Lead",
        languages="ja,en",
        role="supervisor",
        ui_language="en",
        password=PASSWORD,
    )
    sign_in(client, lead)
    page = client.get("/posters")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'action="/posters/poster.pdf"' in html
    assert "ភាសាខ្មែរ" in html or LANGUAGES["km"].native_name in html
    assert 'href="/posters"' in html  # the supervisors' nav link

    answer = client.get("/posters/poster.pdf", query_string={"lang": "ne", "format": "card"})
    assert answer.status_code == 200
    assert answer.mimetype == "application/pdf"
    assert answer.headers["Content-Disposition"] == 'attachment; filename="hotline-card-ne.pdf"'
    assert page_count(answer.data, tmp_path) == 2
    assert "977#" in _pdf_words(answer.data, tmp_path)

    assert client.get("/posters/poster.pdf", query_string={"lang": "xx"}).status_code == 400
    bad_format = client.get("/posters/poster.pdf", query_string={"lang": "vi", "format": "a3"})
    assert bad_format.status_code == 400


def test_advisers_and_strangers_get_no_posters(app: Any, runtime: Any) -> None:
    stranger = app.test_client()
    signed_out = stranger.get("/posters/poster.pdf", query_string={"lang": "vi"})
    assert signed_out.status_code == 302 and "/sign-in" in signed_out.headers["Location"]
    adviser = app.test_client()
    sign_in(adviser, make_agent(runtime, name="Lan", languages="vi,en", password=PASSWORD))
    assert adviser.get("/posters").status_code == 403
    assert adviser.get("/posters/poster.pdf", query_string={"lang": "vi"}).status_code == 403
    assert 'href="/posters"' not in adviser.get("/queue").get_data(as_text=True)
