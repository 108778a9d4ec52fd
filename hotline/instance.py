"""The instance folder holds the embedded install's secrets and data (generated keys,
the SQLite database, the embedded Redis): readable by the hotline's user only, whatever
the umask."""

from __future__ import annotations

import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)

PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600


def private_folder(path: Path) -> Path:
    """Create `path` (and any missing parents) and make it private to this user."""
    path.mkdir(parents=True, exist_ok=True)
    try:
        os.chmod(path, PRIVATE_FOLDER)
    except PermissionError:
        # Another user's folder, set up on purpose by an administrator: theirs to secure.
        log.warning("cannot make the instance folder private (not its owner): %s", path)
    return path


def private_file(path: Path) -> bool:
    """Create `path` empty with owner-only permissions unless it exists; True if created.

    SQLite gives its -wal and -shm files the permissions of the database file, so an
    embedded database created this way stays private too.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        return False
    os.close(fd)
    return True
