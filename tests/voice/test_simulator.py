"""The call simulator: refuses what Twilio refuses, walks generic TwiML, and drives a
running hotline from the command line."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask, Response, request

from hotline.voice.simulator import (
    CallSimulator,
    FlaskTransport,
    KeyScript,
    TwimlRejected,
    validate_twiml,
)
from tests.helpers import AUTH_TOKEN, PUBLIC_URL, WORKER_NUMBER


def doc(body: str) -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?><Response>{body}</Response>'


@pytest.mark.parametrize(
    "body, reason",
    [
        ("<Speak>hello</Speak>", "<Speak> is not allowed"),
        ("<Gather><Record/></Gather>", "<Record> is not allowed inside <Gather>"),
        ('<Gather numDigitz="1"><Say>hi</Say></Gather>', "unknown attribute(s) numDigitz"),
        ('<Say language="ne-NP">नमस्ते</Say>', "cannot speak language 'ne-NP'"),
        ("<Hangup>now</Hangup>", "cannot hold text"),
        ("<Say><Play>x</Play></Say>", "<Play> is not allowed inside <Say>"),
    ],
)
def test_twiml_twilio_would_reject_is_refused(body: str, reason: str) -> None:
    with pytest.raises(TwimlRejected, match=reason.replace("(", r"\(").replace(")", r"\)")):
        validate_twiml(doc(body))


def test_a_wait_document_may_not_record() -> None:
    validate_twiml(doc("<Say>wait</Say><Leave/>"), context="wait")
    with pytest.raises(TwimlRejected, match="waitUrl"):
        validate_twiml(doc("<Record/>"), context="wait")


def test_valid_twiml_passes_the_check() -> None:
    validate_twiml(
        doc(
            '<Gather action="/a" numDigits="1" actionOnEmptyResult="true">'
            '<Say language="vi-VN" voice="Google.vi-VN-Standard-A">Xin chào</Say>'
            '<Play>https://x/y.wav</Play><Pause length="1"/></Gather>'
            '<Dial action="/d" timeout="20"><Number>+819000000009</Number></Dial>'
            '<Enqueue waitUrl="/w" action="/q">hotline-vi</Enqueue><Redirect>/r</Redirect>'
        )
    )


def test_key_scripts_read_keys_silence_speech_and_answers() -> None:
    keys = KeyScript("84#2 . R7# A")
    assert keys.gather(None, "#") == ("84", "#")
    assert keys.gather(1, "") == ("2", None)
    assert keys.gather(1, "") == ("", None)
    assert keys.record("#") == (7, "#")
    assert keys.answered()
    with pytest.raises(ValueError):
        KeyScript("84#x")


def test_the_simulator_walks_a_dial_flow_generically() -> None:
    """Any TwiML, e.g. the advisers' dial flow: announcement, Gather, Dial with action."""
    app = Flask(__name__)
    seen: list[dict[str, str]] = []

    def answer(body: str) -> Response:
        seen.append(dict(request.form))
        return Response(doc(body), content_type="text/xml")

    @app.post("/start")
    def start() -> Response:
        return answer(
            '<Gather action="/accept" numDigits="1"><Say language="en-US">Press 1</Say></Gather>'
            "<Hangup/>"
        )

    @app.post("/accept")
    def accept() -> Response:
        return answer('<Dial action="/after"><Number>+819000000009</Number></Dial>')

    @app.post("/after")
    def after() -> Response:
        return answer(f"<Say>{request.form['DialCallStatus']}</Say><Hangup/>")

    @app.post("/voice/status")
    def status() -> Response:
        seen.append(dict(request.form))
        return Response("")

    simulator = CallSimulator(
        FlaskTransport(app.test_client(), PUBLIC_URL),
        auth_token=AUTH_TOKEN,
        public_url=PUBLIC_URL,
        from_number="+81500000000",
        keys=KeyScript("1 A"),
    )
    result = simulator.run("/start", direction="outbound-api")
    assert result.says()[-1] == "completed"
    assert seen[1]["Digits"] == "1" and seen[0]["Direction"] == "outbound-api"
    assert seen[2]["DialCallStatus"] == "completed" and seen[-1]["CallStatus"] == "completed"


def test_simulate_call_drives_a_running_hotline_over_http(
    app: Any, runtime: Any, monkeypatch: Any
) -> None:
    from hotline.cli import main
    from tests.fakes.server import ThreadedServer

    settings = runtime.settings
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    monkeypatch.setenv("HOTLINE_PUBLIC_URL", PUBLIC_URL)
    monkeypatch.setenv("HOTLINE_SECRET_KEY", settings.secret_key)
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("HOTLINE_INSTANCE_PATH", str(settings.instance_path))
    server = ThreadedServer(app).start()
    try:
        result = CliRunner().invoke(
            main,
            [
                "simulate",
                "call",
                "--from",
                WORKER_NUMBER,
                "--digits",
                "84#4 2 *",
                "--url",
                server.url,
            ],
        )
    finally:
        server.stop()
    assert result.exit_code == 0, result.output
    assert "[vi-VN] Giới hạn theo luật là 8 giờ một ngày" in result.output
    assert "the hotline ended the call" not in result.output  # the caller hung up
    assert "you hung up" in result.output


def test_simulate_call_reports_a_wrong_auth_token_clearly(
    app: Any, runtime: Any, monkeypatch: Any
) -> None:
    from hotline.cli import main
    from tests.fakes.server import ThreadedServer

    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "not-the-servers-token")
    monkeypatch.setenv("HOTLINE_PUBLIC_URL", PUBLIC_URL)
    monkeypatch.setenv("HOTLINE_INSTANCE_PATH", str(runtime.settings.instance_path))
    server = ThreadedServer(app).start()
    try:
        result = CliRunner().invoke(
            main, ["simulate", "call", "--digits", "84#", "--url", server.url]
        )
    finally:
        server.stop()
    assert result.exit_code == 1
    assert "answered 403" in result.output
