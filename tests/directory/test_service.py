"""The directory's rules: seeding, searching, validating, verifying, and the referral SMS."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from hotline.audit import AuditEvent
from hotline.directory import service
from hotline.directory.models import Organisation
from hotline.runtime import Runtime
from hotline.sms.segments import count_segments
from tests.builders import make_agent, make_organisation
from tests.conftest import both_backends


@both_backends
def test_seeding_twice_adds_each_entry_once_and_all_unverified(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        first = service.seed(session)
    with runtime.db.session() as session:
        again = service.seed(session)
        rows = list(session.scalars(select(Organisation)))
    assert len(first) == len(service.seed_entries()) >= 15
    assert again == []
    assert len(rows) == len(first)
    assert all(org.verified_at is None and org.active for org in rows)
    assert all(org.source and "(source date: " in org.source for org in rows)


def test_seeding_keeps_a_supervisors_correction(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        service.seed(session)
        org = session.scalars(select(Organisation).where(Organisation.seed_key == "fresc")).one()
        service.edit(session, org, {"phone": "0570-011001"}, agent_id=None)
    with runtime.db.session() as session:
        service.seed(session)
        org = session.scalars(select(Organisation).where(Organisation.seed_key == "fresc")).one()
        assert org.phone == "0570-011001"


def test_the_labour_hotline_is_seeded_once_per_language_line(runtime: Runtime) -> None:
    entries = {e["seed_key"]: e for e in service.seed_entries()}
    vi = entries["mhlw-labour-hotline-vi"]
    assert (vi["phone"], vi["languages"]) == ("0120-558-815", ["vi"])
    assert vi["hours"] == "mon-fri 17:00-22:00; sat,sun 09:00-21:00"
    assert entries["otit-mother-tongue-km"]["phone"] == "0120-250-366"
    # Unverified numbers in the fact sheet are not seeded (OTIT Burmese, MHLW Korean).
    assert "otit-mother-tongue-my" not in entries
    assert "mhlw-labour-hotline-ko" not in entries


@both_backends
def test_search_by_language_keeps_entries_that_list_it_first_then_unstated_ones(
    runtime: Runtime,
) -> None:
    vi = make_organisation(runtime, name_en="B Vietnamese", languages=["vi", "en"])
    km = make_organisation(runtime, name_en="C Khmer", languages=["km"])
    unstated = make_organisation(runtime, name_en="A Front desk", languages=[])
    with runtime.db.session() as session:
        found = [org.id for org in service.search(session, language="vi")]
        everything = [org.id for org in service.search(session)]
    assert found == [vi, unstated]
    assert km not in found
    assert everything == [unstated, vi, km]


@both_backends
def test_search_by_prefecture_includes_nationwide_entries_and_hides_inactive(
    runtime: Runtime,
) -> None:
    osaka = make_organisation(runtime, name_en="Osaka union", kind="union", prefecture="osaka")
    tokyo = make_organisation(runtime, name_en="Tokyo union", kind="union", prefecture="tokyo")
    nationwide = make_organisation(runtime, name_en="Nationwide line", kind="helpline")
    gone = make_organisation(runtime, name_en="Closed down", prefecture="osaka")
    with runtime.db.session() as session:
        org = session.get(Organisation, gone)
        assert org is not None
        service.set_active(session, org, False, agent_id=None)
    with runtime.db.session() as session:
        in_osaka = {org.id for org in service.search(session, prefecture="osaka")}
        unions = {org.id for org in service.search(session, prefecture="osaka", kind="union")}
    assert in_osaka == {osaka, nationwide}
    assert unions == {osaka}
    assert tokyo not in in_osaka


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"kind": "church"}, "kind"),
        ({"phone": "call us"}, "phone"),
        ({"phone": "12"}, "phone"),
        ({"hours": "weekdays 9-5"}, "hours"),
        ({"languages": ["vi", "klingon"]}, "languages"),
        ({"prefecture": "atlantis"}, "prefecture"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"name_en": "  "}, "name_en"),
        ({"kind": "embassy"}, "country"),
        ({"kind": "embassy", "country": "XX1"}, "country"),
    ],
)
def test_bad_values_are_refused_naming_the_field(
    runtime: Runtime, values: dict[str, object], field: str
) -> None:
    with pytest.raises(service.DirectoryError) as refused:
        make_organisation(runtime, **values)
    assert refused.value.field == field
    with runtime.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Organisation)) == 0


def test_accepted_values_are_normalised(runtime: Runtime) -> None:
    org_id = make_organisation(
        runtime,
        kind="embassy",
        country="vn",
        prefecture="Tokyo",
        phone="+81 3 0000 0000",
        languages="vi, en",
        hours="MON-FRI 9:00-17:00",
    )
    with runtime.db.session() as session:
        org = session.get(Organisation, org_id)
        assert org is not None
        assert (org.country, org.prefecture, org.languages) == ("VN", "tokyo", ["vi", "en"])
        assert org.hours == "mon-fri 09:00-17:00"


def test_verifying_records_who_and_when_and_a_new_phone_needs_verifying_again(
    runtime: Runtime,
) -> None:
    supervisor = make_agent(runtime, name="Kenji", languages="ja,en", role="supervisor").id
    org_id = make_organisation(runtime)
    with runtime.db.session() as session:
        org = session.get(Organisation, org_id)
        assert org is not None
        service.verify(session, org, agent_id=supervisor)
    with runtime.db.session() as session:
        org = session.get(Organisation, org_id)
        assert org is not None
        assert org.verified_at is not None and org.verified_by_id == supervisor
        assert service.edit(session, org, {"known_as": "TSC"}, agent_id=supervisor) == ["known_as"]
        assert org.verified_at is not None  # a nickname changes nothing a worker dials
        assert service.edit(session, org, {"phone": "03-0000-0001"}, agent_id=supervisor)
        assert org.verified_at is None and org.verified_by_id is None
    with runtime.db.session() as session:
        actions = list(
            session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.subject_type == "organisation")
                .order_by(AuditEvent.id)
            )
        )
    assert actions == ["directory.add", "directory.verify", "directory.edit", "directory.edit"]


@pytest.mark.parametrize("language", ["vi", "ne", "my"])
def test_every_seeded_referral_fits_three_segments_with_weekdays_in_the_language(
    language: str,
) -> None:
    weekday = {"vi": "Thứ 2", "ne": "सोम", "my": "တနင်္လာ"}[language]
    for values in service.seed_entries():
        org = Organisation(**values)
        text = service.referral_text(org, language)
        assert count_segments(text).segments <= 3, (values["seed_key"], text)
        assert org.phone in text
        assert (org.known_as or org.name_en) in text
        if org.hours.startswith("mon-fri"):
            assert weekday in text, text
            assert "Mon" not in text


def test_referral_in_japanese_uses_the_japanese_name() -> None:
    org = Organisation(
        name_ja="法テラス", name_en="Hōterasu", phone="0570-078377", hours="mon-fri 09:00-17:00"
    )
    assert (
        service.referral_text(org, "ja") == "相談先: 法テラス 電話 0570-078377(月–金 09:00–17:00)"
    )


def test_english_referral_stays_in_one_cheap_gsm_segment() -> None:
    org = Organisation(
        name_ja="x", name_en="FRESC", phone="0570-011000", hours="mon-fri 09:00-17:00"
    )
    text = service.referral_text(org, "en")
    assert text == "Where to get help: FRESC, tel 0570-011000 (Mon-Fri 09:00-17:00)"
    assert count_segments(text).encoding == "GSM-7"


@pytest.mark.parametrize("language", ["vi", "ne", "my", "km"])
def test_an_overlong_entry_is_shortened_name_first_then_hours_to_three_segments(
    language: str,
) -> None:
    many_hours = "; ".join(
        f"{day} 08:00-09:00,10:00-11:00,12:00-13:00" for day in ("mon", "tue", "wed", "thu", "fri")
    )
    org = Organisation(
        name_ja="長い名前",
        name_en="Association for the Support of Foreign Workers (Greater Kanto Region Office)",
        phone="0120-000-000",
        hours=many_hours,
    )
    text = service.referral_text(org, language)
    assert count_segments(text).segments <= 3
    assert "0120-000-000" in text
    assert "Association" in text
    assert "Greater Kanto" not in text
