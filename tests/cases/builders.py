"""Builders for casework tests: organisations of the directory, and cases reached the
way workers reach them."""

from __future__ import annotations

from typing import Any

from hotline.cases.models import Case
from hotline.directory.models import Organisation
from hotline.runtime import Runtime
from tests.sms.helpers import caller_for, text_in


def make_organisation(runtime: Runtime, **values: Any) -> int:
    fields: dict[str, Any] = {
        "name_ja": "外国人労働者向け相談ダイヤル",
        "name_en": "Labour Conditions Hotline",
        "known_as": "MHLW hotline",
        "kind": "helpline",
        "phone": "0120-558-815",
        "hours": "mon-fri 17:00-22:00; sat,sun 09:00-21:00",
        "languages": ["vi"],
        **values,
    }
    with runtime.db.session() as session:
        org = Organisation(**fields)
        session.add(org)
        session.flush()
        return org.id


def case_by_text(client: Any, runtime: Runtime, sender: str, body: str) -> int:
    """A worker's free text, as Twilio delivers it; the case it opened or reached."""
    text_in(client, body, sender=sender)
    caller = caller_for(runtime, sender)
    with runtime.db.session() as session:
        from sqlalchemy import select

        case_id = session.scalar(
            select(Case.id).where(Case.caller_id == caller.id).order_by(Case.id.desc()).limit(1)
        )
        assert case_id is not None
        return case_id
