"""The segment counter, cross-checked against an independent implementation (smsutil)."""

from __future__ import annotations

import random

import pytest
import smsutil

from hotline.languages import LANGUAGES
from hotline.sms.scripts import REPLIES, default_scripts
from hotline.sms.segments import GSM7_BASIC, GSM7_EXTENSION, count_segments

ALPHABETS = {
    "gsm": GSM7_BASIC.replace("\x1b", ""),
    "gsm+ext": GSM7_BASIC.replace("\x1b", "") + GSM7_EXTENSION * 4,
    "vietnamese": "aăâbcdđeêghiklmnoôơpqrstuưvxyàảãáạằẳẵắặầẩẫấậ ",
    "mixed": "abc €[]{} ếộ日本語ภาษา한국어",
    "emoji": "ab 😀🙏🏽👍",
}


def independent_count(text: str) -> int:
    return max(1, len(smsutil.split(text).parts))


@pytest.mark.parametrize("alphabet", sorted(ALPHABETS))
def test_segment_counts_agree_with_smsutil_on_random_strings(alphabet: str) -> None:
    rng = random.Random(alphabet)
    chars = ALPHABETS[alphabet]
    for _ in range(400):
        text = "".join(rng.choice(chars) for _ in range(rng.randrange(0, 480)))
        assert count_segments(text).segments == independent_count(text), text


@pytest.mark.parametrize("length", [69, 70, 71, 134, 135, 159, 160, 161, 306, 307])
def test_segment_counts_agree_with_smsutil_at_the_boundaries(length: int) -> None:
    for text in ("a" * length, "ấ" * length, "€" * (length // 2) + "a", "😀" * (length // 2)):
        assert count_segments(text).segments == independent_count(text)


def test_segment_counts_agree_with_smsutil_on_every_real_reply() -> None:
    scripts = default_scripts()
    texts = [r.text for s in scripts.languages.values() for r in s.replies.values()]
    texts += [r.text for r in scripts.common_replies.values()]
    assert len(texts) == len(LANGUAGES) * len(REPLIES) + 2
    for text in texts:
        assert count_segments(text).segments == independent_count(text), text
        expected_encoding = "GSM-7" if smsutil.is_valid_gsm(text) else "UCS-2"
        assert count_segments(text).encoding == expected_encoding


def test_an_extension_character_is_never_split_across_parts() -> None:
    text = "a" * 152 + "€" + "b" * 10
    assert count_segments(text).segments == 2 == independent_count(text)
