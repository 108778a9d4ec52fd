"""A trainee's space is a database of its own: seeded with sample cases by the CLI,
worked through the same pages, emptied by a reset, and never mixed with real cases
(SQLite: a second file; PostgreSQL: a schema of its own)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from hotline.audit import AuditEvent
from hotline.cases.models import Case
from hotline.training import space as spaces
from tests.builders import make_agent
from tests.conftest import both_backends
from tests.helpers import run_jobs
from tests.sms.helpers import text_in
from tests.training.helpers import (
    PASSWORD,
    SLUG,
    SPACE,
    case_ids,
    cli,
    csrf,
    dropped_after,
    seed,
    sign_in,
)

REAL_WORKER = "+819000009501"
REAL_TEXT = "Tôi bị đánh ở nơi làm việc"  # a real case (in the real database)
TRAINEE_PHONE = "+819000009199"
PRACTICE_TEXT = "Chủ lấy điện thoại của tôi"  # no stored translation


@pytest.fixture(autouse=True)
def _no_spaces_left(settings: Any) -> Iterator[None]:
    yield from dropped_after(settings)


def _real_cases(runtime: Any) -> int:
    with runtime.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(Case)) or 0)


def _space_cases(settings: Any) -> list[Case]:
    rt = spaces.open_runtime(settings, SLUG)
    try:
        with rt.db.session() as session:
            rows = session.scalars(select(Case)).all()
            session.expunge_all()
            return list(rows)
    finally:
        rt.close()


@pytest.mark.slow
@both_backends
def test_seed_fills_the_space_and_the_real_database_sees_none_of_it(
    settings: Any, runtime: Any, client: Any
) -> None:
    out = seed(settings).output
    assert "4 cases" in out and f"{SPACE}/" in out
    assert _real_cases(runtime) == 0
    cases = _space_cases(settings)
    assert sorted(c.language or "" for c in cases) == ["fil", "id", "ne", "vi"]

    # The trainee signs in to the space; the pages say TRAINING on every page.
    token = sign_in(client, SPACE, SLUG, PASSWORD)
    inbox = client.get(f"{SPACE}/inbox").get_data(as_text=True)
    assert "TRAINING — not real workers" in inbox
    assert case_ids(inbox, SPACE) == {c.id for c in cases}
    vi_case = next(c for c in cases if c.language == "vi")
    page = client.get(f"{SPACE}/cases/{vi_case.id}").get_data(as_text=True)
    assert "TRAINING — not real workers" in page
    assert "The company has not paid my wages for two months." in page  # stored sample
    assert token

    # The trainee's sign-in opens nothing of the real app.
    assert client.get("/inbox").status_code == 302
    assert client.get("/api/cases").status_code == 401


@pytest.mark.slow
@both_backends
def test_a_real_case_never_appears_in_training_and_the_reverse(
    settings: Any, runtime: Any, client: Any, app: Any
) -> None:
    seed(settings)
    text_in(client, REAL_TEXT, sender=REAL_WORKER)
    run_jobs(runtime)
    assert _real_cases(runtime) == 1
    with runtime.db.session() as session:
        real = session.scalars(select(Case)).one()
        real_id, real_reference = real.id, real.reference

    sign_in(client, SPACE, SLUG, PASSWORD)
    inbox = client.get(f"{SPACE}/inbox").get_data(as_text=True)
    assert real_reference not in inbox
    search = client.get(f"{SPACE}/inbox", query_string={"q": real_reference})
    assert case_ids(search.get_data(as_text=True), SPACE) == set()
    assert REAL_TEXT not in client.get(f"{SPACE}/cases/{real_id}").get_data(as_text=True)
    assert {c.reference for c in _space_cases(settings)}.isdisjoint({real_reference})

    # A real adviser (every language the samples use) sees only the real case.
    real_client = app.test_client()
    lan = make_agent(runtime, name="Lan", languages="vi,id,fil,ne,en", password=PASSWORD)
    sign_in(real_client, "", lan.name, lan.sign_in_password)
    real_inbox = real_client.get("/inbox").get_data(as_text=True)
    assert case_ids(real_inbox, "") == {real_id}
    for sample in _space_cases(settings):
        assert sample.reference not in real_inbox


@pytest.mark.slow
@both_backends
def test_simulated_texts_stay_in_the_space_and_reset_empties_it(
    settings: Any, runtime: Any, client: Any
) -> None:
    seed(settings)
    token = sign_in(client, SPACE, SLUG, PASSWORD)
    for text in ("LANG 84", PRACTICE_TEXT):
        sent = client.post(
            f"{SPACE}/simulator/sms",
            data={"phone": TRAINEE_PHONE, "text": text, "csrf_token": token},
        )
        assert sent.status_code == 200
    screen = sent.get_data(as_text=True)
    assert PRACTICE_TEXT in screen  # the worker's phone shows what they sent
    assert len(_space_cases(settings)) == 5
    assert _real_cases(runtime) == 0
    new_case = max(c.id for c in _space_cases(settings))
    page = client.get(f"{SPACE}/cases/{new_case}").get_data(as_text=True)
    assert "no translation in training" in page  # never a made-up translation
    preview = client.post(
        f"{SPACE}/cases/{new_case}/reply",
        data={"text": "We will call you", "language": "en", "csrf_token": token},
    ).get_data(as_text=True)
    assert "no translation in training" in preview and 'id="preview-translation"' in preview

    out = cli(settings, "training", "reset", "--trainee", SLUG).output
    assert "4 cases" in out
    cases = _space_cases(settings)
    assert len(cases) == 4
    # The sign-in is kept; the trainee's text is gone.
    sign_in(client, SPACE, SLUG, PASSWORD)
    assert PRACTICE_TEXT not in client.get(
        f"{SPACE}/simulator", query_string={"phone": TRAINEE_PHONE}
    ).get_data(as_text=True)

    cli(settings, "training", "reset", "--trainee", SLUG, "--empty")
    assert _space_cases(settings) == []
    with runtime.db.session() as session:
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.subject_type == "training_space")
        ).all()
    assert actions == ["training.seeded", "training.reset", "training.reset"]


@pytest.mark.slow
@both_backends
def test_a_trainer_resets_a_space_from_the_page_and_it_is_audited(
    settings: Any, runtime: Any, app: Any
) -> None:
    seed(settings)
    trainee = app.test_client()
    token = sign_in(trainee, SPACE, SLUG, PASSWORD)
    trainee.post(
        f"{SPACE}/simulator/sms",
        data={"phone": TRAINEE_PHONE, "text": "Practice text", "csrf_token": token},
    )
    assert len(_space_cases(settings)) == 5

    adviser = make_agent(runtime, name="Lan", languages="vi,en", password=PASSWORD)
    lan = app.test_client()
    lan_token = sign_in(lan, "", adviser.name, adviser.sign_in_password)
    assert lan.get("/trainer").status_code == 403
    assert lan.post(f"/trainer/{SLUG}/reset", data={"csrf_token": lan_token}).status_code == 403

    boss = make_agent(
        runtime, name="Kenji", languages="ja,en", password=PASSWORD, role="supervisor"
    )
    trainer = app.test_client()
    trainer_token = sign_in(trainer, "", boss.name, boss.sign_in_password)
    listing = trainer.get("/trainer").get_data(as_text=True)
    assert SLUG in listing and f"{SPACE}/" in listing
    assert (
        trainer.post("/trainer/nobody/reset", data={"csrf_token": trainer_token}).status_code == 404
    )
    done = trainer.post(f"/trainer/{SLUG}/reset", data={"csrf_token": trainer_token})
    assert done.status_code == 302
    assert len(_space_cases(settings)) == 4
    with runtime.db.session() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "training.reset")
        ).one()
        assert event.agent_id == boss.id and event.detail == {"trainee": SLUG}
    # The trainee's browser still works: the space was reopened after the reset.
    trainee_again = app.test_client()
    sign_in(trainee_again, SPACE, SLUG, PASSWORD)
    assert len(case_ids(trainee_again.get(f"{SPACE}/inbox").get_data(as_text=True), SPACE)) == 4


@pytest.mark.slow
def test_the_simulator_calls_the_space_and_shows_the_prompts(
    settings: Any, runtime: Any, client: Any
) -> None:
    seed(settings)
    token = sign_in(client, SPACE, SLUG, PASSWORD)
    answer = client.post(
        f"{SPACE}/simulator/call",
        data={"phone": TRAINEE_PHONE, "keys": "84#", "csrf_token": token},
    )
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    heard = re.findall(r'<li class="heard-say"><span lang="vi-VN">(.*?)</span>', html)
    assert any("bấm 1" in line for line in heard), html  # the Vietnamese main menu, as text
    # Nepali has no Twilio voice: its recorded prompts are playable on the page.
    nepali = client.post(
        f"{SPACE}/simulator/call",
        data={"phone": TRAINEE_PHONE, "keys": "977#", "csrf_token": token},
    ).get_data(as_text=True)
    sources = re.findall(r'<audio controls preload="none" src="([^"]+)"', nepali)
    assert sources and all(src.startswith(f"{SPACE}/audio/ne/") for src in sources), nepali
    audio = client.get(sources[0])
    assert audio.status_code == 200 and audio.mimetype.startswith("audio/")
    assert (
        client.post(
            f"{SPACE}/simulator/call",
            data={"phone": TRAINEE_PHONE, "keys": "x", "csrf_token": token},
        ).status_code
        == 400
    )
    assert (
        client.post(
            f"{SPACE}/simulator/sms",
            data={"phone": "not a phone", "text": "hi", "csrf_token": token},
        ).status_code
        == 400
    )
    # The real app has no simulator, and unknown spaces are not there.
    assert client.get("/simulator").status_code in (302, 404)
    assert client.get("/training/nobody/inbox").status_code == 404
    # A space has no operations endpoints of its own: /metrics is the real hotline's.
    assert client.get(f"{SPACE}/metrics").status_code == 404
    assert client.get(f"{SPACE}/healthz").status_code == 404
    assert _real_cases(runtime) == 0


def test_bad_trainee_names_are_refused(settings: Any) -> None:
    from click.testing import CliRunner

    from hotline.cli import main
    from tests.training.helpers import cli_env

    result = CliRunner().invoke(
        main, ["training", "seed", "--trainee", "../etc"], env=cli_env(settings)
    )
    assert result.exit_code != 0 and "trainee name" in result.output
    result = CliRunner().invoke(
        main, ["training", "reset", "--trainee", "ghost"], env=cli_env(settings)
    )
    assert result.exit_code != 0 and "no training space" in result.output
    assert csrf('name="csrf_token" value="x"') == "x"
