"""`to_xml` writes exactly what `str(document)` writes (twilio through ElementTree).

Every answer the app writes in any test is compared with `str(document)` by the autouse
fixture `twiml_answers` (tests/conftest.py); here, whole calls through every kind of
answer, then generated documents full of what escaping and `TwiML.xml` make tricky. Those
are written with ElementTree switched off, so a fallback to `str(document)` cannot hide a
difference.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import time_machine
from twilio.twiml import GenericNode, TwiML
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import Gather, VoiceResponse

from hotline.twiml_xml import to_xml
from tests.builders import TOKYO, make_agent
from tests.conftest import TWIML_WRITERS, TwimlAnswers
from tests.voice.helpers import place_call

OFFICE_HOURS = dt.datetime(2026, 11, 30, 10, 0, tzinfo=TOKYO)  # a Monday, 10:00 in Japan


@contextmanager
def elementtree_refused() -> Iterator[None]:
    """`TwiML.xml` (the ElementTree build under `str(document)`) raises meanwhile."""

    def refuse(self: TwiML) -> Any:
        raise AssertionError("to_xml fell back to str(document)")

    original = TwiML.xml
    TwiML.xml = refuse
    try:
        yield
    finally:
        TwiML.xml = original


def direct_and_twilio(document: TwiML) -> tuple[str, str]:
    """`to_xml(document)` with ElementTree refused, then `str(document)`."""
    with elementtree_refused():
        direct = to_xml(document)
    return direct, str(document)


# --- (a) every answer of whole calls ----------------------------------------------------

CALLS = [
    # keys, what the call hears: the language menu, then...
    ("84#2 1 3 2 1 2", "Vietnamese, Twilio's voice: a callback request, goodbye"),
    ("977#3 R9#", "Nepali, recorded audio: a voice message (<Record>)"),
    ("95#4 1 *", "Burmese, recorded audio: information topics"),
    ("855#", "Khmer, no voice: a callback at once, a tone"),
    ("84#9 63#", "Vietnamese, then Filipino chosen with 9"),
    ("84#1 . A", "Vietnamese, talk now: the queue (<Enqueue>), an adviser answers"),
    ("." * 40, "no language ever chosen: the menu pages through every language, goodbye"),
]


def test_every_answer_of_whole_calls_is_what_twilio_writes(
    client: Any, runtime: Any, twiml_answers: TwimlAnswers
) -> None:
    make_agent(runtime, name="Test adviser", languages="vi", phone=None, available=True)
    documents: list[str] = []
    for n, (keys, _what) in enumerate(CALLS):
        written = len(twiml_answers.written)
        with time_machine.travel(OFFICE_HOURS, tick=False):
            result = place_call(client, keys, from_number=f"+8190000001{n:02d}")
        # Each answer the call got was written by to_xml and compared with str(document)
        # (the fixture fails the test at teardown on a difference).
        assert result.documents == twiml_answers.written[written:], keys
        documents += result.documents
    everything = "".join(documents)
    for verb in ("<Gather ", "<Say ", "<Play>", "<Record ", "<Enqueue", "<Redirect", "<Hangup />"):
        assert verb in everything, verb
    for words in ("Tiếng Việt", "/audio/ne/", "/audio/my/", "/audio/tones/ack.wav"):
        assert words in everything, words
    assert "&amp;" in everything  # step URLs carry several query parameters


def test_the_empty_sms_answer_is_twilios() -> None:
    from hotline.sms.routes import EMPTY

    assert EMPTY == str(MessagingResponse()) == '<?xml version="1.0" encoding="UTF-8"?><Response />'


def test_every_module_that_writes_twiml_with_to_xml_is_checked_by_the_suite() -> None:
    package = Path(__file__).resolve().parents[2] / "hotline"
    writers = {
        ".".join(path.relative_to(package.parent).with_suffix("").parts)
        for path in package.rglob("*.py")
        if re.search(r"^from hotline\.twiml_xml import", path.read_text(), re.MULTILINE)
    }
    # sms.routes writes its one empty answer once, at import (checked above).
    assert writers == {*TWIML_WRITERS, "hotline.sms.routes"}


# --- (b) documents made tricky ----------------------------------------------------------

TRICKY = [
    "",
    "plain",
    "& < > \" '",
    "a&amp;b",  # already an entity: escaped again, as ElementTree does
    "line\nbreak\r\nand\ttab\r",
    "]]> <![CDATA[",
    "Tiếng Việt",
    "မြန်မာဘာသာ",  # Burmese
    "नेपाली",  # Nepali
    "ភាសាខ្មែរ",
    "📞 🙂 👩🏽‍🔧",  # emoji, one with a zero-width joiner
    "\u00a0non-breaking\u200bzero-width",
    "https://hotline.example.org/voice/node/menu?lang=vi&step=3&n=%20",
]


def hand_made() -> list[tuple[str, Callable[[], TwiML]]]:
    def mixed_strings() -> TwiML:
        r = VoiceResponse()
        r.append("first")
        r.append("text wins: the last string before a verb")
        r.say("hi")
        r.append("dropped: only the last tail stays")
        r.append("tail & <tail>")
        r.pause(length=1)
        r.append("")  # an empty tail writes nothing
        r.hangup()
        r.append("end")
        return r

    def only_strings() -> TwiML:
        r = MessagingResponse()
        r.append("a")
        r.append("")  # the last one wins, and it is empty: <Response />
        return r

    def value_then_string() -> TwiML:
        node = GenericNode("Say", "the value")
        node.append("a string child replaces it")
        return node

    def nested() -> TwiML:
        r = VoiceResponse()
        g = r.gather(
            num_digits=1,
            action="/voice/node/menu?a=1&b=2",
            action_on_empty_result=True,
            finish_on_key="#",
            timeout=None,  # skipped by twilio
            input=["dtmf", "speech"],
            speech_timeout=1.5,
        )
        g.say("Chọn ngôn ngữ", language="vi-VN", voice="Google.vi-VN-Standard-A")
        g.play("https://hotline.example.org/audio/my/menu.wav?v=abc", loop=0)
        g.say("").break_(strength="x-weak", time="100ms")
        s = g.say("ssml")
        s.lang("English", xml_lang="en-US")
        s.say_as("12", interpret_as="digits")
        r.redirect("/voice/node/menu?lang=vi&n=2", method="POST")
        d = r.dial(caller_id="+81500000000", record=False, timeout=20)
        d.queue("hotline-vi", url="/agents/live?lang=vi&agent=1")
        d.number("+819000000123", send_digits="ww1#")
        r.enqueue("hotline-ne", wait_url="/voice/queue/wait?lang=ne", wait_url_method="POST")
        r.record(max_length=120, play_beep=True, trim="trim-silence", action="/r?x=1&y=2")
        r.leave()
        r.hangup()
        return r

    def messages() -> TwiML:
        r = MessagingResponse()
        m = r.message("Cảm ơn & <ok>", to="+819000000124", from_="+81500000000")
        m.media("https://hotline.example.org/m.png?a=1&b=2")
        r.redirect("/sms/next")
        return r

    def generic() -> TwiML:
        r = VoiceResponse()
        r.add_child("Custom", "json & text", some_attr="x\ny", other_attr=True)
        r.add_child("Parameter", {"name": "<n>", "value": 'ဗမာ & "q"'})
        r.add_child("Empty", {})  # a falsy value writes no text
        r.add_child("Zero", 0)
        r.add_child("Attrs", None, a="", b=0, c=False)
        r.nest(Gather()).nest(GenericNode("Deep", None)).add_child("Deeper", "d")
        return r

    def odd_attribute_values() -> TwiML:
        class Spoken:
            def __str__(self) -> str:
                return 'made by __str__ & "quoted"'

        return GenericNode("Say", "x", obj=Spoken(), number=7, ratio=0.1, none_kept="None")

    cases = [
        ("empty response", VoiceResponse),
        ("empty messaging", MessagingResponse),
        ("mixed strings", mixed_strings),
        ("only strings", only_strings),
        ("value then string", value_then_string),
        ("nested", nested),
        ("messages", messages),
        ("generic", generic),
        ("odd attribute values", odd_attribute_values),
    ]
    for i, text in enumerate(TRICKY):

        def in_text(text: str = text) -> TwiML:
            r = VoiceResponse()
            r.say(text, voice=text, language="vi-VN")
            r.append(text)
            r.play(text)
            r.append(text)
            return r

        def in_attribute(text: str = text) -> TwiML:
            return GenericNode("Node", None, **{"attr": text, "b": text + "2"})

        cases += [(f"tricky text {i}", in_text), (f"tricky attribute {i}", in_attribute)]
    return cases


@pytest.mark.parametrize("name, make", hand_made(), ids=[n for n, _ in hand_made()])
def test_hand_made_documents_are_written_as_twilio_writes_them(
    name: str, make: Callable[[], TwiML]
) -> None:
    direct, twilio = direct_and_twilio(make())
    assert direct == twilio


def random_document(rng: random.Random, depth: int = 0) -> TwiML:
    def value() -> Any:
        return rng.choice([*TRICKY, None, True, False, 0, 12, 2.5, {"k": rng.choice(TRICKY)}])

    def attrs() -> dict[str, Any]:
        names = ["action", "language", "voice", "num_digits", "from_", "xml_lang", "url", "a_b"]
        return {k: value() for k in rng.sample(names, rng.randint(0, 4))}

    name = rng.choice(["Response", "Gather", "Say", "Play", "Hangup", "Dial", "Message", "X"])
    node = GenericNode(name, rng.choice([None, "", rng.choice(TRICKY), {"v": 1}]), **attrs())
    for _ in range(rng.randint(0, 4 if depth < 3 else 0)):
        if rng.random() < 0.4:
            node.append(rng.choice(TRICKY))
        else:
            node.append(random_document(rng, depth + 1))
    return node


def test_generated_documents_are_written_as_twilio_writes_them() -> None:
    rng = random.Random(20261201)
    for n in range(600):
        document = random_document(rng)
        direct, twilio = direct_and_twilio(document)
        assert direct == twilio, n


def test_a_dict_value_is_written_as_json_and_left_a_dict() -> None:
    node = GenericNode("Parameter", {"a": "<&>"})
    with elementtree_refused():
        assert to_xml(node).endswith('<Parameter>{"a": "&lt;&amp;&gt;"}</Parameter>')
    assert node.value == {"a": "<&>"}  # TwiML.xml() replaces it by its JSON
    assert to_xml(node) == str(node)


# --- what to_xml leaves to str(document) ------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda: GenericNode("{urn:example}Say", "namespaced"),
        lambda: GenericNode("Say", "x", **{"{urn:example}attr": "namespaced"}),
        lambda: VoiceResponse().say("a lone surrogate \ud83d"),
        lambda: GenericNode("Say", type("Text", (str,), {})("a str subclass")),
    ],
    ids=["namespaced name", "namespaced attribute", "lone surrogate", "str subclass"],
)
def test_what_it_cannot_match_for_certain_is_left_to_twilio(make: Callable[[], TwiML]) -> None:
    assert to_xml(make()) == str(make())
    with pytest.raises(AssertionError, match="fell back to str"):
        direct_and_twilio(make())


def test_what_twilio_cannot_write_fails_the_same_way() -> None:
    with pytest.raises(TypeError) as twilio:
        str(GenericNode("Say", 5))
    with pytest.raises(TypeError) as direct:
        to_xml(GenericNode("Say", 5))
    assert str(direct.value) == str(twilio.value)


def test_the_suites_check_notices_a_document_written_differently(
    twiml_answers: TwimlAnswers, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hotline import twiml_xml, webhooks

    monkeypatch.setattr(twiml_xml, "to_xml", lambda document: to_xml(document).replace(" />", "/>"))
    webhooks.twiml(VoiceResponse())
    assert twiml_answers.different == [
        ('<?xml version="1.0" encoding="UTF-8"?><Response/>', str(VoiceResponse()))
    ]
    twiml_answers.different.clear()  # noticed: the test passes
