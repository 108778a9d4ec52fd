"""Referring a worker to organisations of the directory: recorded on the case, and told
to the worker by SMS in their language, one text per organisation."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.agents.models import Agent
from hotline.callers.models import Caller
from hotline.cases.models import Case, Referral
from hotline.cases.service import answered
from hotline.cases.work import CaseworkError, add_event
from hotline.directory.models import Organisation
from hotline.directory.service import referral_text
from hotline.sms.gate import REFUSALS, sms_refusal
from hotline.sms.outbound import queue_sms

MAX_ORGANISATIONS = 5


class SmsNotAllowed(CaseworkError):
    """The worker may not be texted; nothing was recorded or sent."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def refer(
    session: Session,
    *,
    case: Case,
    agent: Agent,
    organisation_ids: Sequence[int],
    send_sms: bool,
) -> list[Referral]:
    """Record the referrals and, with `send_sms`, queue one SMS per organisation in the
    worker's language (each at most 3 segments). The caller commits."""
    wanted = list(dict.fromkeys(organisation_ids))
    if not wanted:
        raise ValueError("organisations must name at least one organisation")
    if len(wanted) > MAX_ORGANISATIONS:
        raise ValueError(f"at most {MAX_ORGANISATIONS} organisations at a time")
    found = {
        org.id: org
        for org in session.scalars(
            select(Organisation).where(Organisation.id.in_(wanted), Organisation.active.is_(True))
        )
    }
    missing = [str(i) for i in wanted if i not in found]
    if missing:
        raise ValueError(f"no such organisation: {', '.join(missing)}")
    caller = session.get(Caller, case.caller_id)
    language = case.language or (caller.language if caller else None)
    if send_sms:
        refusal = sms_refusal(session, caller) if caller is not None else "opted_out"
        if refusal is not None:
            raise SmsNotAllowed(refusal, REFUSALS[refusal])
        if language is None:
            raise SmsNotAllowed(
                "worker_language_unknown",
                "the worker's language is not known: set it on the case before texting them",
            )
    referrals = []
    for org_id in wanted:
        message = None
        if send_sms:
            assert caller is not None and language is not None
            message = queue_sms(
                session,
                purpose="referral",
                caller=caller,
                body=referral_text(found[org_id], language),
                case=case,
                kind="agent",
                agent_id=agent.id,
                language=language,
            )
        referral = Referral(
            case_id=case.id,
            organisation_id=org_id,
            agent_id=agent.id,
            message_id=message.id if message is not None else None,
        )
        session.add(referral)
        referrals.append(referral)
    session.flush()
    add_event(session, case, "referral", agent, organisations=wanted, sms=send_sms)
    if send_sms:
        answered(case)
    return referrals
