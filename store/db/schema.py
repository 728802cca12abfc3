"""The schema: connection set-up and the numbered migrations.

The schema is created and upgraded by the numbered migrations in
:data:`store.db.migrations.MIGRATIONS`;
``PRAGMA user_version`` records how many have been applied.  Connections use WAL
journaling and enforce foreign keys (:func:`connect`).
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

from store.db._sql import Base, _count, read_only_uri
from store.db.migrations import MIGRATIONS

log = logging.getLogger(__name__)

PROGRESS_STEPS = 20_000  # SQLite VM steps between two looks at a time limit (well under 1 ms)


class WorkLimitExceeded(RuntimeError):
    """A statement ran past the time allowed (see :meth:`Schema.time_limit`)."""


class NewerSchemaError(RuntimeError):
    """The database was written by a newer version of Verbatim."""


class OlderSchemaError(RuntimeError):
    """A database opened read-only has an older schema than this program's (it cannot
    be migrated in place)."""


class NotVerbatimDatabase(RuntimeError):
    """The file is an SQLite database of some other program: it is left untouched."""


def _statements(script: str) -> list[str]:
    """The SQL statements of a migration script, one by one."""
    statements: list[str] = []
    current = ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            if current.strip():
                statements.append(current.strip())
            current = ""
    if current.strip():
        statements.append(current.strip())
    return statements


@asynccontextmanager
async def connect(path: Path, *, read_only: bool = False) -> AsyncIterator[aiosqlite.Connection]:
    """A connection to the database at ``path`` (its folder made if needed), set up for
    the store: autocommit (transactions are explicit), WAL, foreign keys, busy timeout.

    ``read_only`` opens an existing file with SQLite's ``mode=ro`` (a published corpus
    snapshot, see :mod:`store.db.snapshot`): nothing is created, the journal mode is left
    as the file has it, and SQLite refuses every write."""
    if read_only:
        uri = read_only_uri(path)
        conn = await aiosqlite.connect(uri, uri=True, isolation_level=None)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(path, isolation_level=None)
    try:
        await conn.execute("PRAGMA busy_timeout = 5000")  # first: WAL set-up may wait too
        await _refuse_foreign(conn, path)  # before WAL, which would change the file
        if not read_only:
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA synchronous = NORMAL")
        await conn.execute("PRAGMA foreign_keys = ON")
        yield conn
    finally:
        await conn.close()


async def _refuse_foreign(conn: aiosqlite.Connection, path: Path) -> None:
    """Raise :class:`NotVerbatimDatabase` for a database that holds tables but no schema
    version: another program's (ours records its version in the transaction that creates
    its tables).  One statement, so one snapshot: a first open by another Verbatim
    process committing meanwhile is seen whole or not at all."""
    async with conn.execute(
        "SELECT (SELECT user_version FROM pragma_user_version), "
        "(SELECT group_concat(name, ', ') FROM "
        "(SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' LIMIT 3))"
    ) as cur:
        row = await cur.fetchone()
    if row is not None and row[0] == 0 and row[1]:
        raise NotVerbatimDatabase(
            f"{path} is an SQLite database of another program (it holds tables such as "
            f"{row[1]}), not a Verbatim database; it was left untouched"
        )


class Schema(Base):
    """The schema and the connection itself: part of :class:`~store.db.database.Database`."""

    async def migrate(self) -> int:
        """Apply pending migrations; return the schema version now in force.

        Safe when several processes open a new or old database at once: each migration
        runs in a write transaction that first reads the version again, so a migration
        another process applied meanwhile is skipped, never run twice.
        """
        version = await self.schema_version()
        self._check_version(version)
        for number in range(version + 1, len(MIGRATIONS) + 1):
            await self.conn.execute("BEGIN IMMEDIATE")
            try:
                current = await self.schema_version()
                self._check_version(current)
                if current < number:
                    step = MIGRATIONS[number - 1]
                    if isinstance(step, str):
                        for statement in _statements(step):
                            await self.conn.execute(statement)
                    else:
                        await step(self.conn)
                    await self.conn.execute(f"PRAGMA user_version = {number}")
                await self.conn.execute("COMMIT")
            except BaseException:
                await self.conn.execute("ROLLBACK")
                raise
        return len(MIGRATIONS)

    async def schema_version(self) -> int:
        """The schema version recorded in the file (``PRAGMA user_version``)."""
        return await _count(self.conn, "PRAGMA user_version")

    async def require_current(self) -> None:
        """Raise unless the file has exactly this program's schema: for a database opened
        read-only, which cannot be migrated (:class:`NewerSchemaError` when it is newer,
        :class:`OlderSchemaError` when older)."""
        version = await self.schema_version()
        self._check_version(version)
        if version < len(MIGRATIONS):
            raise OlderSchemaError(
                f"database {self.path} has schema version {version}, older than this "
                f"program's ({len(MIGRATIONS)}), and is opened read-only so it cannot be "
                "migrated: publish a new snapshot with this version (`verbatim "
                "publish-snapshot`)"
            )

    def _check_version(self, version: int) -> None:
        if version > len(MIGRATIONS):
            raise NewerSchemaError(
                f"database {self.path} has schema version {version}, newer than this "
                f"program knows ({len(MIGRATIONS)}): upgrade verbatim-bot"
            )

    @asynccontextmanager
    async def time_limit(self, seconds: float) -> AsyncIterator[None]:
        """Interrupt any statement of this connection still running ``seconds`` from now
        (it raises :class:`WorkLimitExceeded`): one search cannot hold a connection, nor
        the other users waiting for it, for long."""
        deadline = time.monotonic() + seconds

        def past_deadline() -> int:
            return int(time.monotonic() > deadline)

        await self.conn.set_progress_handler(past_deadline, PROGRESS_STEPS)
        try:
            yield
        except sqlite3.OperationalError as exc:
            if "interrupt" in str(exc):
                raise WorkLimitExceeded(f"stopped after {seconds:g} s") from exc
            raise
        finally:
            await self.conn.set_progress_handler(None, 0)  # type: ignore[arg-type]  # None removes it

    async def ping(self) -> None:
        """A trivial round trip: returns once the connection has finished earlier work."""
        async with self.conn.execute("SELECT 1") as cur:
            await cur.fetchone()

    async def checkpoint(self) -> None:
        """Copy the write-ahead log into the database file and truncate it."""
        await self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
