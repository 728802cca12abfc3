"""Consistent copies of a live database with SQLite's online backup API.

The copy is taken in one step inside a single read transaction, so it is a snapshot
of the database as of one commit: with WAL journaling the bot keeps writing while the
copy is made and is never blocked by it.  The copy is written beside the target under
a temporary name, switched to a single self-contained file (``journal_mode=DELETE``),
checked with ``PRAGMA integrity_check`` and only then renamed into place, so a failed
backup never leaves a half-written file where a good one is expected.
"""

from __future__ import annotations

import os
import sqlite3
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path


class BackupError(Exception):
    """The backup could not be made; the message says why (nothing was overwritten)."""


class BackupTargetError(BackupError):
    """The target is unusable: it exists, is the database itself, or its folder is missing."""


@dataclass(frozen=True, slots=True)
class BackupResult:
    """What :func:`backup_database` produced."""

    source: Path
    target: Path
    size_bytes: int
    pages: int
    schema_version: int
    seconds: float

    def line(self) -> str:
        """One human-readable summary line."""
        return (
            f"backup of {self.source} written to {self.target}: "
            f"{self.size_bytes / 1e6:.1f} MB, {self.pages} pages, schema {self.schema_version}, "
            f"integrity ok, {self.seconds:.2f} s"
        )


def timestamped_name(now: datetime | None = None) -> str:
    """A backup file name such as ``verbatim-20250101T120000Z.db`` (UTC)."""
    now = now or datetime.now(UTC)
    return f"verbatim-{now.strftime('%Y%m%dT%H%M%SZ')}.db"


def resolve_target(target: Path) -> Path:
    """The file to write: ``target`` itself, or a timestamped file inside it if it is a folder."""
    return target / timestamped_name() if target.is_dir() else target


def integrity_problems(path: Path) -> list[str]:
    """Run ``PRAGMA integrity_check`` on the database at ``path``; return the problems found."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = conn.execute("PRAGMA integrity_check").fetchall()
    finally:
        conn.close()
    messages = [str(row[0]) for row in rows]
    return [] if messages == ["ok"] else messages


def backup_database(source: Path, target: Path, *, overwrite: bool = False) -> BackupResult:
    """Copy the database at ``source`` to ``target`` (a file, or a folder to put one in).

    Raises :class:`BackupTargetError` when the target exists and ``overwrite`` is
    false, is the database itself, or is in a missing folder; :class:`BackupError` when
    the source is missing or is not a database, or the copy fails its integrity check.
    """
    started = time.perf_counter()
    source = Path(source)
    target = resolve_target(Path(target))
    if not source.is_file():
        raise BackupError(f"no database at {source}")
    if target.exists() and source.resolve() == target.resolve():
        raise BackupTargetError(f"the backup target {target} is the database itself")
    if target.exists() and not overwrite:
        raise BackupTargetError(f"{target} already exists (use --force to replace it)")
    if not target.parent.is_dir():
        raise BackupTargetError(f"folder {target.parent} does not exist")

    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    try:
        pages, version = _copy(source, partial)
        problems = integrity_problems(partial)
        if problems:
            raise BackupError(f"the copy failed its integrity check: {'; '.join(problems[:5])}")
        os.replace(partial, target)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"could not back up {source}: {exc}") from exc
    finally:
        partial.unlink(missing_ok=True)
    return BackupResult(
        source=source,
        target=target,
        size_bytes=target.stat().st_size,
        pages=pages,
        schema_version=version,
        seconds=time.perf_counter() - started,
    )


def _copy(source: Path, destination: Path) -> tuple[int, int]:
    """Copy ``source`` into a new file at ``destination``; return (pages, user_version)."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        src.execute("PRAGMA busy_timeout = 5000")
        dst = sqlite3.connect(destination)
        try:
            # pages=-1: the whole database in one step, under one read transaction, so
            # concurrent writers (other connections) never force a restart.
            src.backup(dst, pages=-1)
            dst.execute("PRAGMA journal_mode = DELETE")
            pages = int(dst.execute("PRAGMA page_count").fetchone()[0])
            version = int(dst.execute("PRAGMA user_version").fetchone()[0])
        finally:
            dst.close()
    finally:
        src.close()
    return pages, version


def schema_version(path: Path) -> int:
    """Read the schema version (``PRAGMA user_version``) of the database at ``path``, read-only.

    Raises :class:`BackupError` if there is no database there or it cannot be read.
    """
    if not Path(path).is_file():
        raise BackupError(f"no database at {path}")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            conn.execute("PRAGMA busy_timeout = 2000")
            return int(conn.execute("PRAGMA user_version").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"cannot read the database at {path}: {exc}") from exc
