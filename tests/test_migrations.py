"""Migrations from an empty database produce exactly the models, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

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
