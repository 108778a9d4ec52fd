"""`hotline directory ...` for supervisors and operators."""

from __future__ import annotations

import json
from typing import Any

from click.testing import CliRunner
from sqlalchemy import select

from hotline.audit import AuditEvent
from hotline.cli import main
from hotline.directory.models import Organisation
from hotline.runtime import Runtime
from tests.builders import make_agent
from tests.test_cli import cli_env


def _run(settings: Any, *args: str) -> Any:
    return CliRunner().invoke(main, ["directory", *args], env=cli_env(settings))


def test_seed_then_list_marks_every_seeded_entry_unverified(
    settings: Any, runtime: Runtime
) -> None:
    seeded = _run(settings, "seed")
    assert seeded.exit_code == 0, seeded.output
    assert "added, all unverified" in seeded.output
    assert _run(settings, "seed").output.startswith("0 organisation(s) added")
    listed = _run(settings, "list", "--language", "ne")
    assert listed.exit_code == 0, listed.output
    assert "UNVERIFIED" in listed.output
    assert "0120-750-880" in listed.output  # MHLW hotline, Nepali line
    assert "0120-558-815" not in listed.output  # the Vietnamese line
    as_json = json.loads(_run(settings, "list", "--kind", "otit", "--json").output)
    assert {row["kind"] for row in as_json} == {"otit"}


def test_add_edit_verify_and_deactivate_are_audited_with_the_supervisor(
    settings: Any, runtime: Runtime
) -> None:
    supervisor = make_agent(runtime, name="Kenji", languages="ja,en", role="supervisor").id
    adviser = make_agent(runtime, name="Lan", languages="vi").id
    added = _run(
        settings,
        "add",
        "--name-ja",
        "ベトナム大使館",
        "--name-en",
        "Embassy of Viet Nam",
        "--kind",
        "embassy",
        "--country",
        "VN",
        "--phone",
        "03-0000-0000",
        "--hours",
        "mon-fri 09:00-12:00,14:00-17:00",
        "--languages",
        "vi,ja",
        "--agent",
        str(supervisor),
    )
    assert added.exit_code == 0, added.output
    with runtime.db.session() as session:
        org_id = session.scalars(select(Organisation.id)).one()

    refused = _run(settings, "verify", str(org_id), "--agent", str(adviser))
    assert refused.exit_code != 0
    assert "not a supervisor" in refused.output
    verified = _run(settings, "verify", str(org_id), "--agent", str(supervisor))
    assert verified.exit_code == 0, verified.output
    assert "UNVERIFIED" not in _run(settings, "list").output

    bad = _run(settings, "edit", str(org_id), "--hours", "weekdays")
    assert bad.exit_code != 0
    assert "hours" in bad.output
    edited = _run(settings, "edit", str(org_id), "--phone", "03-0000-0001")
    assert edited.exit_code == 0, edited.output
    assert "phone changed; unverified" in edited.output
    assert _run(settings, "deactivate", str(org_id), "--agent", str(supervisor)).exit_code == 0
    assert "0 organisation(s)" in _run(settings, "list").output
    assert "(inactive)" in _run(settings, "list", "--all").output

    with runtime.db.session() as session:
        events = session.execute(
            select(AuditEvent.action, AuditEvent.agent_id)
            .where(AuditEvent.subject_type == "organisation")
            .order_by(AuditEvent.id)
        ).all()
    assert [tuple(e) for e in events] == [
        ("directory.add", supervisor),
        ("directory.verify", supervisor),
        ("directory.edit", None),
        ("directory.deactivate", supervisor),
    ]


def test_bad_values_and_unknown_ids_are_clear_errors(settings: Any, runtime: Runtime) -> None:
    missing = _run(settings, "verify", "99", "--agent", "1")
    assert missing.exit_code != 0
    bad_kind = _run(
        settings, "add", "--name-ja", "x", "--name-en", "x", "--kind", "church", "--phone", "110"
    )
    assert bad_kind.exit_code != 0
    assert "kind: must be one of" in bad_kind.output
    assert "unknown prefecture" in _run(settings, "list", "--prefecture", "atlantis").output


def test_the_demo_set_up_seeds_the_directory_unverified(settings: Any, runtime: Runtime) -> None:
    from hotline.directory.service import seed_entries

    result = CliRunner().invoke(main, ["demo", "seed"], env=cli_env(settings))
    assert result.exit_code == 0, result.output
    with runtime.db.session() as session:
        rows = list(session.scalars(select(Organisation)))
    assert len(rows) == len(seed_entries())
    assert all(org.verified_at is None for org in rows)
