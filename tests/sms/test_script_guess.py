"""The writing-system check behind the reply composer's warning: cheap, local, and only
sure when the letters themselves rule a language out."""

from __future__ import annotations

import pytest

from hotline.sms.script_guess import looks_unlike

ENGLISH = "We will call you tomorrow morning."
VIETNAMESE = "Chúng tôi sẽ gọi cho bạn vào sáng mai."


@pytest.mark.parametrize(
    "text, language",
    [
        (ENGLISH, "vi"),  # a whole sentence without a single Vietnamese mark
        (VIETNAMESE, "en"),  # letters only Vietnamese uses
        ("明日の朝お電話します。", "en"),
        (ENGLISH, "ja"),
        ("Мы позвоним вам завтра", "th"),
        ("พรุ่งนี้เราจะโทรหาคุณ", "km"),
    ],
)
def test_text_in_another_writing_system_looks_unlike_the_chosen_language(
    text: str, language: str
) -> None:
    assert looks_unlike(text, language)


@pytest.mark.parametrize(
    "text, language",
    [
        (ENGLISH, "en"),
        (VIETNAMESE, "vi"),
        ("明日の朝お電話します。", "ja"),
        ("OK, 明日の朝お電話します。", "ja"),
        ("Мы позвоним вам завтра", "ru"),
        ("Kami akan menelepon Anda besok pagi.", "id"),  # Latin: no way to tell from en
        ("Xin chào", "vi"),  # too short to judge
        ("12:30 +81 3-1234", "th"),  # no letters at all
    ],
)
def test_text_that_could_be_the_chosen_language_gets_the_benefit_of_the_doubt(
    text: str, language: str
) -> None:
    assert not looks_unlike(text, language)
