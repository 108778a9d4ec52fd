"""Agents' replies: translated into the worker's language, with a back-translation."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from hotline import create_app
from hotline.cases.models import Case
from hotline.runtime import Runtime
from hotline.sms.models import SmsMessage
from hotline.translation.replies import prepare_reply
from tests.builders import BuiltAgent, agent_row, case_row, make_agent, make_case
from tests.fakes.google_translate import FakeGoogleTranslate
from tests.helpers import WORKER_NUMBER, run_jobs

REPLY = "We will call you tomorrow morning."
REPLY_VI = "Chúng tôi sẽ gọi cho bạn vào sáng mai."


def prepare(runtime: Runtime, case: Case, agent: BuiltAgent, text: str) -> Any:
    with runtime.db.session() as session:
        return prepare_reply(
            runtime,
            session,
            case=case_row(session, case.id),
            agent=agent_row(session, agent.id),
            text=text,
        )


def test_reply_is_translated_into_the_workers_language_with_a_back_translation(
    google_runtime: Runtime,
) -> None:
    case = make_case(google_runtime, language="vi")
    agent = make_agent(google_runtime, name="Agent en", languages="en", phone=None)

    preview = prepare(google_runtime, case, agent, REPLY)

    assert preview.status == "translated"
    assert (preview.source_language, preview.target_language) == ("en", "vi")
    assert preview.translated_text == REPLY_VI
    assert preview.back_translation == REPLY
    assert preview.segments == 1
    assert preview.encoding == "UCS-2"


def test_reply_keeps_glossary_terms_and_personal_data_out_of_google(
    google_runtime: Runtime, fake_translate: FakeGoogleTranslate
) -> None:
    case = make_case(google_runtime, language="vi")
    agent = make_agent(google_runtime, name="Agent en", languages="en", phone=None)

    preview = prepare(google_runtime, case, agent, "Please bring your residence card AB12345678CD")

    assert preview.translated_text == "Vui lòng mang theo thẻ cư trú AB12345678CD"
    assert preview.back_translation == "Please bring your residence card AB12345678CD"
    assert "AB12345678CD" not in fake_translate.sent_text()


def test_a_reply_in_the_workers_own_language_is_not_translated(
    google_runtime: Runtime, fake_translate: FakeGoogleTranslate
) -> None:
    case = make_case(google_runtime, language="vi")
    agent = make_agent(google_runtime, name="Agent vi", languages="vi", phone=None)

    preview = prepare(google_runtime, case, agent, REPLY_VI)

    assert preview.status == "same_language"
    assert preview.translated_text == REPLY_VI
    assert preview.back_translation is None
    assert fake_translate.requests == []


def test_an_agent_with_several_languages_is_translated_from_the_one_they_wrote(
    google_runtime: Runtime,
) -> None:
    case = make_case(google_runtime, language="vi")
    agent = make_agent(google_runtime, name="Agent en,ja", languages="en,ja", phone=None)

    preview = prepare(google_runtime, case, agent, "明日の朝お電話します。")

    assert preview.source_language == "ja"
    assert preview.translated_text == REPLY_VI
    assert preview.back_translation == "明日の朝お電話します。"


def test_without_google_a_reply_is_marked_not_configured_and_not_translated(
    unconfigured_runtime: Runtime,
) -> None:
    case = make_case(unconfigured_runtime, language="vi")
    agent = make_agent(unconfigured_runtime, name="Agent en", languages="en", phone=None)

    preview = prepare(unconfigured_runtime, case, agent, REPLY)

    assert preview.status == "not_configured"
    assert preview.translated_text is None
    assert preview.body_to_send is None


def test_a_failing_translation_says_so_and_offers_nothing_to_send(
    google_runtime: Runtime, fake_translate: FakeGoogleTranslate
) -> None:
    fake_translate.fail(503)
    case = make_case(google_runtime, language="vi")
    agent = make_agent(google_runtime, name="Agent en", languages="en", phone=None)

    preview = prepare(google_runtime, case, agent, REPLY)

    assert preview.status == "failed"
    assert preview.translated_text is None and preview.back_translation is None
    assert "translation failed" in (preview.error or "")


def test_reply_through_the_api_reaches_the_worker_in_vietnamese(
    pipeline_runtime: Runtime, fake_twilio: Any
) -> None:
    case = make_case(pipeline_runtime, language="vi")
    agent = make_agent(pipeline_runtime, name="Agent en", languages="en", phone=None)
    with pipeline_runtime.db.session() as session:
        session.get(Case, case.id).assigned_agent_id = agent.id  # type: ignore[union-attr]
    client = create_app(runtime=pipeline_runtime).test_client()

    response = client.post(
        f"/api/cases/{case.id}/reply",
        json={"text": REPLY},
        headers={"Authorization": f"Bearer {agent.token}"},
    )
    run_jobs(pipeline_runtime)

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["translated_text"] == REPLY_VI
    assert body["back_translation"] == REPLY
    assert body["segments"] == 1
    (sms,) = fake_twilio.sms_to(WORKER_NUMBER)
    assert sms["Body"] == REPLY_VI
    with pipeline_runtime.db.session() as session:
        stored = session.scalars(select(SmsMessage).where(SmsMessage.kind == "agent")).one()
    assert stored.language == "vi"


def test_a_project_without_credentials_fails_the_translation_not_the_request(
    tmp_path: Any, database_url: str, redis_url: str, monkeypatch: Any
) -> None:
    from google.auth.compute_engine import _metadata

    from hotline.translation import google
    from tests.conftest import make_settings, open_runtime

    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no gcloud default credentials either
    monkeypatch.setattr(_metadata, "_NO_GCE_CHECK", True)  # never probe the metadata server
    monkeypatch.setattr(google, "_clients", {})
    settings = make_settings(
        tmp_path, database_url, redis_url, google_cloud_project="hotline-no-credentials"
    )
    for runtime in open_runtime(settings):
        case = make_case(runtime, language="vi")
        agent = make_agent(runtime, name="Agent en", languages="en", phone=None)
        preview = prepare(runtime, case, agent, REPLY)
        assert preview.status == "failed"
        assert "credentials" in (preview.error or "")


@pytest.mark.slow
def test_webhooks_are_not_held_up_while_a_reply_waits_for_google(
    pipeline_runtime: Runtime, fake_translate: FakeGoogleTranslate
) -> None:
    import threading

    from tests.helpers import OTHER_WORKER_NUMBER, twilio_post

    case = make_case(pipeline_runtime, language="vi")
    agent = make_agent(pipeline_runtime, name="Agent en", languages="en", phone=None)
    with pipeline_runtime.db.session() as session:
        session.get(Case, case.id).assigned_agent_id = agent.id  # type: ignore[union-attr]
    app = create_app(runtime=pipeline_runtime)
    fake_translate.latency = 1.5
    reply_done = threading.Event()

    def reply() -> None:
        app.test_client().post(
            f"/api/cases/{case.id}/reply",
            json={"text": REPLY},
            headers={"Authorization": f"Bearer {agent.token}"},
        )
        reply_done.set()

    thread = threading.Thread(target=reply)
    thread.start()
    while not fake_translate.translate_requests() and not reply_done.is_set():
        reply_done.wait(0.01)  # until the reply is waiting on Google
    answer = twilio_post(
        app.test_client(),
        "/sms/incoming",
        {"MessageSid": "SM" + "b" * 32, "From": OTHER_WORKER_NUMBER, "Body": "HELP"},
    )
    webhook_finished_first = not reply_done.is_set()
    thread.join(timeout=30)
    assert answer.status_code == 200
    assert webhook_finished_first


def prepare_in(runtime: Runtime, case: Case, agent: BuiltAgent, text: str, language: str) -> Any:
    with runtime.db.session() as session:
        return prepare_reply(
            runtime,
            session,
            case=case_row(session, case.id),
            agent=agent_row(session, agent.id),
            text=text,
            language=language,
        )


def test_the_language_the_agent_says_they_write_in_is_the_source_of_the_translation(
    google_runtime: Runtime, fake_translate: FakeGoogleTranslate
) -> None:
    case = make_case(google_runtime, language="vi")
    agent = make_agent(google_runtime, name="Agent vi,en", languages="vi,en", phone=None)

    preview = prepare_in(google_runtime, case, agent, REPLY, "en")

    assert (preview.source_language, preview.status) == ("en", "translated")
    assert preview.translated_text == REPLY_VI
    assert preview.looks_unlike_source is False


def test_english_said_to_be_vietnamese_is_not_translated_and_is_flagged(
    google_runtime: Runtime, fake_translate: FakeGoogleTranslate
) -> None:
    case = make_case(google_runtime, language="vi")
    agent = make_agent(google_runtime, name="Agent vi,en", languages="vi,en", phone=None)

    preview = prepare_in(google_runtime, case, agent, REPLY, "vi")

    assert preview.status == "same_language"
    assert preview.looks_unlike_source is True
    assert fake_translate.sent_text() == ""  # nothing went to Google


def test_without_google_lans_english_is_no_longer_taken_for_vietnamese(
    unconfigured_runtime: Runtime,
) -> None:
    """The first-run finding: Lan (vi, en) typed English and it was sent as Vietnamese."""
    case = make_case(unconfigured_runtime, language="vi")
    agent = make_agent(unconfigured_runtime, name="Agent vi,en", languages="vi,en", phone=None)

    guessed = prepare(unconfigured_runtime, case, agent, REPLY)  # the API without "language"
    chosen = prepare_in(unconfigured_runtime, case, agent, REPLY, "en")

    assert (guessed.source_language, guessed.status) == ("vi", "same_language")
    assert guessed.looks_unlike_source is True
    assert (chosen.source_language, chosen.status) == ("en", "not_configured")


def test_an_untranslated_reply_is_labelled_with_the_language_it_was_written_in(
    unconfigured_runtime: Runtime,
) -> None:
    case = make_case(unconfigured_runtime, language="vi")
    token = make_agent(
        unconfigured_runtime, name="Agent vi,en", languages="vi,en", phone=None
    ).token
    client = create_app(runtime=unconfigured_runtime).test_client()

    response = client.post(
        f"/api/cases/{case.id}/reply",
        json={"text": REPLY, "language": "en"},
        headers={"Authorization": f"Bearer {token}"},
    )

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["translation_status"], body["source_language"]) == ("not_translated", "en")
    with unconfigured_runtime.db.session() as session:
        stored = session.scalars(select(SmsMessage).where(SmsMessage.kind == "agent")).one()
    assert (stored.body, stored.language) == (REPLY, "en")


def test_the_api_takes_an_optional_language_and_refuses_unknown_ones(
    pipeline_runtime: Runtime, fake_twilio: Any
) -> None:
    case = make_case(pipeline_runtime, language="vi")
    token = make_agent(pipeline_runtime, name="Agent vi,en", languages="vi,en", phone=None).token
    client = create_app(runtime=pipeline_runtime).test_client()
    path = f"/api/cases/{case.id}/reply"
    headers = {"Authorization": f"Bearer {token}"}

    for bad in ("xx", 5, ""):
        refused = client.post(path, json={"text": REPLY, "language": bad}, headers=headers)
        assert refused.status_code == 422, (bad, refused.get_json())
        assert refused.get_json()["error"] == "validation_error"
    response = client.post(path, json={"text": REPLY, "language": "en"}, headers=headers)

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["source_language"], body["language"]) == ("en", "vi")
    assert body["translated_text"] == REPLY_VI
    run_jobs(pipeline_runtime)
    assert [sms["Body"] for sms in fake_twilio.sms_to(WORKER_NUMBER)] == [REPLY_VI]
