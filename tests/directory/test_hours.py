"""The compact hours format: what supervisors may type, and how workers read it."""

from __future__ import annotations

import pytest

from hotline.directory.hours import HoursError, normalise, parse, render

MHLW = "mon-fri 17:00-22:00; sat,sun 09:00-21:00"


def test_hours_are_stored_in_one_canonical_spelling() -> None:
    assert normalise("MON,Tue,wed,fri 9:00-17:00") == "mon-wed,fri 09:00-17:00"
    assert normalise(" sat , sun 09:00-21:00 ".replace(" , ", ",")) == "sat,sun 09:00-21:00"
    assert normalise("mon-fri 09:00-12:00,13:00-17:00") == "mon-fri 09:00-12:00,13:00-17:00"
    assert normalise("11:00-19:00") == "11:00-19:00"
    assert normalise("") == ""


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("fri-mon 09:00-17:00", "runs backwards"),
        ("mon 17:00-09:00", "ends before it starts"),
        ("lun 09:00-17:00", "is not a day"),
        ("mon 09:00-17:00; mon 18:00-20:00", "repeats a day"),
        ("mon 25:00-26:00", "after 24:00"),
        ("mon 9-17", "is not a time"),
        ("mon 09:00", "needs a start and an end"),
        ("09:00-10:00; mon 11:00-12:00", "times without days must be the only rule"),
        ("mon 09:00-12:00,11:00-13:00", "overlaps"),
        ("mon fri 09:00-17:00", "should be days then times"),
    ],
)
def test_unreadable_hours_are_refused_with_the_reason(text: str, says: str) -> None:
    with pytest.raises(HoursError, match=says):
        parse(text)


def test_weekday_names_come_from_cldr_in_the_workers_language() -> None:
    assert render(MHLW, "en") == "Mon–Fri 17:00–22:00; Sat and Sun 09:00–21:00"
    assert render(MHLW, "vi").startswith("Thứ 2–Thứ 6 17:00–22:00; Thứ 7 và CN")
    assert render(MHLW, "ne").startswith("सोम–शुक्र 17:00–22:00; शनि")
    assert render(MHLW, "my").startswith("တနင်္လာ–သောကြာ 17:00–22:00; စနေ")
    assert render(MHLW, "ja").startswith("月–金 17:00–22:00; 土")
    assert render("mon-fri 09:00-17:00", "vi", width="short") == "T2–T6 09:00–17:00"


def test_times_without_days_and_always_open_render_without_inventing_days() -> None:
    assert render("11:00-19:00", "vi") == "11:00–19:00"
    assert render("", "vi") == "24h"
