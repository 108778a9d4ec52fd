"""What the language pipeline costs: characters billed per day and language, cache hits."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from hotline.cli import main
from hotline.runtime import Runtime
from hotline.translation.service import translate_text
from hotline.translation.usage import usage_summary
from tests.fakes.google_translate import FakeGoogleTranslate


def test_usage_counts_characters_sent_per_target_language_and_cache_hits(
    google_runtime: Runtime, fake_translate: FakeGoogleTranslate
) -> None:
    translate_text(google_runtime, "Tôi muốn nghỉ việc", source="vi", target="en")
    translate_text(google_runtime, "Tôi muốn nghỉ việc", source="vi", target="ja")
    translate_text(google_runtime, "Tôi muốn nghỉ việc", source="vi", target="en")

    with google_runtime.db.session() as session:
        summary = usage_summary(session, days=7)

    by_language = {row.language: row for row in summary.rows}
    assert by_language["en"].characters == len("Tôi muốn nghỉ việc")
    assert by_language["en"].cache_hits == 1
    assert by_language["ja"].characters == len("Tôi muốn nghỉ việc")
    assert summary.characters == fake_translate.billed_characters()
    assert summary.requests == 2
    assert summary.hit_rate == pytest.approx(1 / 3)


def test_usage_summary_leaves_out_days_before_the_window(google_runtime: Runtime) -> None:
    translate_text(google_runtime, "Tôi muốn nghỉ việc", source="vi", target="en")

    with google_runtime.db.session() as session:
        later = usage_summary(session, days=7, today=dt.date.today() + dt.timedelta(days=30))

    assert later.rows == []
    assert later.characters == 0


@pytest.mark.slow
def test_cli_shows_usage_to_supervisors(
    google_runtime: Runtime, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    translate_text(google_runtime, "Tôi muốn nghỉ việc", source="vi", target="en")
    monkeypatch.setenv("DATABASE_URL", google_runtime.settings.database_url)
    monkeypatch.setenv("HOTLINE_INSTANCE_PATH", str(tmp_path / "cli-instance"))

    result = CliRunner().invoke(main, ["translation", "usage", "--days", "7", "--json"])

    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["characters_billed"] == len("Tôi muốn nghỉ việc")
    assert payload["days"][0]["language"] == "en"

    table = CliRunner().invoke(main, ["translation", "usage"])
    assert table.exit_code == 0, table.output
    assert "18 characters billed" in table.output
