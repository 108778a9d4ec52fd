"""No phone number or message body ever reaches a log line, through whole requests."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from hotline import create_app
from hotline.runtime import Runtime
from tests.helpers import HOTLINE_NUMBER, WORKER_NUMBER, run_jobs, twilio_post

SECRET_BODY = "Công ty giữ hộ chiếu của tôi, số điện thoại của tôi là 090-0000-0077"


def forbidden_fragments() -> list[str]:
    digits = WORKER_NUMBER.lstrip("+")
    return [WORKER_NUMBER, digits, digits[2:], "090-0000-0077", "hộ chiếu", SECRET_BODY[:20]]


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


def assert_clean(caplog: pytest.LogCaptureFixture) -> None:
    text = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert caplog.records, "expected some log output to check"
    for fragment in forbidden_fragments():
        assert fragment not in text, f"{fragment!r} leaked into the logs"


def test_sms_round_trip_logs_no_number_or_text(
    twilio_runtime: Runtime, all_logs: pytest.LogCaptureFixture
) -> None:
    client = create_app(runtime=twilio_runtime).test_client()
    for i, body in enumerate([SECRET_BODY, "CALL", "HELP", "STOP", "START"]):
        params = {
            "MessageSid": f"SM{i:032d}",
            "AccountSid": "AC" + "0" * 32,
            "From": WORKER_NUMBER,
            "To": HOTLINE_NUMBER,
            "Body": body,
            "NumMedia": "0",
        }
        assert twilio_post(client, "/sms/incoming", params).status_code == 200
    run_jobs(twilio_runtime)
    logging.getLogger("hotline.test").info("marker: the request cycle ran")
    assert_clean(all_logs)


def test_a_call_logs_no_number(runtime: Runtime, all_logs: pytest.LogCaptureFixture) -> None:
    client = create_app(runtime=runtime).test_client()
    params: dict[str, Any] = {
        "CallSid": "CA" + "7" * 32,
        "AccountSid": "AC" + "0" * 32,
        "From": WORKER_NUMBER,
        "To": HOTLINE_NUMBER,
        "CallStatus": "ringing",
        "Direction": "inbound",
    }
    assert twilio_post(client, "/voice/incoming", params).status_code == 200
    assert (
        twilio_post(
            client, "/voice/status", {**params, "CallStatus": "completed", "CallDuration": "42"}
        ).status_code
        == 200
    )
    logging.getLogger("hotline.test").info("marker: the call ran")
    assert_clean(all_logs)


def test_the_log_filter_masks_a_number_that_slips_through(
    all_logs: pytest.LogCaptureFixture,
) -> None:
    from hotline.logs import RedactPhoneNumbers

    record = logging.LogRecord("x", logging.INFO, __file__, 1, "to %s", (WORKER_NUMBER,), None)
    RedactPhoneNumbers().filter(record)
    assert WORKER_NUMBER not in record.getMessage()


def test_a_traceback_quoting_a_number_is_masked_too() -> None:
    from hotline.logs import RedactPhoneNumbers

    try:
        raise ValueError(f"The 'To' number {WORKER_NUMBER} is not a valid phone number")
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    RedactPhoneNumbers().filter(record)
    formatted = logging.Formatter().format(record)
    assert "is not a valid phone number" in formatted
    assert WORKER_NUMBER not in formatted


def test_database_errors_do_not_quote_the_values(runtime: Runtime) -> None:
    from sqlalchemy.exc import IntegrityError

    from hotline.sms.models import SmsMessage

    with pytest.raises(IntegrityError) as failure, runtime.db.session() as session:
        session.add(SmsMessage(direction="in", caller_id=999_999, body=SECRET_BODY))
        session.flush()
    assert SECRET_BODY[:20] not in str(failure.value)
