"""`hotline simulate sms`: text the hotline from a terminal, signed exactly as Twilio signs.

Against a running hotline (`--url`, default HOTLINE_PUBLIC_URL) the request goes over
HTTP; when nothing answers at the default address the app is run in this process
instead, on the configured database. The webhook answers an empty TwiML document; the
replies are sent afterwards by the worker through Twilio's REST API. So the command
then shows those replies, read from the database: in-process it does the worker's part
itself (processes the text and runs the sending jobs); against a server it waits up to
`--wait` seconds for that server's worker. It also shows what the text queued.
"""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

import click

INCOMING = "/sms/incoming"


@dataclass
class _Answer:
    status: int
    body: str
    in_process: bool = False


def register(main: click.Group, simulate: click.Group) -> None:
    @simulate.command("sms")
    @click.option("--from", "sender", required=True, help="The worker's number, e.g. +8190....")
    @click.option(
        "--url",
        default=None,
        help="Base URL of a running hotline [default: HOTLINE_PUBLIC_URL, else in-process].",
    )
    @click.option("--sid", default=None, help="MessageSid to send (repeat one to see replay).")
    @click.option("--media", multiple=True, help="A media URL sent with the text (repeatable).")
    @click.option(
        "--wait",
        default=10.0,
        show_default=True,
        help="Seconds to wait for a running hotline's worker to send the replies.",
    )
    @click.argument("text")
    def simulate_sms(
        sender: str,
        url: str | None,
        sid: str | None,
        media: tuple[str, ...],
        wait: float,
        text: str,
    ) -> None:
        """Send TEXT to /sms/incoming as Twilio would; show the reply and what was queued."""
        from hotline.cli import public_url_or, settings_or_exit
        from hotline.crypto import InvalidPhoneNumber, normalise_phone

        settings = public_url_or(url) if url else settings_or_exit()
        try:
            sender = normalise_phone(sender)
        except InvalidPhoneNumber as exc:
            raise click.BadParameter("not a phone number", param_hint="--from") from exc
        params: dict[str, str] = {
            "MessageSid": sid or "SM" + secrets.token_hex(16),
            "AccountSid": settings.twilio_account_sid or "AC" + "0" * 32,
            "From": sender,
            "To": settings.twilio_number or "+81500000000",
            "Body": text,
            "NumMedia": str(len(media)),
        }
        for i, media_url in enumerate(media):
            params[f"MediaUrl{i}"] = media_url
            params[f"MediaContentType{i}"] = "image/jpeg"
        before = _watermarks(settings)
        answer = _post(settings, url, params)
        if before is None and answer.in_process:
            before = (0, 0)  # the database was created for this request
        click.echo(f"HTTP {answer.status}")
        if answer.status != 200:
            click.echo(answer.body.strip())
            raise SystemExit(1)
        if _replies(answer.body):
            click.echo("unexpected TwiML reply: " + " | ".join(_replies(answer.body)))
        if before is None:
            click.echo("reply: (the database is not readable from here to see the replies)")
        else:
            wait_for = 0.0 if answer.in_process else wait
            click.echo(_sent_replies(settings, params["MessageSid"], before, wait_for))
        for line in _queued_since(settings, before):
            click.echo(line)


def _post(settings: Any, url: str | None, params: dict[str, str]) -> _Answer:
    import requests
    from twilio.request_validator import RequestValidator

    token = settings.twilio_auth_token or ""
    signature = RequestValidator(token).compute_signature(settings.public_url + INCOMING, params)
    headers = {"X-Twilio-Signature": signature}
    target = (url or settings.public_url).rstrip("/") + INCOMING
    try:
        response = requests.post(target, data=params, headers=headers, timeout=15)
        return _Answer(response.status_code, response.text)
    except requests.ConnectionError as exc:
        if url is not None:
            from hotline.unreachable import no_server

            raise click.ClickException(no_server(url)) from exc
    click.echo(f"(nothing answers at {settings.public_url}: running the app in this process)")
    return _in_process(settings, params, headers)


def _in_process(settings: Any, params: dict[str, str], headers: dict[str, str]) -> _Answer:
    import redis

    from hotline import create_app
    from hotline.encryption import Keyring
    from hotline.instance import private_folder
    from hotline.migrate import upgrade
    from hotline.runtime import Runtime

    if settings.database_url.startswith("sqlite"):
        private_folder(settings.instance_path)
        upgrade(settings.database_url, keyring=Keyring.from_settings(settings))
    client = None
    if settings.redis_url is None:
        # No embedded Redis is started for one request: the jobs wait in the outbox,
        # where `hotline worker` (or `hotline dev`) picks them up.
        client = redis.Redis(
            unix_socket_path=str(settings.instance_path / "no-redis.sock"),
            socket_connect_timeout=0.2,
        )
    runtime = Runtime(settings, redis_client=client)
    try:
        app = create_app(runtime=runtime)
        response = app.test_client().post(
            INCOMING,
            data=params,
            headers=headers,
            base_url=settings.public_url,
        )
        if response.status_code == 200:
            _do_the_workers_part(runtime)
        return _Answer(response.status_code, response.get_data(as_text=True), in_process=True)
    finally:
        runtime.close()


