"""Whole calls walked by the simulator: Vietnamese (Twilio speaks it), Nepali (recorded
audio), Khmer (no voice yet), through every branch of the main menu."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from sqlalchemy import func, select

from hotline.callbacks.models import CallbackRequest
from hotline.cases.models import Case
from hotline.jobs.models import OutboxJob
from hotline.sms.models import SmsMessage
from hotline.voice.models import Voicemail
from hotline.voice.scripts import get_scripts
from hotline.voice.simulator import SAY_LANGUAGES
from tests.builders import TOKYO, make_agent
from tests.conftest import both_backends
from tests.helpers import WORKER_NUMBER
from tests.voice.helpers import call_row, caller_rows, place_call

OFFICE_HOURS = dt.datetime(2026, 11, 30, 10, 0, tzinfo=TOKYO)  # a Monday, 10:00 in Japan
NIGHT = dt.datetime(2026, 11, 30, 3, 0, tzinfo=TOKYO)


def text(lang: str, prompt: str) -> str:
    """The prompt as spoken with the default settings (30 and 365 days of retention)."""
    return get_scripts().text(lang, prompt, {"voicemail_days": "30", "content_days": "365"})


def count(runtime: Any, model: Any) -> int:
    with runtime.db.session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def only(runtime: Any, model: Any) -> Any:
    with runtime.db.session() as s:
        rows = list(s.scalars(select(model)))
    assert len(rows) == 1, rows
    return rows[0]


# --- Vietnamese: Twilio speaks it ----------------------------------------------------


@both_backends
def test_new_vietnamese_caller_picks_84_hears_the_privacy_notice_and_requests_a_callback(
    client: Any, runtime: Any
) -> None:
    # 84# Vietnamese, 2 callback, 1 this number, 3 evening, 2 do not say "hotline",
    # 1 SMS allowed, 2 not in danger.
    result = place_call(client, "84#2 1 3 2 1 2")
    says = result.says()
    assert text("vi", "privacy_notice") in says
    assert "30 ngày" in text("vi", "privacy_notice") and "365 ngày" in text("vi", "privacy_notice")
    assert text("vi", "callback_done") in says
    callback = only(runtime, CallbackRequest)
    assert (callback.language, callback.window) == ("vi", "evening")
    assert (callback.may_identify, callback.sms_allowed, callback.urgent) == (False, True, False)
    case = only(runtime, Case)
    # The reference is read digit by digit, twice, in Vietnamese.
    spelled = ", ".join(case.reference)
    assert says.count(spelled) == 2
    sms = only(runtime, SmsMessage)
    assert case.reference in sms.body and sms.language == "vi"
    assert text("vi", "sms_sent") in says
    assert result.ended_by == "twiml"
    assert call_row(runtime, result.call_sid).ended_reason == "callback_requested"


def test_callback_without_sms_permission_sends_no_sms_and_says_none(
    client: Any, runtime: Any
) -> None:
    result = place_call(client, "84#2 1 4 1 2 1")
    callback = only(runtime, CallbackRequest)
    assert callback.window == "any" and callback.may_identify and callback.urgent
    assert callback.priority >= 100
    assert count(runtime, SmsMessage) == 0
    assert text("vi", "sms_sent") not in result.says()


def test_the_language_is_remembered_on_the_second_call_and_the_notice_not_repeated(
    client: Any, runtime: Any
) -> None:
    place_call(client, "84# 4 *")
    second = place_call(client, "4 1 *")
    says = second.says()
    assert says[0] == text("vi", "greeting")
    assert text("vi", "privacy_notice") not in says
    assert text("en", "language_intro") not in says
    assert text("vi", "info_wages") in says
    assert [c.language for c in caller_rows(runtime)] == ["vi"]


def test_callback_to_another_number_is_validated_and_keyed_numbers_are_never_stored_clear(
    client: Any, runtime: Any
) -> None:
    # 2, 2 another number: first a number that is not valid, then a Japanese mobile.
    result = place_call(client, "84#2 2 12345# 09000000002# 1 1 2 2")
    assert text("vi", "callback_number_invalid") in result.says()
    callback = only(runtime, CallbackRequest)
    assert "09000000002" not in callback.phone_encrypted
    from hotline.crypto import decrypt_phone

    assert decrypt_phone(runtime.settings.secret_key, callback.phone_encrypted) == "+819000000002"
    # No SMS to the calling number when the callback goes to another number.
    assert count(runtime, SmsMessage) == 0
    with runtime.db.session() as s:
        states = [c.ivr_state for c in s.scalars(select(type(call_row(runtime, result.call_sid))))]
    assert "09000000002" not in str(states)


@pytest.mark.slow
@both_backends
def test_a_voice_message_joins_the_case_and_queues_its_transcription(
    client: Any, runtime: Any
) -> None:
    result = place_call(client, "84#3 R12#")
    says = result.says()
    assert text("vi", "voicemail_intro") in says and text("vi", "voicemail_saved") in says
    voicemail = only(runtime, Voicemail)
    case = only(runtime, Case)
    assert voicemail.case_id == case.id and voicemail.duration_seconds == 12
    assert voicemail.language == "vi" and voicemail.transcription_status == "pending"
    with runtime.db.session() as s:
        jobs = list(s.scalars(select(OutboxJob).where(OutboxJob.name == "voicemail.transcribe")))
    assert [j.args for j in jobs] == [{"voicemail_id": voicemail.id}]
    assert ", ".join(case.reference) in says


def test_a_voice_message_is_kept_even_if_the_recording_callback_never_comes(
    client: Any, runtime: Any
) -> None:
    place_call(client, "84#3 R12#", recording_callbacks=False)
    voicemail = only(runtime, Voicemail)
    assert voicemail.duration_seconds == 12
    with runtime.db.session() as s:
        jobs = list(s.scalars(select(OutboxJob).where(OutboxJob.name == "voicemail.transcribe")))
    assert [j.args for j in jobs] == [{"voicemail_id": voicemail.id}]


def test_a_too_short_voice_message_is_asked_for_once_more_then_the_menu_returns(
    client: Any, runtime: Any
) -> None:
    result = place_call(client, "84#3 R1# . *")
    says = result.says()
    assert says.count(text("vi", "voicemail_too_short")) == 1
    assert text("vi", "voicemail_not_saved") in says
    assert says[-1] == text("vi", "main_menu")
    assert count(runtime, Voicemail) == 0


def test_silence_instead_of_a_message_then_a_real_one_is_kept(client: Any, runtime: Any) -> None:
    result = place_call(client, "84#3 . R8#")
    assert text("vi", "voicemail_too_short") in result.says()
    assert only(runtime, Voicemail).duration_seconds == 8


@pytest.mark.slow
def test_information_topics_are_read_and_star_returns_to_the_main_menu(
    client: Any, runtime: Any
) -> None:
    result = place_call(client, "84#4 1 5 *")
    says = result.says()
    assert text("vi", "info_wages") in says and text("vi", "info_passport") in says
    assert says[-1] == text("vi", "main_menu")


def test_emergency_gives_110_and_119_and_can_mark_the_case_urgent(
    client: Any, runtime: Any
) -> None:
    result = place_call(client, "84#0 1")
    says = result.says()
    assert "1 1 0" in text("vi", "emergency") and "1 1 9" in text("vi", "emergency")
    assert text("vi", "emergency") in says and text("vi", "emergency_marked") in says
    case = only(runtime, Case)
    assert case.urgent
    assert only(runtime, CallbackRequest).urgent


def test_nine_changes_the_language_and_the_new_one_is_remembered(client: Any, runtime: Any) -> None:
    result = place_call(client, "84#9 63#")
    assert result.says()[-1] == text("fil", "main_menu")
    assert [c.language for c in caller_rows(runtime)] == ["fil"]


def test_star_repeats_the_main_menu(client: Any, runtime: Any) -> None:
    result = place_call(client, "84#* *")
    assert result.says().count(text("vi", "main_menu")) == 3


@pytest.mark.slow
def test_invalid_keys_and_silence_reprompt_and_three_failures_offer_a_callback_then_goodbye(
    client: Any, runtime: Any
) -> None:
    result = place_call(client, "84# 7 . 8 .")
    says = result.says()
    assert text("vi", "invalid_choice") in says and text("vi", "no_input") in says
    assert text("vi", "too_many_failures") in says
    assert says[-1] == text("vi", "goodbye")
    assert result.ended_by == "twiml"


def test_after_three_failures_two_still_requests_a_callback(client: Any, runtime: Any) -> None:
    place_call(client, "84# 7 7 7 2 1 4 2 2 2")
    assert only(runtime, CallbackRequest).window == "any"


def test_an_unknown_calling_code_reprompts_and_silence_pages_through_the_languages(
    client: Any, runtime: Any
) -> None:
    result = place_call(client, "999# . 855#")
    says = result.says()
    assert text("en", "language_not_recognised") in says
    # The second page names Chinese and Thai in themselves.
    assert text("zh", "language_choice") in says and text("th", "language_choice") in says


def test_a_caller_who_never_picks_a_language_is_not_kept_in_a_loop(
    client: Any, runtime: Any
) -> None:
    result = place_call(client, "." * 40)
    assert result.ended_by == "twiml"
    assert result.says()[-2:] == [text("en", "goodbye"), text("ja", "goodbye")]


# --- 1: talk now ---------------------------------------------------------------------


def test_talk_now_outside_opening_hours_offers_a_callback(client: Any, runtime: Any) -> None:
    make_agent(runtime, name="Test adviser", languages="vi", phone=None, available=True)
    with time_machine.travel(NIGHT, tick=False):
        result = place_call(client, "84#1 1 1 1 1 1 2")
    assert text("vi", "talk_unavailable") in result.says()
    assert only(runtime, CallbackRequest).language == "vi"


def test_talk_now_without_an_adviser_for_the_language_offers_a_callback(
    client: Any, runtime: Any
) -> None:
    make_agent(runtime, name="Test adviser", languages="en,ja", phone=None, available=True)
    make_agent(runtime, name="Test adviser", languages="vi", phone=None, available=False)
    with time_machine.travel(OFFICE_HOURS, tick=False):
        result = place_call(client, "84#1 *")
    assert text("vi", "talk_unavailable") in result.says()
    assert result.says()[-1] == text("vi", "main_menu")


def test_talk_now_enqueues_in_the_language_queue_and_the_adviser_answers(
    client: Any, runtime: Any
) -> None:
    make_agent(runtime, name="Test adviser", languages="vi,en", phone=None, available=True)
    with time_machine.travel(OFFICE_HOURS, tick=False):
        result = place_call(client, "84#1 . A")
    queued = [doc for doc in result.documents if "<Enqueue" in doc]
    assert len(queued) == 1 and ">hotline-vi</Enqueue>" in queued[0]
    says = result.says()
    assert text("vi", "queue_position") in says and text("vi", "queue_offer_callback") in says
    assert call_row(runtime, result.call_sid).ended_reason == "bridged"


def test_one_while_waiting_leaves_the_queue_for_a_callback_request(
    client: Any, runtime: Any
) -> None:
    make_agent(runtime, name="Test adviser", languages="vi", phone=None, available=True)
    with time_machine.travel(OFFICE_HOURS, tick=False):
        place_call(client, "84#1 1 1 2 2 2 2")
    assert only(runtime, CallbackRequest).window == "afternoon"


@pytest.mark.slow
@both_backends
def test_hanging_up_in_the_queue_is_recorded_as_abandoned(client: Any, runtime: Any) -> None:
    make_agent(runtime, name="Test adviser", languages="vi", phone=None, available=True)
    with time_machine.travel(OFFICE_HOURS, tick=False):
        result = place_call(client, "84#1 . .")
    call = call_row(runtime, result.call_sid)
    assert call.ended_reason == "abandoned_in_queue"
    assert call.status == "completed" and call.duration_seconds is not None


@pytest.mark.parametrize("language", ["vi", "ne"])
def test_opening_hours_are_per_language(
    client: Any, runtime: Any, language: str, monkeypatch: Any
) -> None:
    settings = runtime.settings.with_overrides(language_opening_hours=(("vi", "02:00-04:00"),))
    monkeypatch.setattr(runtime, "settings", settings)
    make_agent(runtime, name="Test adviser", languages=language, phone=None, available=True)
    code = {"vi": "84", "ne": "977"}[language]
    with time_machine.travel(NIGHT, tick=False):
        result = place_call(client, f"{code}#1 .")
    enqueued = any("<Enqueue" in doc for doc in result.documents)
    assert enqueued == (language == "vi")


# --- Nepali: recorded audio, never <Say> ------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    "keys, outcome",
    [
        ("977#2 1 1 1 1 2", CallbackRequest),
        ("977#3 R9#", Voicemail),
        ("977#4 3 *", None),
        ("977#0 1", CallbackRequest),
        ("977#1 1 1 1 1 1 2", CallbackRequest),
        ("977#9 84#", None),
        ("977#*", None),
    ],
)
def test_nepali_calls_play_recordings_in_every_branch(
    client: Any, runtime: Any, keys: str, outcome: Any
) -> None:
    with time_machine.travel(NIGHT, tick=False):
        result = place_call(client, keys)
    greeting = next(
        i for i, h in enumerate(result.heard) if h.url and "/audio/ne/greeting.wav" in h.url
    )
    after_choice = result.heard[greeting:]
    if not keys.startswith("977#9"):
        # Once Nepali is chosen, everything is <Play>ed: Twilio cannot speak Nepali.
        assert [h for h in after_choice if h.kind == "say"] == []
    nepali = [url for url in result.played if "/audio/ne/" in url]
    assert any("/audio/ne/main_menu.wav" in url for url in nepali)
    if outcome is not None:
        assert count(runtime, outcome) == 1


# --- Khmer: no voice yet ----------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("after", ["", "1", "2", "3", "4", "9", "0", "*"])
def test_khmer_callers_get_a_callback_request_at_once_whatever_they_press(
    client: Any, runtime: Any, after: str
) -> None:
    result = place_call(client, "855#" + after)
    callback = only(runtime, CallbackRequest)
    assert callback.language == "km"
    # Discreet defaults: never identify the hotline, never text.
    assert (callback.window, callback.may_identify, callback.sms_allowed) == ("any", False, False)
    assert result.ended_by == "twiml"
    assert all(h.language in SAY_LANGUAGES for h in result.heard if h.kind == "say")
    assert any(url.endswith("/audio/tones/ack.wav") for url in result.played)
    assert call_row(runtime, result.call_sid).ended_reason == "no_voice_callback"


def test_a_recorded_khmer_notice_is_played_when_it_exists(
    client: Any, runtime: Any, tmp_path: Any, monkeypatch: Any
) -> None:
    import shutil

    from hotline.voice import scripts as scripts_module

    audio = tmp_path / "audio"
    shutil.copytree(scripts_module.audio_dir(), audio)
    (audio / "km").mkdir()
    shutil.copy(audio / "tones" / "ack.wav", audio / "km" / "no_voice_notice.wav")
    monkeypatch.setattr(runtime, "settings", runtime.settings.with_overrides(audio_path=audio))
    result = place_call(client, "855#")
    assert any("/audio/km/no_voice_notice.wav" in url for url in result.played)


# --- withheld numbers -------------------------------------------------------------------


def test_a_withheld_number_can_still_ask_for_a_callback_by_keying_a_number(
    client: Any, runtime: Any
) -> None:
    result = place_call(client, "84#2 09000000003# 1 1 2 2", from_number="anonymous")
    assert text("vi", "callback_enter_number") in result.says()
    callback = only(runtime, CallbackRequest)
    assert callback.language == "vi"


def test_a_withheld_number_keys_a_number_then_leaves_its_voice_message(
    client: Any, runtime: Any
) -> None:
    """Pressing 3 from a withheld number asks for a number to attach the message to,
    then records it: the message is not turned into a callback request."""
    result = place_call(client, "84#3 09000000004# R12#", from_number="anonymous")
    assert text("vi", "callback_enter_number") in result.says()
    voicemail = only(runtime, Voicemail)
    case = only(runtime, Case)
    assert voicemail.case_id == case.id and case.language == "vi"
    assert count(runtime, CallbackRequest) == 0
    assert caller_rows(runtime)[0].id == case.caller_id


def test_a_withheld_number_that_leaves_the_message_for_a_callback_gets_the_callback(
    client: Any, runtime: Any
) -> None:
    """Asked for a number after pressing 3, the caller gives up (three empty answers),
    goes back to the menu and asks for a callback instead: the number it then keys in
    leads to the callback questions, not back to the recording."""
    place_call(client, "84#3 # # # 2 09000000005# 1 1 2 2", from_number="anonymous")
    assert count(runtime, Voicemail) == 0
    assert only(runtime, CallbackRequest).language == "vi"


# --- the same step delivered twice -------------------------------------------------------


@both_backends
def test_every_step_delivered_twice_gets_the_same_answer_and_changes_nothing(
    client: Any, runtime: Any
) -> None:
    place_call(client, "84#2 1 3 2 1 2", deliver_twice=True, call_sid="CA" + "1" * 32)
    assert count(runtime, CallbackRequest) == 1
    assert count(runtime, SmsMessage) == 1
    assert count(runtime, Case) == 1
    place_call(client, "3 R6#", deliver_twice=True, call_sid="CA" + "2" * 32)
    assert count(runtime, Voicemail) == 1


def test_a_repeated_final_step_does_not_raise_the_callback_again(client: Any, runtime: Any) -> None:
    from tests.helpers import twilio_post

    result = place_call(client, "84#2 1 1 1 2 2")
    final = result.exchanges[-2]  # the urgency answer; the last one is /voice/status
    assert "/voice/node/callback_urgent" in final.url
    before = only(runtime, CallbackRequest)
    path = final.url.replace("https://hotline.example.org", "")
    again = twilio_post(client, path, final.params)
    assert again.status_code == 200 and again.get_data(as_text=True) == final.body
    after = only(runtime, CallbackRequest)
    assert after.priority == before.priority and after.updated_at == before.updated_at


def test_a_step_url_with_a_bad_counter_is_a_400(client: Any, runtime: Any) -> None:
    from tests.helpers import twilio_post

    params = {"CallSid": "CA" + "3" * 32, "From": WORKER_NUMBER, "Digits": "1"}
    assert twilio_post(client, "/voice/node/main?s=x", params).status_code == 400
    assert twilio_post(client, "/voice/node/nowhere?s=2", params).status_code in (200, 400)


def test_an_unsigned_step_is_refused(client: Any, runtime: Any) -> None:
    response = client.post(
        "/voice/node/main?s=2",
        data={"CallSid": "CA" + "4" * 32, "Digits": "1"},
    )
    assert response.status_code == 403
