"""A read-only look at a database's state, for ``verbatim healthcheck``: the schema
version and whether the search vocabulary is behind the documents (see migration 8 in
:mod:`store.db.migrations`), and the counts and checks of the crash loop
(:mod:`bench.crash_loop`).  Opens the file read-only: a health check never migrates,
repairs, checkpoints or creates anything.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from store.db._sql import read_only_uri
from store.db.lock import ingest_running

_DERIVED_STATE_SINCE = 8  # the schema version that records derived data's staleness


@dataclass(frozen=True, slots=True)
class DatabaseState:
    """What :func:`read_state` found."""

    path: Path
    schema_version: int
    search_vocab_stale_since: str | None  # UTC, ISO 8601; None when up to date
    ingest_running: bool

    def search_vocab_line(self) -> str:
        """See :func:`search_vocab_line`."""
        return search_vocab_line(self.search_vocab_stale_since, self.ingest_running)


def search_vocab_line(stale_since: str | None, ingest_is_running: bool) -> str:
    """The search vocabulary's state in words: ``"up to date"``, or since when it is
    stale and what will rebuild it (the ingest that is running, at its end; else the
    next process to open the database, or a running bot's next search)."""
    if stale_since is None:
        return "up to date"
    then = (
        "an ingest is running and rebuilds it at its end"
        if ingest_is_running
        else "it is rebuilt at the next open of the database, or a running bot's next search"
    )
    return f"stale since {stale_since} UTC ({then})"


def read_state(path: Path) -> DatabaseState:
    """Read the state of the database at ``path`` without writing to it.

    Raises :class:`FileNotFoundError` when there is no file, :class:`sqlite3.Error`
    when it cannot be read as a database.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(2, "no database", str(path))
    conn = sqlite3.connect(read_only_uri(path), uri=True)
    try:
        conn.execute("PRAGMA busy_timeout = 2000")
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        stale = None
        if version >= _DERIVED_STATE_SINCE:
            row = conn.execute(
                "SELECT stale_since FROM derived_state WHERE name = 'search_vocab'"
            ).fetchone()
            stale = str(row[0]) if row and row[0] is not None else None
    finally:
        conn.close()
    return DatabaseState(path, version, stale, ingest_running(path))


def raw_counts(db: Path) -> tuple[int, int, int]:
    """Documents, paragraphs and vocabulary words in ``db`` (read-only; zeros if absent)."""
    if not db.exists():
        return 0, 0, 0
    try:
        conn = sqlite3.connect(read_only_uri(db), uri=True, timeout=10)
    except sqlite3.OperationalError:  # being created
        return 0, 0, 0
    try:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM paragraphs), "
            "(SELECT count(*) FROM search_vocab)"
        ).fetchone()
    except sqlite3.DatabaseError:  # killed before the schema was committed, or new
        return 0, 0, 0
    finally:
        conn.close()
    return int(row[0]), int(row[1]), int(row[2])


def physical_checks(db: Path) -> tuple[str, int]:
    """``PRAGMA integrity_check`` and the number of partial documents, on the raw file
    as it is (read-only: a write-ahead log left by a killed process is read, not
    checkpointed into the file)."""
    conn = sqlite3.connect(read_only_uri(db), uri=True, timeout=10)
    try:
        integrity = "; ".join(str(r[0]) for r in conn.execute("PRAGMA integrity_check"))
        partial = conn.execute(
            "SELECT count(*) FROM documents d WHERE paragraph_count != "
            "(SELECT count(*) FROM paragraphs p WHERE p.document_id = d.id)"
        ).fetchone()[0]
    finally:
        conn.close()
    return integrity, int(partial)
