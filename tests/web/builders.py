"""Builders for the web app tests: agents with passwords, and a worker's Vietnamese SMS
case with a callback request, translated by the real pipeline against the fake Google."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from hotline.agents.models import Agent
from hotline.callbacks.service import request_callback
from hotline.callers.service import get_or_create_caller
from hotline.cases.service import open_case_for, touch
from hotline.jobs import defer
from hotline.runtime import Runtime
from hotline.sms.models import SmsMessage
from hotline.web.security import set_password
from tests.callbacks.builders import make_agent as make_api_agent
from tests.helpers import WORKER_NUMBER, run_jobs

PASSWORD = "correct horse battery staple"
# Phrases the fake Google Translate knows (tests/fakes/google_translate.py).
VI_COMPLAINT = "Công ty không trả lương cho tôi ba tháng."
EN_COMPLAINT = "The company has not paid me for three months."
EN_REPLY = "We will call you tomorrow morning."
VI_REPLY = "Chúng tôi sẽ gọi cho bạn vào sáng mai."


@dataclass(frozen=True)
class AgentInfo:
    id: int
    name: str
    password: str


def make_agent(
    runtime: Runtime,
    name: str,
    languages: str,
    *,
    role: str = "agent",
    phone: str | None = "+819000000150",
    ui_language: str | None = None,
    password: str = PASSWORD,
) -> AgentInfo:
    """An agent as the API builders make one, with a password for the web sign-in."""
    agent_id, _token = make_api_agent(
        runtime, name=name, languages=languages, phone=phone, role=role, ui_language=ui_language
    )
    with runtime.db.session() as session:
        agent = session.get(Agent, agent_id)
        assert agent is not None
        set_password(session, agent, password)
    return AgentInfo(agent_id, name, password)


@dataclass(frozen=True)
class CaseInfo:
    case_id: int
    reference: str
    callback_id: int
    message_id: int


def make_vietnamese_sms_case(
    runtime: Runtime, *, text: str = VI_COMPLAINT, number: str = WORKER_NUMBER
) -> CaseInfo:
    """A worker texted in Vietnamese and asked to be called back (discreetly)."""
    with runtime.session() as session:
        caller = get_or_create_caller(session, runtime.settings.secret_key, number)
        caller.language = "vi"
        case = open_case_for(session, caller, "vi")
        message = SmsMessage(
            direction="in",
            kind="worker",
            caller_id=caller.id,
            case_id=case.id,
            body=text,
            language="vi",
            status="received",
        )
        session.add(message)
        session.flush()
        defer(session, "sms.translate", message_id=message.id)
        touch(case)
        callback = request_callback(
            session,
            runtime.settings.secret_key,
            case=case,
            caller=caller,
            language="vi",
            phone=number,
            window="any",
            may_identify=False,
            sms_allowed=True,
            source="sms",
        )
        session.flush()
        info = CaseInfo(case.id, case.reference, callback.id, message.id)
    run_jobs(runtime)  # the language pipeline translates the text
    return info


CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    found = CSRF_INPUT.search(html)
    assert found is not None, "the page has no CSRF field"
    return found.group(1)


def sign_in(client: Any, agent: AgentInfo, *, password: str | None = None) -> Any:
    """Sign in through the form, as a browser would (CSRF token included)."""
    token = csrf_from(client.get("/sign-in").get_data(as_text=True))
    return client.post(
        "/sign-in",
        data={"csrf_token": token, "name": agent.name, "password": password or agent.password},
    )


def page_csrf(client: Any, path: str = "/queue") -> str:
    return csrf_from(client.get(path).get_data(as_text=True))
