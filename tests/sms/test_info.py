"""`INFO` and `INFO <n>`: the rights topics of the IVR's key 4, by SMS, from the same data."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from hotline.directory import service
from hotline.directory.models import Organisation
from hotline.languages import LANGUAGES
from hotline.runtime import Runtime
from hotline.sms import info
from hotline.sms.scripts import default_scripts
from hotline.sms.segments import count_segments
from hotline.voice.scripts import ScriptError, audio_dir, ivr_scripts_dir, load_scripts
from hotline.voice.sms_form import written
from tests.builders import make_agent
from tests.conftest import both_backends
from tests.helpers import WORKER_NUMBER
from tests.sms.helpers import caller_for, expected, inbound, messages_in, outbound, text_in

TOPIC_PROMPTS = [
    "info_wages",
    "info_hours",
    "info_injury",
    "info_harassment",
    "info_passport",
    "info_employer",
]
# (the language's own word for INFO, what to send first so the language is known)
OWN_WORDS = {
    "vi": ("THÔNG TIN", None),
    # Nepali and Hindi share जानकारी: a Nepali speaker whose language is known gets Nepali.
    "ne": ("जानकारी", "LANG 977"),
    "my": ("အချက်အလက်", None),
}


def texts(response: Any) -> list[str]:
    return [m["Body"] for m in messages_in(response)]


def the_list(language: str) -> str:
    return info.topic_list(default_scripts(), language)


def spoken(language: str, prompt: str) -> str:
    return load_scripts().text(language, prompt)


# --- the data: one source, every language within the segment limits ------------------


@pytest.mark.slow
def test_the_sms_topics_are_the_voice_menus_key_4_topics_by_the_same_numbers() -> None:
    menu = load_scripts().menu
    assert menu.sms_topics == tuple(
        (key, spec.play[0]) for key, spec in menu.nodes["info"].keys.items() if spec.play
    )
    assert [prompt for _, prompt in menu.sms_topics] == TOPIC_PROMPTS


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_every_topic_and_the_list_fit_in_three_segments_in_every_language(language: str) -> None:
    assert count_segments(the_list(language)).segments <= 3
    topics = info.topics(language)
    assert [t.number for t in topics] == ["1", "2", "3", "4", "5", "6"]
    for topic in topics:
        assert topic.title and topic.text
        assert count_segments(topic.text).segments <= 3, (language, topic.prompt)


@pytest.mark.parametrize("language", list(LANGUAGES))
@pytest.mark.slow
def test_a_topic_without_a_short_form_sends_the_spoken_text_itself(language: str) -> None:
    voice = load_scripts()
    for topic in info.topics(language):
        prompt = voice.languages[language].prompts[topic.prompt]
        assert prompt.sms is not None
        if prompt.sms.text is None:
            assert topic.text == written(prompt.text)


def test_digits_spaced_out_for_the_voice_are_joined_for_reading() -> None:
    assert written("In danger now? Call 1 1 0.") == "In danger now? Call 110."
    assert written("8 hours a day and 40 hours a week") == "8 hours a day and 40 hours a week"
    harassment = next(t for t in info.topics("en") if t.prompt == "info_harassment")
    assert "110" in harassment.text and "1 1 0" not in harassment.text


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_the_list_starts_with_the_first_line_of_help(language: str) -> None:
    first_line = default_scripts().reply(language, "help").splitlines()[0]
    assert the_list(language).splitlines()[0] == first_line
    assert len(first_line) < len(default_scripts().reply(language, "help"))


@pytest.fixture
def scripts_copy(tmp_path: Path) -> Path:
    target = tmp_path / "ivr_scripts"
    shutil.copytree(ivr_scripts_dir(), target)
    return target


def problems_of(root: Path) -> list[str]:
    with pytest.raises(ScriptError) as caught:
        load_scripts(root, audio_dir())
    return [str(p) for p in caught.value.problems]


@pytest.mark.slow
def test_a_topic_without_its_sms_block_fails_the_check_with_file_and_line(
    scripts_copy: Path,
) -> None:
    path = scripts_copy / "prompts" / "vi.yaml"
    lines = path.read_text("utf-8").splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("  info_hours:"))
    assert lines[start + 3].strip() == "sms:"
    del lines[start + 3 : start + 6]
    path.write_text("".join(lines), "utf-8")
    assert problems_of(scripts_copy) == [
        f"ivr_scripts/prompts/vi.yaml:{start + 1}: prompts.info_hours: "
        "an INFO topic needs an `sms` block with its `title`"
    ]


def test_a_topic_text_over_three_segments_fails_the_check_with_file_and_line(
    scripts_copy: Path,
) -> None:
    path = scripts_copy / "prompts" / "ne.yaml"
    text = path.read_text("utf-8")
    title = '      title: "कामको समय"\n'
    assert title in text
    path.write_text(text.replace(title, title + '      text: "' + "क" * 202 + '"\n'), "utf-8")
    [problem] = problems_of(scripts_copy)
    assert problem.startswith("ivr_scripts/prompts/ne.yaml:")
    assert "prompts.info_hours.sms: `sms.text` takes 4 SMS segments (at most 3)" in problem


# --- through /sms/incoming -------------------------------------------------------------


@pytest.mark.parametrize("language", list(OWN_WORDS))
def test_info_in_the_workers_own_word_lists_the_topics_after_the_help_line(
    client: Any, runtime: Runtime, language: str
) -> None:
    word, first = OWN_WORDS[language]
    if first:
        text_in(client, first)
    [answer] = texts(text_in(client, word))
    lines = answer.splitlines()
    assert lines[0] == expected(language, "help").splitlines()[0]
    titles = [t.title for t in info.topics(language)]
    assert lines[1:7] == [f"{n} {title}" for n, title in enumerate(titles, start=1)]
    assert lines[-1] == expected(language, "info_choose")
    # Nothing for advisers: a keyword alone opens no case.
    assert all(m.case_id is None for m in inbound(runtime))


@pytest.mark.parametrize("language", list(OWN_WORDS))
@pytest.mark.parametrize("how", ["INFO 2", "INFO2", "ＩＮＦＯ２", "own word"])
@pytest.mark.slow
def test_info_2_sends_the_working_hours_topic_in_the_workers_language(
    client: Any, runtime: Runtime, language: str, how: str
) -> None:
    text_in(client, f"LANG {LANGUAGES[language].calling_codes[0]}")
    native_two = {"vi": "2", "ne": "२", "my": "၂"}[language]
    body = f"{OWN_WORDS[language][0]} {native_two}" if how == "own word" else how
    assert texts(text_in(client, body)) == [written(spoken(language, "info_hours"))]
    [*_, reply] = outbound(runtime)
    assert reply.language == language
    assert reply.segments is not None and reply.segments <= 3


@pytest.mark.parametrize("body", ["INFO 9", "INFO 0", "INFO", "INFO ７"])
def test_a_number_that_is_no_topic_answers_the_list_again(client: Any, body: str) -> None:
    text_in(client, "LANG 84")
    assert texts(text_in(client, body)) == [the_list("vi")]


@pytest.mark.slow
def test_english_info_from_a_home_country_number_is_answered_in_its_language(
    client: Any,
) -> None:
    nepali_sim = "+9779800000001"  # made-up Nepali mobile number
    assert texts(text_in(client, "INFO", sender=nepali_sim)) == [the_list("ne")]
    assert texts(text_in(client, "INFO 4", sender=nepali_sim)) == [
        written(spoken("ne", "info_harassment"))
    ]


def test_an_opted_out_number_gets_nothing_for_info(client: Any, runtime: Runtime) -> None:
    _verify(runtime, "mhlw-labour-hotline-vi")
    text_in(client, "LANG 84")
    text_in(client, "STOP")
    sent_before = len(outbound(runtime))
    assert texts(text_in(client, "INFO")) == []
    assert texts(text_in(client, "INFO 1")) == []
    assert len(outbound(runtime)) == sent_before
    assert len(inbound(runtime)) == 4  # still stored


def test_a_flooding_number_gets_no_topic(
    client: Any, runtime: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runtime, "settings", runtime.settings.with_overrides(sms_flood_limit=1))
    assert texts(text_in(client, "INFO 1")) != []
    assert texts(text_in(client, "INFO 1")) == []


@pytest.mark.slow
def test_words_after_info_still_reach_advisers(client: Any, runtime: Runtime) -> None:
    text_in(client, "LANG 84")
    answer = texts(text_in(client, "INFO 5 công ty giữ hộ chiếu của tôi"))
    assert answer == [written(spoken("vi", "info_passport"))]
    [*_, message] = inbound(runtime)
    assert message.kind == "worker" and message.case_id is not None


# --- with the referral directory -------------------------------------------------------


def _verify(runtime: Runtime, *seed_keys: str) -> None:
    agent_id = make_agent(runtime, role="supervisor").id
    with runtime.db.session() as session:
        service.seed(session)
        for key in seed_keys:
            org = session.scalars(select(Organisation).where(Organisation.seed_key == key)).one()
            service.verify(session, org, agent_id=agent_id)


def _org(runtime: Runtime, seed_key: str) -> Organisation:
    with runtime.db.session() as session:
        return session.scalars(select(Organisation).where(Organisation.seed_key == seed_key)).one()


@both_backends
@pytest.mark.parametrize(
    ("language", "body", "prompt", "seed_key"),
    [
        ("vi", "INFO 1", "info_wages", "mhlw-labour-hotline-vi"),
        ("vi", "INFO 5", "info_passport", "otit-mother-tongue-vi"),
        ("ne", "INFO 2", "info_hours", "mhlw-labour-hotline-ne"),
        ("my", "INFO 3", "info_injury", "mhlw-labour-hotline-my"),
    ],
)
@pytest.mark.slow
def test_a_topic_is_followed_by_a_verified_organisation_for_it_in_a_second_sms(
    client: Any, runtime: Runtime, language: str, body: str, prompt: str, seed_key: str
) -> None:
    _verify(runtime, seed_key, "isa-information-center", "houterasu-multilingual")
    text_in(client, f"LANG {LANGUAGES[language].calling_codes[0]}")
    topic = next(t for t in info.topics(language) if t.prompt == prompt)
    response = text_in(client, body)
    assert texts(response) == [topic.text, service.referral_text(_org(runtime, seed_key), language)]
    assert _org(runtime, seed_key).phone in texts(response)[1]
    # Both recorded, each with its own status callback, each within three segments.
    *_, first, second = outbound(runtime)
    actions = [m.get("StatusCallback") for m in messages_in(response)]
    assert actions == [
        f"https://hotline.example.org/sms/status?m={first.id}",
        f"https://hotline.example.org/sms/status?m={second.id}",
    ]
    assert first.segments is not None and first.segments <= 3
    assert second.segments is not None and second.segments <= 3


@both_backends
@pytest.mark.slow
def test_unverified_entries_and_entries_of_other_topics_are_never_sent(
    client: Any, runtime: Runtime
) -> None:
    # Seeded but unverified: the labour hotline and OTIT; verified but about other
    # things, or speaking no stated language: the immigration centre, FRESC, Hōterasu.
    _verify(runtime, "isa-information-center", "fresc", "houterasu-multilingual")
    text_in(client, "LANG 84")
    assert texts(text_in(client, "INFO 1")) == [written(spoken("vi", "info_wages"))]
    assert texts(text_in(client, "INFO 5")) == [written(spoken("vi", "info_passport"))]
    assert caller_for(runtime, WORKER_NUMBER).language == "vi"
