"""Native-speaker review in the web app: a reviewer of a language signs texts off or
corrects them; the coverage report, the audit log, the live call and SMS texts and the
pack files (through `hotline prompts export`) all follow."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import select

from hotline.audit import AuditEvent
from hotline.cli import main
from hotline.review.models import PromptVersion
from hotline.voice.scripts import ivr_scripts_dir, load_scripts
from tests.builders import PASSWORD, make_agent
from tests.conftest import GOOGLE_PROJECT, both_backends
from tests.review.helpers import coverage_counts, post_form, prompts_check, reviewer, signed_in
from tests.sms.helpers import reply_of, text_in
from tests.test_cli import cli_env
from tests.voice.helpers import place_call

NEW_GREETING = "Xin chào, đây là đường dây nóng cho người lao động."


@pytest.fixture
def settings_overrides(fake_translate: Any) -> dict[str, Any]:
    return {
        "google_cloud_project": GOOGLE_PROJECT,
        "google_translate_endpoint": fake_translate.url,
    }


def audit_events(runtime: Any, action: str) -> list[AuditEvent]:
    with runtime.db.session() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action)))


@pytest.mark.slow
@both_backends
def test_a_reviewer_marks_a_text_reviewed_and_the_coverage_and_audit_log_follow(
    client: Any, runtime: Any, settings: Any
) -> None:
    lan = reviewer(runtime, settings, "Lan", "vi")
    before = coverage_counts(prompts_check(settings).output, "vi")
    prompts = len(load_scripts().menu.prompt_names())
    assert before[:2] == [0, prompts] and before[5:] == [0, 19]

    signed_in(client, lan)
    page = client.get("/review/vi")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    # The English source and the back-translation (the fake marks its "translations").
    assert "Welcome to the workers&#39; hotline." in html
    assert "[en] Chào mừng bạn đến với đường dây nóng cho người lao động." in html

    response = post_form(
        client, "/review/vi/reviewed", "/review/vi", channel="voice", key="greeting"
    )
    assert response.status_code == 302
    response = post_form(
        client, "/review/vi/reviewed", "/review/vi", channel="sms", key="reply.help"
    )
    assert response.status_code == 302

    after = coverage_counts(prompts_check(settings).output, "vi")
    assert after[:2] == [1, prompts - 1] and after[5:] == [1, 18]
    index = client.get("/review").get_data(as_text=True)
    row = re.search(r'<tr id="coverage-vi">(.*?)</tr>', index, re.S)
    assert row is not None
    assert re.findall(r"<td>(\d+)</td>", row.group(1)) == [
        "1",
        str(prompts - 1),
        str(prompts),
        "0",
        "0",
        "1",
        "18",
    ]

    events = audit_events(runtime, "prompt.reviewed")
    assert [(e.agent_id, (e.detail or {})["channel"], (e.detail or {})["key"]) for e in events] == [
        (lan.id, "voice", "greeting"),
        (lan.id, "sms", "reply.help"),
    ]
    assert audit_events(runtime, "reviewer.granted")[0].subject_id == lan.id
    boss = make_agent(runtime, name="Boss", languages="en", password=PASSWORD, role="supervisor")
    client.post("/sign-out", data={"csrf_token": "x"})
    client.delete_cookie("session")
    signed_in(client, boss)
    assert "prompt.reviewed" in client.get("/audit").get_data(as_text=True)


@pytest.mark.slow
def test_an_edit_is_the_live_text_of_calls_and_sms_and_export_writes_it_back(
    client: Any, runtime: Any, settings: Any, tmp_path: Path
) -> None:
    lan = reviewer(runtime, settings, "Lan", "vi")
    signed_in(client, lan)
    response = post_form(
        client,
        "/review/vi/edit",
        "/review/vi",
        channel="voice",
        key="greeting",
        text=NEW_GREETING,
    )
    assert response.status_code == 302
    new_help = "Đường dây miễn phí và bảo mật.\nViết câu hỏi, gửi CALL để được gọi lại."
    response = post_form(
        client, "/review/vi/edit", "/review/vi", channel="sms", key="reply.help", text=new_help
    )
    assert response.status_code == 302

    # A Vietnamese caller hears the new greeting; a Vietnamese text gets the new help.
    call = place_call(client, "84#")
    assert NEW_GREETING in call.says()
    reply = reply_of(text_in(client, "GIÚP"))
    assert reply is not None and reply.startswith(new_help + "\n")

    events = audit_events(runtime, "prompt.edited")
    assert [(e.agent_id, (e.detail or {})["key"], (e.detail or {})["changed"]) for e in events] == [
        (lan.id, "greeting", True),
        (lan.id, "reply.help", True),
    ]
    with runtime.db.session() as s:
        versions = list(s.scalars(select(PromptVersion).order_by(PromptVersion.id)))
    assert [(v.key, v.action, v.reviewed, v.agent_id) for v in versions] == [
        ("greeting", "edited", True, lan.id),
        ("reply.help", "edited", True, lan.id),
    ]

    out = tmp_path / "export"
    result = CliRunner().invoke(
        main, ["prompts", "export", "--lang", "vi", "--out", str(out)], env=cli_env(settings)
    )
    assert result.exit_code == 0, result.output
    assert "exported vi voice greeting" in result.output
    for name, section, key, text in (
        ("prompts/vi.yaml", "prompts", "greeting", NEW_GREETING),
        ("sms/vi.yaml", "replies", "help", new_help),
    ):
        original = (ivr_scripts_dir() / name).read_text("utf-8").splitlines()
        written = (out / name).read_text("utf-8").splitlines()
        # Only the entry's two values changed: comments, order and layout are kept.
        changed = [i for i, (a, b) in enumerate(zip(original, written, strict=True)) if a != b]
        assert len(changed) == 2, changed
        assert written[changed[1]].strip() == "reviewed: true"
        assert yaml.safe_load((out / name).read_text("utf-8"))[section][key] == {
            "text": text,
            "reviewed": True,
        }
    # Nothing to export for a language nobody reviewed.
    assert not (out / "prompts" / "ne.yaml").exists()


def test_an_edit_that_drops_a_placeholder_is_refused_and_the_typed_text_kept(
    client: Any, runtime: Any, settings: Any
) -> None:
    lan = reviewer(runtime, settings, "Lan", "vi")
    signed_in(client, lan)
    typed = "Chúng tôi xóa tin nhắn sau một thời gian."
    response = post_form(
        client,
        "/review/vi/edit",
        "/review/vi",
        channel="voice",
        key="privacy_notice",
        text=typed,
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "{content_days}" in html and typed in html
    with runtime.db.session() as s:
        assert s.scalar(select(PromptVersion)) is None


@pytest.mark.slow
def test_non_reviewers_and_reviewers_of_another_language_are_refused(
    client: Any, runtime: Any, settings: Any
) -> None:
    reviewer(runtime, settings, "Lan", "vi")
    sita = reviewer(runtime, settings, "Sita", "ne")
    boss = make_agent(runtime, name="Boss", languages="en,vi", password=PASSWORD, role="supervisor")
    for agent in (sita, boss):
        client.delete_cookie("session")
        signed_in(client, agent)
        assert client.get("/review/vi").status_code == 403
        response = post_form(
            client, "/review/vi/reviewed", "/review", channel="voice", key="greeting"
        )
        assert response.status_code == 403
        response = post_form(
            client, "/review/vi/edit", "/review", channel="voice", key="greeting", text="x"
        )
        assert response.status_code == 403
    assert client.get("/review/ne").status_code == 403  # the supervisor, still
    client.delete_cookie("session")
    signed_in(client, sita)
    assert client.get("/review/ne").status_code == 200
    with runtime.db.session() as s:
        assert s.scalar(select(PromptVersion)) is None
    assert audit_events(runtime, "prompt.reviewed") == []
    client.delete_cookie("session")
    assert client.get("/review/vi").status_code == 302  # signed out: to the sign-in page


@pytest.mark.slow
def test_a_supervisor_makes_an_agent_a_reviewer_on_the_page(
    client: Any, runtime: Any, settings: Any
) -> None:
    boss = make_agent(runtime, name="Boss", languages="en", password=PASSWORD, role="supervisor")
    lan = make_agent(runtime, name="Lan", languages="en,vi", password=PASSWORD)
    signed_in(client, boss)
    response = post_form(
        client, "/review/reviewers", "/review", agent_id=str(lan.id), language="vi"
    )
    assert response.status_code == 302
    assert (
        post_form(client, "/review/reviewers", "/review", agent_id="x", language="vi").status_code
        == 400
    )
    client.delete_cookie("session")
    signed_in(client, lan)
    assert client.get("/review/vi").status_code == 200
    assert (
        post_form(
            client, "/review/reviewers", "/review", agent_id=str(lan.id), language="ne"
        ).status_code
        == 403
    )
    assert audit_events(runtime, "reviewer.granted")[0].agent_id == boss.id


def test_bad_review_forms_get_a_clear_400(client: Any, runtime: Any, settings: Any) -> None:
    lan = reviewer(runtime, settings, "Lan", "vi")
    signed_in(client, lan)
    for data in ({"channel": "fax", "key": "greeting"}, {"channel": "voice", "key": "nope"}):
        response = post_form(client, "/review/vi/reviewed", "/review/vi", **data)
        assert response.status_code == 400
    assert client.get("/review/xx").status_code == 404


def test_the_cli_grants_and_removes_review_rights(runtime: Any, settings: Any) -> None:
    lan = reviewer(runtime, settings, "Lan", "vi")
    env = cli_env(settings)
    result = CliRunner().invoke(
        main, ["agent", "reviewer", "--id", str(lan.id), "--languages", "vi", "--remove"], env=env
    )
    assert result.exit_code == 0 and "no longer reviews vi; reviews: none" in result.output
    result = CliRunner().invoke(
        main, ["agent", "reviewer", "--id", str(lan.id), "--languages", "xx"], env=env
    )
    assert result.exit_code == 2 and "unknown language" in result.output
    assert [e.action for e in audit_events(runtime, "reviewer.revoked")] == ["reviewer.revoked"]


def test_an_edited_rights_topic_is_what_info_sends_by_sms(
    client: Any, runtime: Any, settings: Any
) -> None:
    from hotline.sms.info import topics

    topic = topics("vi")[0]
    lan = reviewer(runtime, settings, "Lan", "vi")
    signed_in(client, lan)
    new_text = "Lương phải được trả đủ và đúng hạn. Hãy giữ phiếu lương của bạn."
    response = post_form(
        client, "/review/vi/edit", "/review/vi", channel="voice", key=topic.prompt, text=new_text
    )
    assert response.status_code == 302
    reply = reply_of(text_in(client, f"THÔNG TIN {topic.number}"))
    assert reply is not None and new_text in reply
    too_long = post_form(
        client,
        "/review/vi/edit",
        "/review/vi",
        channel="voice",
        key=topic.prompt,
        text="Lương phải được trả đủ. " * 40,
    )
    assert too_long.status_code == 400