def _do_the_workers_part(runtime: Any) -> None:
    """What `hotline worker` would do next: process the stored text, send the replies
    (Twilio's REST API when configured, else kept on this machine)."""
    from sqlalchemy import select

    from hotline.jobs import run_outbox_job
    from hotline.jobs.models import OutboxJob
    from hotline.sms.processor import process_due

    process_due(runtime)
    with runtime.db.session() as session:
        due = session.scalars(
            select(OutboxJob.id).where(
                OutboxJob.name == "sms.send",
                OutboxJob.done_at.is_(None),
                OutboxJob.failed_at.is_(None),
                OutboxJob.started_at.is_(None),
            )
        ).all()
    for outbox_id in due:
        run_outbox_job(runtime, outbox_id)


def _sent_replies(settings: Any, sid: str, before: tuple[int, int], wait: float) -> str:
    """The replies to the text `sid`, once processed and handed to Twilio (or `wait`
    seconds have passed): "reply: a | b", or why there is none yet."""
    import time

    from sqlalchemy import select

    from hotline.runtime import Runtime
    from hotline.sms.models import SmsDelivery, SmsMessage

    deadline = time.monotonic() + wait
    runtime = Runtime(settings)
    try:
        while True:
            with runtime.db.session() as session:
                delivery = session.scalar(select(SmsDelivery).where(SmsDelivery.sid == sid))
                stored = session.scalar(select(SmsMessage).where(SmsMessage.sid == sid))
                replies = []
                if stored is not None:
                    replies = list(
                        session.scalars(
                            select(SmsMessage)
                            .where(
                                SmsMessage.caller_id == stored.caller_id,
                                SmsMessage.direction == "out",
                                SmsMessage.id > before[1],
                            )
                            .order_by(SmsMessage.id)
                        )
                    )
            sent = stored is not None and all(r.status != "pending" for r in replies)
            if sent or time.monotonic() >= deadline:
                break
            time.sleep(0.2)
    finally:
        runtime.close()
    if delivery is None:
        return "reply: (none: the text was not stored)"
    if stored is None:
        if delivery.failed_at is not None:
            return f"reply: (none: processing failed, see `hotline inbound failed`: #{delivery.id})"
        return f"reply: (not yet: the text waits for `hotline worker` after {wait:g}s)"
    if not replies:
        return "reply: (none)"
    bodies = " | ".join(r.body for r in replies)
    if not sent:
        return f"reply: {bodies} (recorded, not yet sent by `hotline worker`)"
    return f"reply: {bodies}"


def _replies(body: str) -> list[str]:
    try:
        root = ET.fromstring(body)  # noqa: S314 (our own server's TwiML)
    except ET.ParseError:
        return [body.strip()] if body.strip() else []
    return [m.text or "" for m in root.iter("Message")]


def _watermarks(settings: Any) -> tuple[int, int] | None:
    """The last outbox job and SMS ids before the request, when the database is readable."""
    from sqlalchemy import func, select
    from sqlalchemy.exc import SQLAlchemyError

    from hotline.jobs.models import OutboxJob
    from hotline.runtime import Runtime
    from hotline.sms.models import SmsMessage

    runtime = Runtime(settings)
    try:
        with runtime.db.session() as session:
            return (
                int(session.scalar(select(func.max(OutboxJob.id))) or 0),
                int(session.scalar(select(func.max(SmsMessage.id))) or 0),
            )
    except SQLAlchemyError:
        return None
    finally:
        runtime.close()


def _queued_since(settings: Any, before: tuple[int, int] | None) -> list[str]:
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError

    from hotline.jobs.models import OutboxJob
    from hotline.runtime import Runtime
    from hotline.sms.models import SmsMessage

    if before is None:
        return ["queued: (the database is not readable from here)"]
    runtime = Runtime(settings)
    lines = []
    try:
        with runtime.db.session() as session:
            for message in session.scalars(
                select(SmsMessage).where(SmsMessage.id > before[1]).order_by(SmsMessage.id)
            ):
                what = "reply" if message.direction == "out" else "stored"
                lines.append(
                    f"{what}: sms #{message.id} {message.direction} kind={message.kind} "
                    f"language={message.language or '?'} status={message.status} "
                    f"case={message.case_id or '-'} segments={message.segments}"
                )
            for job in session.scalars(
                select(OutboxJob).where(OutboxJob.id > before[0]).order_by(OutboxJob.id)
            ):
                args = " ".join(f"{k}={v}" for k, v in sorted(job.args.items()))
                lines.append(f"queued: job {job.name} {args}".rstrip())
    except SQLAlchemyError:
        return ["queued: (the database is not readable from here)"]
    finally:
        runtime.close()
    return lines or ["queued: nothing"]
