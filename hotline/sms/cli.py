"""`hotline simulate sms`: text the hotline from a terminal, signed exactly as Twilio signs.

Against a running hotline (`--url`, default HOTLINE_PUBLIC_URL) the request goes over
HTTP; when nothing answers at the default address the app is run in this process
instead, on the configured database. Either way the command prints the TwiML answer's
reply and, when it can read the database, what the text queued.
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
    @click.argument("text")
    def simulate_sms(
        sender: str, url: str | None, sid: str | None, media: tuple[str, ...], text: str
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
        replies = _replies(answer.body)
        click.echo("reply: " + (" | ".join(replies) if replies else "(none)"))
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
        return _Answer(response.status_code, response.get_data(as_text=True), in_process=True)
    finally:
        runtime.close()


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
