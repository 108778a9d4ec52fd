"""Logging that cannot leak a phone number: a filter masks anything shaped like one.

Code never logs numbers or message bodies on purpose; this filter is the second line
of defence for third-party messages (HTTP clients, tracebacks) that might.
"""

from __future__ import annotations

import logging
import re

# International (+81 90-0000-0000), Japanese domestic (090-0000-0000) or a long digit run.
_PHONE = re.compile(
    r"\+\d[\d \-()]{6,}\d"
    r"|(?<![\w.:-])0\d{1,4}-\d{1,4}-\d{3,4}(?![\w.:-])"
    r"|(?<![\w.:-])\d{10,15}(?![\w.:-])"
)
_configured = False


class RedactPhoneNumbers(logging.Filter):
    """Masks numbers in the message and in any traceback: an outside library's exception
    (Twilio's "The 'To' number +81... is not valid") can quote one."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _PHONE.sub("[number]", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = _PHONE.sub("[number]", record.exc_text)
        if record.stack_info:
            record.stack_info = _PHONE.sub("[number]", record.stack_info)
        return True


def configure_logging(level: int = logging.INFO) -> None:
    global _configured
    if _configured:
        return
    _configured = True
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactPhoneNumbers())
    root = logging.getLogger()
    root.addHandler(handler)
    if root.level == logging.WARNING:
        root.setLevel(level)
    for name in ("werkzeug", "gunicorn.access", "gunicorn.error", "rq.worker"):
        logging.getLogger(name).addFilter(RedactPhoneNumbers())
    # The Twilio client logs eleven lines of headers per REST call at INFO: at hundreds
    # of texts a second that is most of the worker's log and a measurable share of its CPU.
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
