"""Migrations from an empty database produce exactly the models, on both backends."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from hotline.models import metadata
from tests.conftest import both_backends


@both_backends
def test_migrations_from_empty_match_the_models(database_url: str) -> None:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, metadata)
    engine.dispose()
    assert diff == []


@both_backends
def test_database_is_at_the_latest_revision(database_url: str) -> None:
    from hotline.migrate import current_heads

    engine = create_engine(database_url)
    with engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    engine.dispose()
    assert current == current_heads(database_url)


def test_0010_gives_existing_callers_the_answers_of_their_latest_request_by_phone(
    tmp_path: Path,
) -> None:
    from hotline.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'before.db'}"
    upgrade(url, "0003")
    engine = create_engine(url)
    with engine.begin() as conn:
        for caller_id in (1, 2, 3):
            conn.execute(
                text(
                    "INSERT INTO callers (id, phone_hash, phone_encrypted, created_at)"
                    " VALUES (:i, :h, 'x', '2026-11-01 00:00:00')"
                ),
                {"i": caller_id, "h": f"hash{caller_id}"},
            )
            conn.execute(
                text(
                    "INSERT INTO cases (id, reference, caller_id, status, urgent, created_at,"
                    " last_activity_at) VALUES (:i, :r, :i, 'open', false,"
                    " '2026-11-01 00:00:00', '2026-11-01 00:00:00')"
                ),
                {"i": caller_id, "r": f"000000{caller_id}"},
            )
        requests = [
            # caller, window, may_identify, sms_allowed, source, created_at
            (1, "morning", True, True, "voice", "2026-11-02 00:00:00"),
            (1, "evening", False, False, "voice", "2026-11-03 00:00:00"),  # latest: wins
            (1, "any", False, True, "sms", "2026-11-04 00:00:00"),  # by SMS: never asked
            (2, "any", False, True, "sms", "2026-11-04 00:00:00"),
        ]
        for n, (caller_id, window, identify, sms, source, at) in enumerate(requests, 1):
            conn.execute(
                text(
                    "INSERT INTO callback_requests (id, case_id, caller_id, language,"
                    " phone_encrypted, window, may_identify, sms_allowed, urgent, priority,"
                    " source, status, attempts, next_attempt_at, created_at, updated_at)"
                    " VALUES (:n, :c, :c, 'vi', 'x', :w, :i, :s, false, 0, :src, 'closed',"
                    " 0, :at, :at, :at)"
                ),
                {
                    "n": n,
                    "c": caller_id,
                    "w": window,
                    "i": identify,
                    "s": sms,
                    "src": source,
                    "at": at,
                },
            )
    upgrade(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id, sms_allowed, may_identify, call_window FROM callers ORDER BY id")
        ).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [
        (1, False, False, "evening"),
        (2, None, None, None),
        (3, None, None, None),
    ]
