"""The agent web app through the Flask test client: sign-in, CSRF, rate limits, access."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from click.testing import CliRunner
from sqlalchemy import func, select

from hotline import create_app
from hotline.audit import AuditEvent
from hotline.callbacks.models import CallbackRequest
from hotline.cli import main
from hotline.web.models import SignInFailure, WebSession
from hotline.web.security import FREE_FAILURES
from tests.builders import (
    EN_COMPLAINT,
    PASSWORD,
    VI_COMPLAINT,
    make_agent,
    make_vietnamese_sms_case,
)
from tests.helpers import WORKER_NUMBER
from tests.web.helpers import csrf_from, page_csrf, sign_in


@pytest.mark.slow
def test_sign_in_sets_a_secure_http_only_cookie_and_sign_out_ends_the_session(
    client: Any, runtime: Any
) -> None:
    agent = make_agent(runtime, name="Lan", languages="vi,en", password=PASSWORD)
    response = sign_in(client, agent)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/inbox")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "Secure" in cookie  # HOTLINE_PUBLIC_URL is https in the tests
    assert client.get("/queue").status_code == 200

    stolen = client.get_cookie("session").value
    client.post("/sign-out", data={"csrf_token": page_csrf(client)})
    with runtime.db.session() as s:
        assert s.scalar(select(func.count()).select_from(WebSession)) == 0
    # The cookie as it was before sign-out no longer signs anybody in.
    client.set_cookie("session", stolen, domain="localhost")
    after = client.get("/queue")
    assert after.status_code == 302
    assert "/sign-in" in after.headers["Location"]


@pytest.mark.slow
def test_signed_out_visitors_are_sent_to_sign_in_and_back_but_never_off_site(
    client: Any, runtime: Any
) -> None:
    agent = make_agent(runtime, name="Lan", languages="vi,en", password=PASSWORD)
    response = client.get("/cases/12")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/sign-in?next=/cases/12")
    token = csrf_from(client.get("/sign-in?next=/cases/12").get_data(as_text=True))
    back = client.post(
        "/sign-in",
        data={"csrf_token": token, "name": "LAN", "password": agent.password, "next": "/cases/12"},
    )
    assert back.headers["Location"].endswith("/cases/12")
    client.post("/sign-out", data={"csrf_token": page_csrf(client)})
    for target in (
        "//evil.example/x",
        "/\\\\evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
    ):
        token = csrf_from(client.get("/sign-in").get_data(as_text=True))
        off_site = client.post(
            "/sign-in",
            data={"csrf_token": token, "name": "Lan", "password": agent.password, "next": target},
        )
        assert off_site.headers["Location"].endswith("/inbox"), target
        client.post("/sign-out", data={"csrf_token": page_csrf(client)})


@pytest.mark.slow
def test_wrong_password_is_refused_without_saying_which_part_was_wrong(
    client: Any, runtime: Any
) -> None:
    agent = make_agent(runtime, name="Lan", languages="vi,en", password=PASSWORD)
    wrong_password = sign_in(client, agent, password="not the password at all")
    assert wrong_password.status_code == 401
    assert "Wrong name or password" in wrong_password.get_data(as_text=True)
    assert client.get("/queue").status_code == 302


@pytest.mark.slow
def test_form_posts_without_the_csrf_token_are_refused(client: Any, runtime: Any) -> None:
    agent = make_agent(runtime, name="Lan", languages="vi,en", password=PASSWORD)
    info = make_vietnamese_sms_case(runtime)
    # Not even the sign-in form is accepted without its token.
    assert (
        client.post("/sign-in", data={"name": agent.name, "password": agent.password}).status_code
        == 400
    )
    assert sign_in(client, agent).status_code == 302

    for path in (
        "/queue/claim",
        "/availability",
        "/sign-out",
        f"/cases/{info.case_id}/reply",
        f"/callbacks/{info.callback_id}/outcome",
    ):
        refused = client.post(path, data={"text": "hello", "outcome": "reached"})
        assert refused.status_code == 400, path
        forged = client.post(path, data={"csrf_token": "forged", "outcome": "reached"})
        assert forged.status_code == 400, path
    with runtime.db.session() as s:
        callback = s.get(CallbackRequest, info.callback_id)
        assert callback is not None and callback.status == "queued"
    # Still signed in: the refused sign-out did nothing.
    assert client.get("/queue").status_code == 200
    claimed = client.post("/queue/claim", data={"csrf_token": page_csrf(client)})
    assert claimed.status_code == 302


@pytest.mark.slow
def test_failed_sign_ins_are_rate_limited_across_processes(
    client: Any, runtime: Any, app: Any
) -> None:
    agent = make_agent(runtime, name="Lan", languages="vi,en", password=PASSWORD)
    with time_machine.travel(dt.datetime(2030, 1, 15, 1, tzinfo=dt.UTC), tick=False):
        for _ in range(FREE_FAILURES):
            assert sign_in(client, agent, password="guess guess guess").status_code == 401
        limited = sign_in(client, agent)  # even the right password is not checked now
        assert limited.status_code == 429
        assert "Too many failed attempts" in limited.get_data(as_text=True)
        assert client.get("/queue").status_code == 302
        # Counted in the database: another web process (app) refuses as well.
        other_process = create_app(runtime=runtime).test_client()
        assert sign_in(other_process, agent).status_code == 429
    with runtime.db.session() as s:
        keys = s.scalars(select(SignInFailure.key)).all()
    assert keys and all(agent.name not in key and "127.0.0.1" not in key for key in keys)


@pytest.mark.slow
def test_an_agent_without_vietnamese_gets_404_for_a_vietnamese_case(
    client: Any, runtime: Any
) -> None:
    info = make_vietnamese_sms_case(runtime)
    dara = make_agent(
        runtime, name="Dara", languages="km,en", phone="+819000000151", password=PASSWORD
    )
    sign_in(client, dara)
    page = client.get(f"/cases/{info.case_id}")
    assert page.status_code == 404
    assert VI_COMPLAINT not in page.get_data(as_text=True)
    assert (
        client.post(
            f"/cases/{info.case_id}/reply", data={"csrf_token": page_csrf(client), "text": "hi"}
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/callbacks/{info.callback_id}/dial", data={"csrf_token": page_csrf(client)}
        ).status_code
        == 404
    )
    with runtime.db.session() as s:
        reads = s.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "case.read")
        )
    assert reads == 0


@pytest.mark.slow
def test_each_case_view_is_audited_and_the_number_is_always_masked(
    client: Any, runtime: Any
) -> None:
    info = make_vietnamese_sms_case(runtime)
    lan = make_agent(runtime, name="Lan", languages="vi,en", password=PASSWORD)
    sign_in(client, lan)
    for _ in range(2):
        html = client.get(f"/cases/{info.case_id}").get_data(as_text=True)
        assert VI_COMPLAINT in html
        assert EN_COMPLAINT in html  # the pipeline's English translation, side by side
        assert WORKER_NUMBER not in html and WORKER_NUMBER[3:] not in html
        assert "•••• ••" + WORKER_NUMBER[-2:] in html
        assert "do NOT say this is the hotline" in html
    with runtime.db.session() as s:
        reads = s.scalars(select(AuditEvent).where(AuditEvent.action == "case.read")).all()
    assert [(e.agent_id, e.subject_id) for e in reads] == [(lan.id, info.case_id)] * 2


@pytest.mark.slow
def test_the_interface_speaks_japanese_to_an_agent_who_chose_it(client: Any, runtime: Any) -> None:
    kenji = make_agent(
        runtime, name="Kenji", languages="vi,ja", ui_language="ja", password=PASSWORD
    )
    sign_in(client, kenji)
    html = client.get("/queue").get_data(as_text=True)
    assert 'lang="ja"' in html
    assert "折り返し電話キュー" in html
    switched = client.post(
        "/preferences/language",
        data={"csrf_token": page_csrf(client), "ui_language": "en", "next": "/queue"},
    )
    assert switched.status_code == 302
    assert "Callback queue" in client.get("/queue").get_data(as_text=True)


@pytest.mark.slow
def test_the_dashboard_is_for_supervisors_only(client: Any, runtime: Any) -> None:
    make_vietnamese_sms_case(runtime)
    lan = make_agent(runtime, name="Lan", languages="vi,en", password=PASSWORD)
    sign_in(client, lan)
    assert client.get("/dashboard").status_code == 403
    client.post("/sign-out", data={"csrf_token": page_csrf(client)})
    boss = make_agent(
        runtime,
        name="Kenji",
        languages="en,ja",
        role="supervisor",
        phone="+819000000152",
        password=PASSWORD,
    )
    sign_in(client, boss)
    html = client.get("/dashboard").get_data(as_text=True)
    assert "<svg" in html and "Backlog per language" in html
    assert "Tiếng Việt (vi)" in html


@pytest.mark.slow
def test_hotline_agent_passwd_sets_a_password_that_signs_in(
    client: Any, runtime: Any, settings: Any
) -> None:
    from tests.test_cli import cli_env

    lan = make_agent(runtime, name="Lan", languages="vi,en", password="an old password!")
    result = CliRunner().invoke(
        main,
        ["agent", "passwd", "--name", "lan", "--password", "a brand new password"],
        env=cli_env(settings),
    )
    assert result.exit_code == 0, result.output
    assert "password set for agent" in result.output
    assert sign_in(client, lan, password="an old password!").status_code == 401
    assert sign_in(client, lan, password="a brand new password").status_code == 302
    short = CliRunner().invoke(
        main,
        ["agent", "passwd", "--id", str(lan.id), "--password", "short"],
        env=cli_env(settings),
    )
    assert short.exit_code != 0 and "at least 12 characters" in short.output


@pytest.mark.slow
def test_a_voicemail_shows_its_transcript_confidence_and_translation_and_plays_audited(
    client: Any, runtime: Any
) -> None:
    from hotline.translation.models import Translation
    from hotline.voice.models import Voicemail, VoicemailAudio

    info = make_vietnamese_sms_case(runtime)
    audio = b"RIFF----WAVEfmt " + bytes(range(64))
    with runtime.db.session() as s:
        voicemail = Voicemail(
            case_id=info.case_id,
            recording_sid="RE" + "7" * 32,
            recording_url="https://api.twilio.example/recording",
            duration_seconds=12,
            language="vi",
            transcription_status="done",
            transcript="Tôi bị thương ở tay khi làm việc.",
            transcript_confidence=0.87,
        )
        s.add(voicemail)
        s.flush()
        s.add(VoicemailAudio(voicemail_id=voicemail.id, audio=audio, content_type="audio/wav"))
        s.add(
            Translation(
                source_kind="voicemail",
                source_id=voicemail.id,
                source_language="vi",
                target_language="en",
                status="done",
                text="I hurt my hand at work.",
            )
        )
        voicemail_id = voicemail.id
    lan = make_agent(runtime, name="Lan", languages="vi,en", password=PASSWORD)
    sign_in(client, lan)
    html = client.get(f"/cases/{info.case_id}").get_data(as_text=True)
    assert "Tôi bị thương ở tay khi làm việc." in html
    assert "confidence 87%" in html
    assert "I hurt my hand at work." in html
    audio_url = f"/cases/{info.case_id}/voicemails/{voicemail_id}/audio"
    assert f'src="{audio_url}"' in html

    played = client.get(audio_url)
    assert played.status_code == 200
    assert played.data == audio
    assert played.mimetype == "audio/wav"
    assert "no-store" in played.headers["Cache-Control"]
    seeked = client.get(audio_url, headers={"Range": "bytes=16-31"})  # the player seeks
    assert seeked.status_code == 206
    assert seeked.data == audio[16:32]
    with runtime.db.session() as s:
        listens = s.scalars(select(AuditEvent).where(AuditEvent.action == "voicemail.listen")).all()
    assert [(e.agent_id, e.subject_id) for e in listens] == [(lan.id, voicemail_id)] * 2

    client.post("/sign-out", data={"csrf_token": page_csrf(client)})
    assert client.get(audio_url).status_code == 302  # signed out: to the sign-in page
    dara = make_agent(
        runtime, name="Dara", languages="km,en", phone="+819000000151", password=PASSWORD
    )
    sign_in(client, dara)
    assert client.get(audio_url).status_code == 404


@pytest.mark.slow
def test_ids_too_large_for_the_database_are_not_found_pages(client: Any, runtime: Any) -> None:
    info = make_vietnamese_sms_case(runtime)
    sign_in(client, make_agent(runtime, name="Lan", languages="vi,en", password=PASSWORD))
    huge = 99999999999999999999

    assert client.get(f"/cases/{huge}").status_code == 404
    assert client.get(f"/cases/{huge}/voicemails/1/audio").status_code == 404
    assert client.get(f"/cases/{info.case_id}/voicemails/{huge}/audio").status_code == 404


@pytest.mark.slow
def test_availability_toggle_and_a_missed_call_puts_the_callback_back_in_the_queue(
    client: Any, runtime: Any
) -> None:
    from hotline.agents.models import Agent

    info = make_vietnamese_sms_case(runtime)
    lan = make_agent(runtime, name="Lan", languages="vi,en", password=PASSWORD)
    sign_in(client, lan)
    client.post("/availability", data={"csrf_token": page_csrf(client), "available": "1"})
    with runtime.db.session() as s:
        assert s.get(Agent, lan.id).available is True
    assert "Stop taking live calls" in client.get("/queue").get_data(as_text=True)

    claimed = client.post("/queue/claim", data={"csrf_token": page_csrf(client)})
    assert claimed.headers["Location"].endswith(f"/cases/{info.case_id}#callback")
    queue_html = client.get("/queue").get_data(as_text=True)
    assert "Lease: 14 min left" in queue_html or "Lease: 15 min left" in queue_html
    token = page_csrf(client, f"/cases/{info.case_id}")
    done = client.post(
        f"/callbacks/{info.callback_id}/outcome",
        data={"csrf_token": token, "outcome": "no_answer", "note": ""},
    )
    assert done.status_code == 302
    with runtime.db.session() as s:
        callback = s.get(CallbackRequest, info.callback_id)
        assert callback is not None
        assert (callback.status, callback.attempts, callback.claimed_by_id) == ("queued", 1, None)
    # Not held any more: no call button, and recording again is refused with a message.
    html = client.get(f"/cases/{info.case_id}").get_data(as_text=True)
    assert "Call the worker" not in html
    again = client.post(
        f"/callbacks/{info.callback_id}/outcome",
        data={"csrf_token": token, "outcome": "reached"},
        follow_redirects=True,
    )
    assert "claim this callback first" in again.get_data(as_text=True)


def test_an_available_agent_takes_the_next_live_caller_from_the_queue_page(
    client: Any, runtime: Any, fake_twilio: Any
) -> None:
    lan = make_agent(
        runtime, name="Lan", languages="vi,en", phone="+819000000150", password=PASSWORD
    )
    sign_in(client, lan)
    refused = client.post(
        "/live/next",
        data={"csrf_token": page_csrf(client), "language": "vi"},
        follow_redirects=True,
    )
    assert "Could not connect you to a live caller" in refused.get_data(as_text=True)
    assert fake_twilio.calls == []

    client.post("/availability", data={"csrf_token": page_csrf(client), "available": "1"})
    assert "Take the next live caller" in client.get("/queue").get_data(as_text=True)
    rung = client.post(
        "/live/next",
        data={"csrf_token": page_csrf(client), "language": "vi"},
        follow_redirects=True,
    )
    assert "Your phone will ring" in rung.get_data(as_text=True)
    [call] = fake_twilio.calls
    assert call["To"] == "+819000000150"
    assert "hotline-vi" in call["Url"] or "lang=vi" in call["Url"]
