"""Handing a case over to a partner organisation (legal aid in Japan, or an NGO in the
worker's home country): the adviser's written summary, the worker's agreement to share
their number, and the hand-over document as JSON or PDF.

The summary is a timeline event of kind "summary" (the latest wins). The document
carries the summary's machine translation into the partner's language only when it
really is one: without Google it says "not translated". The worker's full number is in
it only when they agreed to share it; the agreement is recorded with who and when.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.agents.cases import TRANSLATION_LABELS
from hotline.agents.models import Agent
from hotline.audit import record
from hotline.callers.models import Caller
from hotline.cases.contacts import contacts_of
from hotline.cases.models import Case, CaseEvent, Referral
from hotline.cases.topics import topics
from hotline.cases.work import MAX_NOTE, add_event, topics_of
from hotline.clients import NotConfigured
from hotline.crypto import decrypt_phone
from hotline.db import iso, utcnow
from hotline.directory.models import Organisation
from hotline.languages import LANGUAGES
from hotline.runtime import Runtime
from hotline.translation.google import ProviderError
from hotline.translation.replies import agent_language
from hotline.translation.service import translate_text

DEFAULT_PARTNER_LANGUAGE = "ja"


def set_summary(
    runtime: Runtime, session: Session, case: Case, agent: Agent, text: str
) -> CaseEvent:
    """The adviser's summary for a partner; a newer one replaces it. The language it is
    written in is kept so the partner's translation starts from the right one.

    Commits `session` first, as replies do: recognising the language may ask Google,
    whose cache rows are written in a transaction of their own."""
    text = text.strip()
    if not text:
        raise ValueError("a summary needs some text")
    if len(text) > MAX_NOTE:
        raise ValueError(f"a summary is at most {MAX_NOTE} characters")
    session.commit()
    language = agent_language(runtime, agent, text)
    return add_event(session, case, "summary", agent, body=text, language=language)


def latest_summary(session: Session, case_id: int) -> CaseEvent | None:
    return session.scalar(
        select(CaseEvent)
        .where(CaseEvent.case_id == case_id, CaseEvent.kind == "summary")
        .order_by(CaseEvent.at.desc(), CaseEvent.id.desc())
        .limit(1)
    )


def record_number_sharing(session: Session, case: Case, agent: Agent, agreed: bool) -> None:
    """The worker's answer, as the adviser heard it: may their number go to a partner?
    `number_share_recorded_by_id` is who recorded the latest answer, yes or no."""
    case.number_share_agreed_at = utcnow() if agreed else None
    case.number_share_recorded_by_id = agent.id
    add_event(session, case, "number_sharing", agent, agreed=agreed)


def number_sharing_json(session: Session, case: Case) -> dict[str, Any]:
    by_id = case.number_share_recorded_by_id
    by = session.get(Agent, by_id) if by_id is not None else None
    return {
        "case_id": case.id,
        "agreed": case.number_share_agreed_at is not None,
        "agreed_at": iso(case.number_share_agreed_at),
        "recorded_by": {"id": by.id, "name": by.name} if by else None,
    }


def partner_language(value: str | None) -> str:
    """The `language` query parameter: one of the hotline's languages, ja by default."""
    if value is None or value == "":
        return DEFAULT_PARTNER_LANGUAGE
    if value not in LANGUAGES:
        raise ValueError(f"language must be one of: {', '.join(sorted(LANGUAGES))}")
    return value


@dataclass(frozen=True)
class SummaryTranslation:
    language: str
    status: str  # done | same_language | not_configured | failed | no_summary
    text: str | None  # only a real translation (or the summary itself, same language)

    def as_dict(self) -> dict[str, Any]:
        labels = {
            **TRANSLATION_LABELS,
            "same_language": "written in this language",
            "no_summary": "no summary written",
        }
        return {
            "language": self.language,
            "status": self.status,
            "label": labels[self.status],
            "text": self.text,
        }


def translate_summary(
    runtime: Runtime, text: str | None, source: str | None, target: str
) -> SummaryTranslation:
    """Google's translation of the summary, or an honest status saying why there is none.
    Called with no transaction open: Google may take seconds to answer."""
    if text is None:
        return SummaryTranslation(target, "no_summary", None)
    if source == target:
        return SummaryTranslation(target, "same_language", text)
    if source is None or not runtime.settings.google_configured:
        return SummaryTranslation(target, "not_configured", None)
    try:
        done = translate_text(runtime, text, source=source, target=target)
    except NotConfigured:
        return SummaryTranslation(target, "not_configured", None)
    except ProviderError:
        return SummaryTranslation(target, "failed", None)
    return SummaryTranslation(target, "done", done.text)


def handover_document(
    runtime: Runtime, session: Session, case: Case, agent: Agent, language: str
) -> dict[str, Any]:
    """The hand-over for a partner reading `language`, audited as a download of personal
    data. Commits `session` before translating (as replies do) and after auditing."""
    caller = session.get(Caller, case.caller_id)
    contacts = contacts_of(session, [case.id]).get(case.id)
    summary = latest_summary(session, case.id)
    author = session.get(Agent, summary.agent_id) if summary and summary.agent_id else None
    summary_language = (summary.detail or {}).get("language") if summary else None
    topic_labels = topics()
    referrals = [
        {
            "organisation_id": org.id,
            "name_en": org.name_en,
            "name_ja": org.name_ja,
            "kind": org.kind,
            "phone": org.phone,
            "referred_at": iso(referral.at),
        }
        for referral, org in session.execute(
            select(Referral, Organisation)
            .join(Organisation, Organisation.id == Referral.organisation_id)
            .where(Referral.case_id == case.id)
            .order_by(Referral.at, Referral.id)
        )
    ]
    number = None
    if case.number_share_agreed_at is not None and caller is not None:
        number = decrypt_phone(runtime.settings.secret_key, caller.phone_encrypted)
    document: dict[str, Any] = {
        "case_id": case.id,
        "reference": case.reference,
        "language": case.language,
        "language_name": _language_name(case.language),
        "partner_language": language,
        "topics": [
            {"code": code, "label": topic_labels[code].label(language)}
            for code in topics_of(session, case.id)
        ],
        "opened_at": iso(case.created_at),
        "last_contact_at": iso(contacts.last_contact_at if contacts else None),
        "closed_at": iso(case.closed_at),
        "status": case.status,
        "outcome": case.outcome,
        "referrals": referrals,
        "summary": {
            "text": summary.body if summary else None,
            "language": summary_language,
            "written_at": iso(summary.at) if summary else None,
            "written_by": author.name if author else None,
        },
        "phone": {
            "shared": number is not None,
            "number": number,
            "agreed_at": iso(case.number_share_agreed_at),
        },
        "generated_at": iso(utcnow()),
    }
    session.commit()
    translation = translate_summary(
        runtime, summary.body if summary else None, summary_language, language
    )
    document["summary_translation"] = translation.as_dict()
    return document


def _language_name(code: str | None) -> str | None:
    found = LANGUAGES.get(code) if code else None
    return f"{found.english_name} ({found.native_name})" if found else code


def audit_download(session: Session, case: Case, agent: Agent, fmt: str, language: str) -> None:
    """Every hand-over download is audited: with the number in it, it is personal data."""
    record(
        session,
        "case.handover",
        "case",
        case.id,
        agent_id=agent.id,
        format=fmt,
        language=language,
        number_shared=case.number_share_agreed_at is not None,
    )
