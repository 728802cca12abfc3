"""The ingest lock: an advisory file lock held while an ingest writes to a database.

It tells other processes that an ingest is under way, so that they leave the derived
data it will rebuild at its end alone (see :func:`store.db.database.open_database`),
and it keeps two ingests from writing into one database at once.  The kernel drops
the lock when its process dies, even by ``kill -9``: a crashed ingest never leaves it
held.  The lock file sits beside the database (``NAME.db.ingest-lock``).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path


class IngestRunning(RuntimeError):
    """Another process is ingesting into the same database."""


def lock_path(db_path: Path) -> Path:
    """Where the ingest lock of the database at ``db_path`` lives."""
    return db_path.with_name(db_path.name + ".ingest-lock")


@contextlib.contextmanager
def ingest_lock(db_path: Path) -> Iterator[None]:
    """Hold the ingest lock of ``db_path`` for the duration; :class:`IngestRunning` if
    another process holds it."""
    fd = os.open(lock_path(db_path), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IngestRunning(
                f"another ingest is writing to {db_path}; wait for it to finish"
            ) from None
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def ingest_running(db_path: Path) -> bool:
    """True while some process holds the ingest lock of ``db_path``."""
    try:
        fd = os.open(lock_path(db_path), os.O_RDONLY)
    except OSError:
        return False  # no lock file: no ingest has ever run here (or it is unreadable)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False
