"""The IVR as callers meet it: remembered language, poster keys, bad keys, and the
languages Twilio cannot speak."""

from __future__ import annotations

from typing import Any

import pytest

from tests.acceptance.conftest import Edge
from tests.acceptance.outsider import Deployment
from tests.acceptance.voice_engine import Document, TwilioCall

pytestmark = pytest.mark.slow  # starts the deployment's servers

RETURNING_WORKER = "+84900000201"
NEPALI_WORKER = "+9779800000301"  # made-up Nepali mobile number
KHMER_WORKER = "+85590000401"  # made-up Cambodian mobile number

# Languages Twilio has no text-to-speech for (languages.csv: empty twilio_say_language).
NO_TTS_SAY_LANGUAGES = {"ne-NP", "km-KH", "my-MM", "si-LK", "mn-MN", "uz-UZ", "ur-PK"}


def say_languages(document: Document) -> set[str | None]:
    return {lang for lang, _ in document.says()}


def test_a_returning_caller_is_greeted_in_the_language_they_chose_and_the_poster_keys_work(
    hotline: Deployment,
) -> None:
    first = TwilioCall(hotline, RETURNING_WORKER)
    first.start()
    first.press("84", finished_on_key="#")
    first.hang_up()

    call = TwilioCall(hotline, RETURNING_WORKER)
    menu = call.start()
    assert say_languages(menu) == {"vi-VN"}, f"a known caller skips the language menu: {menu.text}"
    menu_says = [text for _, text in menu.says()]

    # 0: emergency numbers, in Vietnamese
    emergency = call.press("0")
    spoken = " ".join(text for _, text in emergency.says())
    assert say_languages(emergency) == {"vi-VN"}
    assert "110" in spoken.replace(" ", "") and "119" in spoken.replace(" ", ""), spoken
    back = call.press("*")
    assert [text for _, text in back.says()][-1] == menu_says[-1]

    # *: repeat the main menu
    repeated = call.press("*")
    assert [text for _, text in repeated.says()][-1] == menu_says[-1], repeated.text
    assert say_languages(repeated) == {"vi-VN"}

    # 9: the language menu again (calling code + #)
    language_menu = call.press("9")
    gather = language_menu.gather()
    assert "#" in gather.get("finishOnKey", ""), language_menu.text
    again = call.press("84", finished_on_key="#")
    assert say_languages(again) == {"vi-VN"}

    # an invalid key re-prompts, in Vietnamese, with the menu again
    invalid = call.press("8")
    assert say_languages(invalid) == {"vi-VN"}
    assert invalid.gather() is not None, "an invalid key re-prompts"
    assert [text for _, text in invalid.says()][-1] == menu_says[-1]
    told = [text for _, text in invalid.says()]
    assert set(told) - set(menu_says), f"the caller is told the key is not an option: {told}"

    # three failures end politely: a goodbye and a hang-up, never an endless loop
    call.press("8")
    third = call.press("8")
    steps = [third]
    for _ in range(2):
        if steps[-1].verbs("Hangup"):
            break
        steps.append(call.press("5") if steps[-1].verbs("Gather") else call.follow_redirect())
    final = steps[-1]
    assert final.verbs("Hangup"), f"the call should end after three failures: {final.text}"
    assert final.says() and say_languages(final) == {"vi-VN"}, final.text
    assert call.hang_up().status_code in (200, 204)


def test_a_nepali_caller_hears_recorded_audio_and_never_a_say_in_nepali(
    hotline: Deployment,
) -> None:
    call = TwilioCall(hotline, NEPALI_WORKER)
    call.start()
    menu = call.press("977", finished_on_key="#")
    info = call.press("4")
    for document in (menu, info):
        assert not document.says(), f"no <Say> for a language Twilio cannot speak: {document.text}"
        assert document.plays(), document.text
    urls = {url for document in (menu, info) for url in document.plays()}
    for url in urls:
        audio = hotline.get_public(url)
        assert audio.status_code == 200, (url, audio.status_code)
        assert audio.headers["Content-Type"].split(";")[0] in (
            "audio/wav",
            "audio/x-wav",
            "audio/wave",
            "audio/mpeg",
        ), (url, audio.headers["Content-Type"])
        assert len(audio.content) > 100
    call.hang_up()


def test_a_khmer_caller_gets_a_callback_request_without_any_say_in_khmer(
    hotline: Deployment, edge: Edge, openapi: dict[str, Any]
) -> None:
    sokha = hotline.add_agent("Sokha", "km", "+819000001003")
    call = TwilioCall(hotline, KHMER_WORKER)
    call.start()
    answer = call.press("855", finished_on_key="#")
    documents = [answer]
    while documents[-1].verbs("Redirect") and len(documents) < 5:
        documents.append(call.follow_redirect())
    for document in documents:
        assert not (say_languages(document) & NO_TTS_SAY_LANGUAGES), document.text
        assert not document.says(), f"no <Say> in another language either: {document.text}"
    assert documents[-1].verbs("Hangup") or not documents[-1].verbs("Gather")
    call.hang_up()

    queue = hotline.api(sokha).get("/api/queue")
    assert queue.status_code == 200
    khmer = [cb for cb in queue.json() if cb["language"] == "km"]
    assert len(khmer) == 1, queue.json()
    # Discreet defaults: never identify the hotline, no SMS.
    assert khmer[0]["discretion"] == {"may_identify": False, "sms_allowed": False}
    assert not edge.twilio.sms_to(KHMER_WORKER)


def walk_silently(call: TwilioCall, limit: int) -> list[Document]:
    """Stay silent at every <Gather> until the call ends (or `limit` documents)."""
    seen = []
    for _ in range(limit):
        document = call.doc
        if document.verbs("Hangup") or not (document.verbs("Gather") or document.verbs("Redirect")):
            break
        seen.append(call.silence() if document.verbs("Gather") else call.follow_redirect())
    return seen


def test_a_silent_caller_hears_every_language_page_and_the_call_then_ends(
    hotline: Deployment,
) -> None:
    call = TwilioCall(hotline, "+819000002001")
    first = call.start()
    walk_silently(call, limit=40)
    assert call.doc.verbs("Hangup") or not call.doc.verbs("Gather"), call.doc.text
    heard = [str(lang) for document in call.documents for lang, _ in document.says()]
    played = [url for document in call.documents for url in document.plays()]
    # Every language with a Twilio voice named itself, the others were played.
    for say_language in ("vi-VN", "id-ID", "fil-PH", "th-TH", "cmn-CN", "ko-KR", "pt-BR"):
        assert say_language in heard, (say_language, sorted(set(heard)))
    for code in ("ne", "my", "si", "uz", "ur"):
        assert any(f"/{code}/" in url for url in played), (code, played)
    assert first.gather() is not None
    call.hang_up()


def test_a_silent_caller_in_the_main_menu_is_not_kept_in_a_loop(hotline: Deployment) -> None:
    first = TwilioCall(hotline, "+819000002002")
    first.start()
    first.press("84", finished_on_key="#")
    first.hang_up()
    call = TwilioCall(hotline, "+819000002002")
    call.start()
    documents = walk_silently(call, limit=8)
    assert call.doc.verbs("Hangup"), [d.text for d in documents]
    assert len(documents) <= 5
    assert {lang for d in documents for lang, _ in d.says()} == {"vi-VN"}
    call.hang_up()
