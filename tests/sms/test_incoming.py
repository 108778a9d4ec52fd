"""/sms/incoming: keywords in the sender's language, free text to cases, idempotency."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from hotline.callbacks.models import CallbackRequest
from hotline.cases.models import Case
from hotline.jobs.models import OutboxJob
from hotline.sms.models import SmsMessage
from tests.conftest import both_backends
from tests.helpers import OTHER_WORKER_NUMBER, WORKER_NUMBER
from tests.sms.helpers import (
    caller_for,
    expected,
    expected_help,
    inbound,
    messages_in,
    new_sid,
    opted_out,
    outbound,
    reply_of,
    text_in,
)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("word", "language"),
    [
        ("giúp", "vi"),
        ("TULONG", "fil"),
        ("bantuan", "id"),
        ("ヘルプ", "ja"),
        ("ช่วยเหลือ", "th"),
        ("AYUDA", "es"),
        ("помощь", "ru"),
        ("HELP", "en"),
    ],
)
def test_help_is_answered_in_the_senders_language(
    client: Any, runtime: Any, word: str, language: str
) -> None:
    assert reply_of(text_in(client, word)) == expected_help(language)


def test_help_in_english_is_answered_in_the_language_the_caller_chose(
    client: Any, runtime: Any
) -> None:
    text_in(client, "LANG 84")
    assert reply_of(text_in(client, "HELP")) == expected_help("vi")


@pytest.mark.slow
def test_fullwidth_keyword_from_a_japanese_phone_is_recognised(client: Any, runtime: Any) -> None:
    assert reply_of(text_in(client, "ＨＥＬＰ")) == expected_help("en")
    assert reply_of(text_in(client, "ｽﾄｯﾌﾟ")) == expected("ja", "stopped")
    assert opted_out(runtime)


@pytest.mark.parametrize("typed", ["DUNG", "dung", "Dừng", "DỪNG!"])
def test_vietnamese_stop_with_or_without_accents_opts_out(
    client: Any, runtime: Any, typed: str
) -> None:
    assert reply_of(text_in(client, typed)) == expected("vi", "stopped")
    assert opted_out(runtime)


def test_accented_word_that_merely_folds_to_a_keyword_is_free_text(
    client: Any, runtime: Any
) -> None:
    # "Đừng" ("don't") folds to DUNG, but typed with its accents it is not "dừng" (stop).
    reply = reply_of(text_in(client, "Đừng nói với công ty tôi"))
    assert not opted_out(runtime)
    [message] = inbound(runtime)
    assert message.case_id is not None
    assert reply is not None and message.body == "Đừng nói với công ty tôi"


@pytest.mark.slow
@both_backends
def test_the_same_message_sid_three_times_stores_one_message(client: Any, runtime: Any) -> None:
    sid = new_sid()
    answers = [text_in(client, "Công ty giữ hộ chiếu của tôi", sid=sid) for _ in range(3)]
    assert len({a.get_data(as_text=True) for a in answers}) == 1
    assert len(inbound(runtime)) == 1
    assert len(outbound(runtime)) == 1
    with runtime.db.session() as session:
        assert len(session.scalars(select(Case)).all()) == 1


@both_backends
def test_free_text_in_vietnamese_becomes_a_vietnamese_case_with_a_queued_translation(
    client: Any, runtime: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    reply = reply_of(text_in(client, "Công ty không trả lương cho tôi ba tháng rồi"))
    [message] = inbound(runtime)
    with runtime.db.session() as session:
        case = session.get(Case, message.case_id)
        assert case is not None and case.language == "vi"
        queued = session.scalars(select(OutboxJob).where(OutboxJob.name == "sms.translate")).all()
    assert message.language == "vi"
    assert [job.args for job in queued] == [{"message_id": message.id}]
    assert reply == expected("vi", "received", reference=case.reference)


def test_only_the_first_message_of_a_case_is_acknowledged(client: Any, runtime: Any) -> None:
    assert reply_of(text_in(client, "Tôi bị thương ở nhà máy")) is not None
    assert reply_of(text_in(client, "Ông chủ không cho tôi đi bệnh viện")) is None
    messages = inbound(runtime)
    assert len(messages) == 2
    assert messages[0].case_id == messages[1].case_id


def test_free_text_in_an_unknown_language_gets_the_language_choices(
    client: Any, runtime: Any
) -> None:
    reply = reply_of(text_in(client, "Hi, my employer keeps my passport"))
    [message] = inbound(runtime)
    assert message.language is None and message.case_id is not None
    assert reply is not None
    assert "LANG 84" in reply and " 855 " in reply and " 63 " in reply


def test_a_keyword_followed_by_words_still_reaches_advisers(client: Any, runtime: Any) -> None:
    reply = reply_of(text_in(client, "HELP my boss took my passport"))
    assert reply == expected_help("en")
    [message] = inbound(runtime)
    assert message.case_id is not None and message.kind == "worker"


@pytest.mark.slow
def test_media_is_stored_as_references(client: Any, runtime: Any) -> None:
    url0 = "https://api.twilio.com/2010-04-01/Accounts/AC0/Messages/MM1/Media/ME1"
    url1 = "https://api.twilio.com/2010-04-01/Accounts/AC0/Messages/MM1/Media/ME2"
    text_in(
        client,
        "",
        NumMedia="2",
        MediaUrl0=url0,
        MediaContentType0="image/jpeg",
        MediaUrl1=url1,
        MediaContentType1="image/png",
    )
    [message] = inbound(runtime)
    assert message.num_media == 2
    assert message.media == [
        {"url": url0, "content_type": "image/jpeg"},
        {"url": url1, "content_type": "image/png"},
    ]
    assert message.case_id is not None


@pytest.mark.slow
def test_lang_with_a_calling_code_sets_the_language(client: Any, runtime: Any) -> None:
    assert reply_of(text_in(client, "LANG 855")) == expected("km", "lang_set", language="ភាសាខ្មែរ")
    assert caller_for(runtime).language == "km"


def test_lang_with_an_unknown_code_lists_the_choices(client: Any, runtime: Any) -> None:
    reply = reply_of(text_in(client, "LANG 999"))
    assert reply is not None and "LANG 84" in reply
    assert caller_for(runtime).language is None


def test_call_requests_a_discreet_callback_and_gives_the_reference(
    client: Any, runtime: Any
) -> None:
    reply = reply_of(text_in(client, "GỌI"))
    with runtime.db.session() as session:
        callback = session.scalars(select(CallbackRequest)).one()
        case = session.get(Case, callback.case_id)
        assert case is not None
    assert reply == expected("vi", "callback", reference=case.reference)
    assert (callback.window, callback.may_identify, callback.sms_allowed, callback.source) == (
        "any",
        False,
        True,
        "sms",
    )
    assert callback.language == "vi"


def test_answering_the_callback_question_sets_the_window(client: Any, runtime: Any) -> None:
    text_in(client, "CALL")
    reply = reply_of(text_in(client, "２"))  # full-width digit from a Japanese keypad
    with runtime.db.session() as session:
        callback = session.scalars(select(CallbackRequest)).one()
        case = session.get(Case, callback.case_id)
        assert case is not None
    assert callback.window == "afternoon"
    assert reply == expected("en", "window_afternoon", reference=case.reference)


@both_backends
def test_the_callback_question_expires_back_to_plain_keywords(client: Any, runtime: Any) -> None:
    import time_machine

    text_in(client, "CALL")
    with time_machine.travel(60 * 31 + __import__("time").time(), tick=False):
        text_in(client, "1")
    with runtime.db.session() as session:
        callback = session.scalars(select(CallbackRequest)).one()
    assert callback.window == "any"
    last = inbound(runtime)[-1]
    assert last.kind == "worker" and last.body == "1"  # an ordinary message to advisers


def test_status_answers_for_the_senders_own_case(client: Any, runtime: Any) -> None:
    text_in(client, "Tôi cần giúp đỡ về lương")
    [message] = inbound(runtime)
    with runtime.db.session() as session:
        case = session.get(Case, message.case_id)
        assert case is not None
    assert reply_of(text_in(client, f"STATUS {case.reference}")) == expected(
        "vi", "status_open", reference=case.reference
    )


@pytest.mark.slow
@both_backends
def test_status_with_someone_elses_reference_leaks_nothing(client: Any, runtime: Any) -> None:
    text_in(client, "Công ty giữ hộ chiếu của tôi", sender=OTHER_WORKER_NUMBER)
    [theirs] = inbound(runtime, OTHER_WORKER_NUMBER)
    with runtime.db.session() as session:
        case = session.get(Case, theirs.case_id)
        assert case is not None
    text_in(client, "LANG 84")
    from hotline.cases.service import luhn_digit

    other_valid = next(
        ref for n in range(100000, 999999) if (ref := f"{n}{luhn_digit(str(n))}") != case.reference
    )
    answers = {
        reply_of(text_in(client, f"STATUS {ref}"))
        for ref in (case.reference, other_valid, "1234567", "", "abc")
    }
    assert answers == {expected("vi", "status_unknown")}
    assert case.reference not in str(answers)


@pytest.mark.slow
@both_backends
def test_a_flooding_number_is_stored_but_gets_no_automatic_replies(
    client: Any, runtime: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = runtime.settings.with_overrides(sms_flood_limit=3)
    monkeypatch.setattr(runtime, "settings", settings)
    replies = [reply_of(text_in(client, "HELP")) for _ in range(5)]
    assert replies[:3] == [expected_help("en")] * 3
    assert replies[3:] == [None, None]
    assert reply_of(text_in(client, "STOP")) is None
    assert opted_out(runtime)  # the opt-out itself still counts
    assert len(inbound(runtime)) == 6
    # Another number is not affected.
    assert reply_of(text_in(client, "HELP", sender=OTHER_WORKER_NUMBER)) is not None


def test_replies_are_recorded_with_a_status_callback_keyed_to_the_record(
    client: Any, runtime: Any
) -> None:
    [message] = messages_in(text_in(client, "HELP"))
    [record] = outbound(runtime)
    assert message.get("StatusCallback") == f"https://hotline.example.org/sms/status?m={record.id}"
    assert record.body == message["Body"] and record.kind == "system"
    assert record.sid == message["sid"]
    with runtime.db.session() as session:
        [job] = session.scalars(select(OutboxJob).where(OutboxJob.name == "sms.send")).all()
    assert job.args["message_id"] == record.id and job.done_at is not None


def test_an_unanswerable_sender_is_a_clear_400(client: Any, runtime: Any) -> None:
    from tests.helpers import twilio_post

    response = twilio_post(
        client,
        "/sms/incoming",
        {"MessageSid": new_sid(), "From": "ACME-HR", "To": "+81500000000", "Body": "hi"},
    )
    assert response.status_code == 400
    with runtime.db.session() as session:
        assert session.scalars(select(SmsMessage)).all() == []


def test_worker_number_fixture_is_a_made_up_number() -> None:
    assert WORKER_NUMBER.startswith("+8190000")


def test_an_english_keyword_from_a_home_country_number_is_answered_in_its_language(
    client: Any, runtime: Any
) -> None:
    vietnamese_sim = "+84900000001"  # made-up Vietnamese mobile number
    assert reply_of(text_in(client, "HELP", sender=vietnamese_sim)) == expected_help("vi")
    text_in(client, "CALL", sender=vietnamese_sim)
    # A Japanese SIM says nothing about its owner's language.
    text_in(client, "CALL", sender=OTHER_WORKER_NUMBER)
    with runtime.db.session() as session:
        languages = sorted(c.language for c in session.scalars(select(CallbackRequest)))
    assert languages == ["en", "vi"]
    assert caller_for(runtime, vietnamese_sim).language is None  # a guess, not their choice
