"""`hotline training seed|reset`: fill a trainee's space with the sample cases, or empty it.

The sample cases (hotline/data/training_samples.json) are written the way the hotline
would have stored them: worker texts with their stored translations, a voicemail with
its transcript, callback requests, the referral directory. Nothing is deferred to
Google or Twilio: the translations are the stored samples.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.config import Settings
from hotline.training import space as spaces
from hotline.training.samples import load_samples

TRAINER_NOTE = "TRAINING — not real workers"


@dataclass(frozen=True)
class Seeded:
    slug: str
    cases: int
    password: str | None  # set only when the trainee's account was created now
    url: str


def seed(settings: Settings, trainee: str, *, password: str | None = None) -> Seeded:
    """Create the trainee's space if needed, their account, and the sample cases
    (unless the space already has cases)."""
    from hotline.agents.models import Agent
    from hotline.cases.models import Case

    slug = spaces.slug_for(trainee)
    space_settings = spaces.create(settings, slug)
    runtime = spaces.TrainingRuntime(space_settings, slug)
    created_password = None
    try:
        with runtime.session() as session:
            if session.scalar(select(Agent).where(Agent.name == slug)) is None:
                created_password = password or secrets.token_urlsafe(12)
                _add_trainee(session, space_settings, slug, created_password)
            if session.scalar(select(Case.id).limit(1)) is None:
                _add_cases(session, space_settings)
            cases = len(session.scalars(select(Case.id)).all())
    finally:
        runtime.close()
    url = spaces.space_settings(settings, slug).public_url + "/"
    return Seeded(slug, cases, created_password, url)


def reset(settings: Settings, trainee: str, *, empty: bool = False) -> Seeded:
    """Empty the trainee's space: every case, message, job and audit row goes. Their
    sign-in is kept; the sample cases are loaded again unless `empty`."""
    from hotline.agents.models import Agent

    slug = spaces.slug_for(trainee)
    runtime = spaces.open_runtime(settings, slug)  # NoSuchSpace when there is none
    space_settings = runtime.settings
    try:
        with runtime.db.session() as session:
            accounts: list[dict[str, Any]] = [
                {
                    "name": a.name,
                    "languages": list(a.languages or []),
                    "role": a.role,
                    "password_hash": a.password_hash,
                }
                for a in session.scalars(select(Agent))
            ]
        spaces.empty(runtime)
        with runtime.session() as session:
            from hotline.agents.auth import create_agent

            for account in accounts:
                agent, _token = create_agent(
                    session,
                    space_settings.secret_key,
                    name=account["name"],
                    languages=account["languages"],
                    phone=None,
                    role=account["role"],
                )
                agent.password_hash = account["password_hash"]
            if not empty:
                _add_cases(session, space_settings)
            from hotline.cases.models import Case

            cases = len(session.scalars(select(Case.id)).all())
    finally:
        runtime.close()
    return Seeded(slug, cases, None, space_settings.public_url + "/")


def trainee_languages() -> list[str]:
    """The trainee reads and writes English and Japanese, and sees every sample language."""
    languages = ["en", "ja"]
    for case in load_samples().cases:
        if case["language"] not in languages:
            languages.append(case["language"])
    return languages


def _add_trainee(session: Session, settings: Settings, slug: str, password: str) -> None:
    from hotline.agents.auth import create_agent
    from hotline.web.security import set_password

    agent, _token = create_agent(
        session, settings.secret_key, name=slug, languages=trainee_languages(), phone=None
    )
    set_password(session, agent, password)


def _add_cases(session: Session, settings: Settings) -> None:
    from hotline.callbacks.service import request_callback
    from hotline.callers.service import get_or_create_caller
    from hotline.cases.models import CaseTopic
    from hotline.cases.service import open_case_for, touch, worker_contacted
    from hotline.db import utcnow
    from hotline.directory.service import seed as seed_directory
    from hotline.sms.models import SmsMessage
    from hotline.voice.models import Voicemail

    seed_directory(session)
    now = utcnow()
    for n, sample in enumerate(load_samples().cases):
        language = sample["language"]
        at = now - dt.timedelta(hours=len(load_samples().cases) - n)
        caller = get_or_create_caller(session, settings.secret_key, sample["phone"])
        caller.language = language
        case = open_case_for(session, caller, language)
        case.created_at = at
        session.flush()
        for topic in sample.get("topics", []):
            session.add(CaseTopic(case_id=case.id, topic=topic))
        for message_sample in sample.get("messages", []):
            message = SmsMessage(
                direction="in",
                kind="worker",
                caller_id=caller.id,
                case_id=case.id,
                body=message_sample["text"],
                language=language,
                status="received",
                created_at=at,
            )
            session.add(message)
            session.flush()
            _add_translations(session, "sms", message.id, language, message_sample)
        voicemail_sample = sample.get("voicemail")
        if voicemail_sample:
            voicemail = Voicemail(
                case_id=case.id,
                recording_sid="REtraining" + secrets.token_hex(11),
                recording_url="training:sample",  # nothing to fetch: the transcript is stored
                duration_seconds=voicemail_sample["seconds"],
                language=language,
                transcription_status="done",
                transcript=voicemail_sample["transcript"],
                transcript_confidence=0.9,
                created_at=at,
            )
            session.add(voicemail)
            session.flush()
            _add_translations(
                session,
                "voicemail",
                voicemail.id,
                language,
                {"translations": voicemail_sample["translations"]},
            )
        worker_contacted(case, at)
        touch(case)
        if sample.get("callback"):
            request_callback(
                session,
                settings.secret_key,
                case=case,
                caller=caller,
                language=language,
                phone=sample["phone"],
                window="any",
                sms_allowed=True,
                source="sms" if sample.get("messages") else "voice",
            )


def _add_translations(
    session: Session, kind: str, source_id: int, language: str, sample: dict[str, Any]
) -> None:
    from hotline.translation.models import Translation

    for target, translated in sample["translations"].items():
        session.add(
            Translation(
                source_kind=kind,
                source_id=source_id,
                source_language=language,
                target_language=target,
                status="done",
                text=translated,
                provider="training-sample",
            )
        )
