"""`hotline dev` and `hotline demo seed`: the whole hotline on one laptop, with demo data.

Demo data uses made-up numbers in the +81 90-0000-xxxx range and invented people.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Any

import click
from sqlalchemy import func, select

from hotline.config import Settings
from hotline.instance import private_folder

DEMO_AGENTS = (
    ("Lan (demo)", "vi,en", "+819000000101", "agent"),
    ("Dara (demo)", "km,en", "+819000000102", "agent"),
    ("Kenji (demo)", "ja,en", "+819000000103", "supervisor"),
)
DEMO_TEXTS = (
    ("+819000000201", "vi", "Công ty giữ hộ chiếu của tôi và không trả lương tháng này."),
    ("+819000000202", "id", "Saya bekerja 14 jam sehari tanpa lembur dibayar."),
    ("+819000000203", "fil", "Nasaktan ako sa trabaho at ayaw akong dalhin sa ospital."),
)


def seed(settings: Settings) -> list[tuple[str, str]]:
    """Add demo agents, cases, texts, callback requests and the referral directory's seed
    entries unless agents exist already.

    Returns (agent name, API token) pairs for the agents it created.
    """
    from hotline.agents.auth import create_agent
    from hotline.agents.models import Agent
    from hotline.callbacks.service import request_callback
    from hotline.callers.service import get_or_create_caller
    from hotline.cases.service import open_case_for, touch
    from hotline.directory.service import seed as seed_directory
    from hotline.jobs import defer
    from hotline.runtime import Runtime
    from hotline.sms.models import SmsMessage
    from hotline.translation.jobs import TRANSLATE_SMS_JOB

    runtime = Runtime(settings)
    tokens: list[tuple[str, str]] = []
    try:
        with runtime.session() as session:
            if session.scalar(select(func.count()).select_from(Agent)):
                return []
            for name, languages, phone, role in DEMO_AGENTS:
                _agent, token = create_agent(
                    session,
                    settings.secret_key,
                    name=name,
                    languages=languages,
                    phone=phone,
                    role=role,
                )
                tokens.append((name, token))
            for number, language, text in DEMO_TEXTS:
                caller = get_or_create_caller(session, settings.secret_key, number)
                caller.language = language
                case = open_case_for(session, caller, language)
                message = SmsMessage(
                    direction="in",
                    kind="worker",
                    caller_id=caller.id,
                    case_id=case.id,
                    body=text,
                    language=language,
                    status="received",
                )
                session.add(message)
                session.flush()
                defer(session, TRANSLATE_SMS_JOB, message_id=message.id)
                touch(case)
                request_callback(
                    session,
                    settings.secret_key,
                    case=case,
                    caller=caller,
                    language=language,
                    phone=number,
                    window="any",
                    sms_allowed=True,
                    source="sms",
                )
            seed_directory(session)
    finally:
        runtime.close()
    return tokens


def register(main: click.Group, simulate: click.Group) -> None:
    @main.group()
    def demo() -> None:
        """Demo data for trying the hotline out."""

    @demo.command("seed")
    def demo_seed() -> None:
        """Add demo agents, cases and callback requests (once)."""
        from hotline.cli import settings_or_exit
        from hotline.encryption import Keyring
        from hotline.migrate import upgrade

        settings = settings_or_exit()
        upgrade(settings.database_url, keyring=Keyring.from_settings(settings))
        _print_tokens(seed(settings))

    @main.command()
    @click.option("--host", default="127.0.0.1", show_default=True)
    @click.option("--port", default=5000, show_default=True, type=int)
    def dev(host: str, port: int) -> None:
        """Everything on one machine: migrate, seed demo data, run a worker and the web app."""
        from hotline.cli import claim_port, local_url, public_url_or
        from hotline.encryption import Keyring
        from hotline.migrate import upgrade
        from hotline.runtime import Runtime
        from hotline.server import run_gunicorn

        settings = public_url_or(local_url(host, port))
        claim_port(host, port, "`make run PORT={port}` or `hotline dev --port {port}`")
        private_folder(settings.instance_path)
        upgrade(settings.database_url, keyring=Keyring.from_settings(settings))
        _print_tokens(seed(settings))
        env: dict[str, Any] = dict(os.environ)
        env.setdefault("HOTLINE_INSTANCE_PATH", str(settings.instance_path))
        env.setdefault("HOTLINE_PUBLIC_URL", settings.public_url)  # the worker's URLs too
        banner = (
            f"\nHotline on {local_url(host, port)}  (embedded SQLite and Redis in "
            f"{settings.instance_path})\n"
            "Call it from another terminal, no phone needed:\n"
            f"  .venv/bin/hotline simulate call --url {local_url(host, port)} --digits '84#'\n"
            f"  .venv/bin/hotline simulate sms --url {local_url(host, port)} "
            "--from +819000000301 'HELP'\n"
        )
        runtime = Runtime(settings)
        runtime.redis.ping()  # the embedded Redis is up before the worker looks for it
        worker = subprocess.Popen([sys.executable, "-m", "hotline.cli", "worker"], env=env)
        try:
            run_gunicorn(
                settings,
                bind=f"{host}:{port}",
                workers=2,
                threads=4,
                runtime=runtime,
                banner=banner,
            )
        finally:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker.kill()


def _print_tokens(tokens: list[tuple[str, str]]) -> None:
    if not tokens:
        return
    click.echo("Demo agents created. API tokens (shown only now):")
    for name, token in tokens:
        click.echo(f"  {name}: {token}")
