"""Consistent copies of a live database with SQLite's online backup API.

The copy is taken in one step inside a single read transaction, so it is a snapshot
of the database as of one commit: with WAL journaling the bot keeps writing while the
copy is made and is never blocked by it.  The copy is written beside the target under
a temporary name, switched to a single self-contained file (``journal_mode=DELETE``),
checked with ``PRAGMA integrity_check`` and only then renamed into place, so a failed
backup never leaves a half-written file where a good one is expected.

A copy taken while an ingest was storing documents (or after one crashed) carries the
database's mark that its search vocabulary is stale: the copy's vocabulary is rebuilt
before the rename (:func:`_repair_if_stale`), so a restored backup searches like the
database it came from, without waiting for a process to repair it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import sqlite3
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from store.db._sql import read_only_uri
from store.db.database import open_database
from store.db.health import read_state
from store.db.migrations import MIGRATIONS


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
    repaired_stale_since: str | None = None  # the copy's search vocabulary was rebuilt

    def line(self) -> str:
        """One human-readable summary line."""
        repaired = (
            f", search vocabulary rebuilt in the copy (stale since {self.repaired_stale_since}"
            " UTC: documents were being stored)"
            if self.repaired_stale_since
            else ""
        )
        return (
            f"backup of {self.source} written to {self.target}: "
            f"{self.size_bytes / 1e6:.1f} MB, {self.pages} pages, schema {self.schema_version}, "
            f"integrity ok{repaired}, {self.seconds:.2f} s"
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
    conn = sqlite3.connect(read_only_uri(path), uri=True)
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
        repaired = _repair_if_stale(partial, version)
        if repaired:
            pages = _page_count(partial)
        problems = integrity_problems(partial)
        if problems:
            raise BackupError(f"the copy failed its integrity check: {'; '.join(problems[:5])}")
        os.replace(partial, target)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"could not back up {source}: {exc}") from exc
    finally:
        for leftover in (partial, *(Path(f"{partial}{end}") for end in ("-wal", "-shm"))):
            leftover.unlink(missing_ok=True)
    return BackupResult(
        source=source,
        target=target,
        size_bytes=target.stat().st_size,
        pages=pages,
        schema_version=version,
        seconds=time.perf_counter() - started,
        repaired_stale_since=repaired,
    )


def _repair_if_stale(copy: Path, version: int) -> str | None:
    """If the copy records its search vocabulary as stale, rebuild it there (opening it
    as the bot would), checkpoint, and make it a single file again; return since when
    it was stale, or ``None`` when it was up to date.  A schema this program does not
    know is left alone (an older one is migrated when it is opened)."""
    if version != len(MIGRATIONS):
        return None
    stale = read_state(copy).search_vocab_stale_since
    if stale is None:
        return None

    if settle_copy(copy) is not None:
        raise BackupError("the copy's search vocabulary could not be rebuilt")
    return stale


def settle_copy(copy: Path) -> str | None:
    """Open a copy of a database as the bot would (which migrates an older schema and
    repairs derived data), checkpoint it, and make it a single self-contained file again
    (``journal_mode=DELETE``); return since when its search vocabulary is still stale
    after that, or ``None`` when it is up to date."""

    async def settle() -> str | None:
        async with open_database(copy) as db:  # migrates and repairs, as any open does
            stale = await db.search_vocab_stale_since()
            await db.checkpoint()
            return stale

    # in a thread of its own: callers may be inside an event loop (or be one's worker)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        stale = pool.submit(asyncio.run, settle()).result()
    conn = sqlite3.connect(copy)  # the last connection closed took the WAL in
    try:
        conn.execute("PRAGMA journal_mode = DELETE")
    finally:
        conn.close()
    return stale


def _page_count(path: Path) -> int:
    conn = sqlite3.connect(read_only_uri(path), uri=True)
    try:
        return int(conn.execute("PRAGMA page_count").fetchone()[0])
    finally:
        conn.close()


def _copy(source: Path, destination: Path) -> tuple[int, int]:
    """Copy ``source`` into a new file at ``destination``; return (pages, user_version)."""
    src = sqlite3.connect(read_only_uri(source), uri=True)
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
        conn = sqlite3.connect(read_only_uri(path), uri=True)
        try:
            conn.execute("PRAGMA busy_timeout = 2000")
            return int(conn.execute("PRAGMA user_version").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"cannot read the database at {path}: {exc}") from exc
