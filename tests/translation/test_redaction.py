"""Personal data never reaches Google, and comes back in place in the translation."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from hotline.runtime import Runtime
from hotline.translation.models import Translation, TranslationCacheEntry
from hotline.translation.redaction import find_pii, matching_view, normalise, protect, restore
from hotline.translation.service import translate_text
from tests.builders import make_case, make_message
from tests.fakes.google_translate import FakeGoogleTranslate
from tests.helpers import run_jobs

PII = {
    "phone": "090-1234-5678",
    "foreign phone": "+84 912 345 678",
    "residence card": "AB12345678CD",
    "passport": "C1234567",
    "email": "worker.name@example.com",
    "postal code": "〒460-0001",
}


@pytest.mark.parametrize(("kind", "value"), list(PII.items()))
def test_each_kind_of_personal_data_is_recognised(kind: str, value: str) -> None:
    text = f"Số của tôi là {value} nhé"

    spans = find_pii(text)

    assert [text[s:e] for s, e, _ in spans] == [value]


def test_ordinary_numbers_are_left_for_translation() -> None:
    text = "Tôi làm việc 12 giờ mỗi ngày, lương 150.000 yên, từ 2024-05-01"

    assert find_pii(text) == []


def test_full_width_digits_are_normalised_before_redaction() -> None:
    text = normalise("電話は０９０－１２３４－５６７８です")

    assert [text[s:e] for s, e, _ in find_pii(text)] == ["090-1234-5678"]


def test_placeholders_hold_only_a_number_and_restore_in_order() -> None:
    protected = protect("Mail a@b.co or call 090-1234-5678 & wait", source="en", target="ja")

    assert "a@b.co" not in protected.html and "090" not in protected.html
    assert protected.html.count('translate="no"') == 2
    assert "&amp;" in protected.html
    answer = protected.html.replace("Mail", "メール")
    assert restore(answer, protected) == "メール a@b.co or call 090-1234-5678 & wait"


def test_a_placeholder_google_dropped_is_appended_rather_than_lost() -> None:
    protected = protect("call 090-1234-5678 now")

    assert restore("please call now", protected) == "please call now (090-1234-5678)"


def test_no_personal_data_reaches_google_and_all_of_it_comes_back(
    google_runtime: Runtime, fake_translate: FakeGoogleTranslate
) -> None:
    body = (
        f"Hãy gọi cho tôi theo số {PII['phone']} hoặc {PII['foreign phone']}. "
        f"Thẻ cư trú {PII['residence card']}, hộ chiếu {PII['passport']}, "
        f"email {PII['email']}, địa chỉ {PII['postal code']}"
    )
    case = make_case(google_runtime, language="vi")
    message = make_message(google_runtime, case=case, body=body)

    run_jobs(google_runtime)

    sent = fake_translate.sent_text()
    assert fake_translate.translate_requests()
    for value in PII.values():
        assert value not in sent
    assert "1234" not in sent and "12345678" not in sent
    with google_runtime.db.session() as session:
        rows = session.scalars(select(Translation).where(Translation.source_id == message.id)).all()
        cached = " ".join(e.result or "" for e in session.scalars(select(TranslationCacheEntry)))
    assert {r.status for r in rows} == {"done"}
    for row in rows:
        for value in PII.values():
            assert value in (row.text or "")
    english = next(r.text or "" for r in rows if r.target_language == "en")
    assert "Please call me on 090-1234-5678" in english
    for value in PII.values():
        assert value not in cached  # the cache holds placeholders, not personal data


def test_texts_differing_only_in_personal_data_share_one_google_request(
    google_runtime: Runtime, fake_translate: FakeGoogleTranslate
) -> None:
    first = translate_text(
        google_runtime, "Hãy gọi cho tôi theo số 090-1111-2222", source="vi", target="en"
    )
    second = translate_text(
        google_runtime, "Hãy gọi cho tôi theo số 080-3333-4444", source="vi", target="en"
    )

    assert first.text == "Please call me on 090-1111-2222"
    assert second.text == "Please call me on 080-3333-4444"
    assert second.cached
    assert len(fake_translate.translate_requests()) == 1


# --- How numbers are really typed -------------------------------------------------------

CORPUS: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "redaction_corpus.yaml").read_text("utf-8")
)


def _digit_groups(value: str) -> list[str]:
    """The runs of four or more digits in a value, as ASCII: what must never leak."""
    return [g for g in re.findall(r"[0-9]+", matching_view(value)) if len(g) >= 4]


@pytest.mark.parametrize(
    "probe", ["090ー1234ー5678", "090–1234–5678", "090 - 1234 - 5678", "080/1234/5678"]
)
def test_the_probes_that_once_reached_google_are_recognised(probe: str) -> None:
    text = f"電話は{probe}です"

    assert [text[s:e] for s, e, _ in find_pii(text)] == [probe]


def test_corpus_covers_every_language_asked_for() -> None:
    assert {entry["language"] for entry in CORPUS} >= {"vi", "id", "fil", "ne", "my", "ja"}
    kinds = {kind for entry in CORPUS for _, _, kind in find_pii(entry["text"])}
    assert {"number", "residence_card", "passport"} <= kinds


@pytest.mark.parametrize(
    "entry", CORPUS, ids=[f"{e['language']}-{i}" for i, e in enumerate(CORPUS)]
)
def test_every_secret_in_the_corpus_is_found_as_typed_and_once_normalised(
    entry: dict[str, Any],
) -> None:
    for text in (entry["text"], normalise(entry["text"])):
        found = [text[s:e] for s, e, _ in find_pii(text)]
        assert [matching_view(v) for v in found] == [
            matching_view(normalise(v)) for v in entry["secrets"]
        ]


def test_dashes_in_ordinary_japanese_words_are_left_alone() -> None:
    text = "コーヒー1杯とケーキ2個、ルール3番、9時ー18時"

    assert find_pii(text) == []


@pytest.mark.slow
def test_none_of_the_corpus_reaches_google(
    google_runtime: Runtime, fake_translate: FakeGoogleTranslate
) -> None:
    for i, entry in enumerate(CORPUS):
        case = make_case(google_runtime, language=entry["language"], number=f"+8190000{i:05d}")
        make_message(google_runtime, case=case, body=entry["text"])

    run_jobs(google_runtime)

    sent = matching_view(fake_translate.sent_text())
    assert sent.count("⟦1⟧") >= len(CORPUS)  # every message went out, redacted
    for entry in CORPUS:
        for secret in entry["secrets"]:
            assert secret not in sent
            for group in _digit_groups(secret):
                assert group not in sent, (entry["language"], secret)
    with google_runtime.db.session() as session:
        rows = session.scalars(select(Translation).where(Translation.status == "done")).all()
        translated = " ".join(r.text or "" for r in rows)
    for entry in CORPUS:
        if entry["language"] in ("vi", "ja"):
            for secret in entry["secrets"]:
                assert normalise(secret) in translated
