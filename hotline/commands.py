"""What the domains' commands share."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session


@contextmanager
def command_session() -> Iterator[Session]:
    """A database session for one command, committed when it ends; the runtime (and its
    connections) closed after. A bad configuration exits with its one-line message."""
    from hotline.cli import settings_or_exit  # the command group imports the domains
    from hotline.runtime import Runtime

    runtime = Runtime(settings_or_exit())
    try:
        with runtime.db.session() as session:
            yield session
    finally:
        runtime.close()
