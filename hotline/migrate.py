"""Alembic, driven from code so `hotline db upgrade` works from an installed package."""

from __future__ import annotations

from importlib import resources
from typing import Any

from alembic import command
from alembic.config import Config


def alembic_config(database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("hotline") / "migrations"))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def upgrade(database_url: str, revision: str = "head", *, keyring: Any = None) -> None:
    """Migrate to `revision`; `keyring` seals existing data where a migration needs it
    (without one, a migration that meets such data reads the keys from the environment)."""
    cfg = alembic_config(database_url)
    if keyring is not None:
        cfg.attributes["hotline.keyring"] = keyring
    command.upgrade(cfg, revision)


def downgrade(database_url: str, revision: str, *, keyring: Any = None) -> None:
    cfg = alembic_config(database_url)
    if keyring is not None:
        cfg.attributes["hotline.keyring"] = keyring
    command.downgrade(cfg, revision)


def current_heads(database_url: str) -> set[str]:
    from alembic.script import ScriptDirectory

    return set(ScriptDirectory.from_config(alembic_config(database_url)).get_heads())
