"""The schema: connection set-up and the numbered migrations.

The schema is created and upgraded by the numbered migrations in ``MIGRATIONS``;
``PRAGMA user_version`` records how many have been applied.  Connections use WAL
journaling and enforce foreign keys (:func:`connect`).
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

from store.db._sql import Base, _count
from store.text.norm import index_text

log = logging.getLogger(__name__)

_REINDEX_BATCH = 5_000
PROGRESS_STEPS = 20_000  # SQLite VM steps between two looks at a time limit (well under 1 ms)


async def reindex_fts(conn: aiosqlite.Connection) -> None:
    """Index every stored paragraph again (store.text.norm.index_text), from an empty
    full-text index; the caller holds the transaction.  Migration 7 (the word-pair
    terms), and :meth:`store.db.index.SearchIndex.after_bulk_load` when the index has
    piled up levels.  Seconds for a few thousand speeches, about four minutes for a
    million paragraphs."""
    if stored := await _count(conn, "SELECT count(*) FROM paragraphs"):
        log.info(
            "indexing the word pairs of %d stored paragraphs (once, for this version; "
            "about four minutes per million)",
            stored,
        )
    await conn.execute("INSERT INTO paragraphs_fts (paragraphs_fts) VALUES ('delete-all')")
    last = 0
    while True:
        async with conn.execute(
            "SELECT id, text FROM paragraphs WHERE id > ? ORDER BY id LIMIT ?",
            (last, _REINDEX_BATCH),
        ) as cur:
            rows = list(await cur.fetchall())
        if not rows:
            break
        await conn.executemany(
            "INSERT INTO paragraphs_fts (rowid, text) VALUES (?, ?)",
            [(row[0], index_text(row[1])) for row in rows],
        )
        last = rows[-1][0]
    await conn.execute("INSERT INTO paragraphs_fts (paragraphs_fts) VALUES ('optimize')")


class WorkLimitExceeded(RuntimeError):
    """A statement ran past the time allowed (see :meth:`Schema.time_limit`)."""


class NewerSchemaError(RuntimeError):
    """The database was written by a newer version of Verbatim."""


class OlderSchemaError(RuntimeError):
    """A database opened read-only has an older schema than this program's (it cannot
    be migrated in place)."""


class NotVerbatimDatabase(RuntimeError):
    """The file is an SQLite database of some other program: it is left untouched."""


Migration = str | Callable[[aiosqlite.Connection], Awaitable[None]]

# Each entry is one migration, applied in order inside a transaction: an SQL script, or
# a coroutine function for what SQL alone cannot do.  Never edit one that has shipped:
# append a new one instead.
MIGRATIONS: tuple[Migration, ...] = (
    # 1: documents and their paragraphs
    """
    CREATE TABLE documents (
        id INTEGER PRIMARY KEY,
        title TEXT NOT NULL,
        speaker TEXT,
        date TEXT,
        place TEXT,
        agency TEXT,
        language TEXT,
        collection TEXT NOT NULL,
        origin TEXT NOT NULL,
        source_format TEXT NOT NULL,
        content_hash TEXT NOT NULL UNIQUE,
        paragraph_count INTEGER NOT NULL,
        char_count INTEGER NOT NULL,
        ingested_at TEXT NOT NULL
    );
    CREATE INDEX documents_collection ON documents(collection);
    CREATE INDEX documents_date ON documents(date);
    CREATE TABLE paragraphs (
        id INTEGER PRIMARY KEY,
        document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        text TEXT NOT NULL,
        UNIQUE (document_id, position)
    );
    """,
    # 2: full-text index over paragraphs (rowid = paragraphs.id).  It indexes the
    # search-folded text (see Database._index_paragraphs), not the displayed text in
    # the content table: never run FTS5 'rebuild' on it
    """
    CREATE VIRTUAL TABLE paragraphs_fts USING fts5(
        text, content='paragraphs', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
    );
    """,
    # 3: bot: queries that buttons refer to by id, and this database's epoch (a random
    # tag carried in callback data so buttons made against another database are refused)
    """
    CREATE TABLE bot_queries (
        id INTEGER PRIMARY KEY,
        text TEXT NOT NULL UNIQUE,
        last_used TEXT NOT NULL
    );
    CREATE TABLE bot_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    INSERT INTO bot_meta (key, value) VALUES ('epoch', lower(hex(randomblob(3))));
    """,
    # 4: search vocabulary: in how many paragraphs each folded word occurs (df), to pick
    # the discriminating query words and correct misspelt ones; rterm is the word
    # reversed, so words can be looked up by their ending as well as their beginning
    """
    CREATE TABLE search_vocab (
        term TEXT PRIMARY KEY,
        rterm TEXT NOT NULL,
        df INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX search_vocab_rterm ON search_vocab(rterm);
    """,
    # 5: inline mode: how often each paragraph was chosen from inline results (feeds the
    # list shown for an empty inline query)
    """
    CREATE TABLE inline_chosen (
        paragraph_id INTEGER PRIMARY KEY REFERENCES paragraphs(id) ON DELETE CASCADE,
        chosen INTEGER NOT NULL,
        last_chosen TEXT NOT NULL
    );
    CREATE INDEX inline_chosen_rank ON inline_chosen(chosen DESC, last_chosen DESC);
    """,
    # 6: posting to channels and groups: the chats a user linked as post targets, daily
    # "passage of the day" schedules, and which paragraphs each chat already received
    """
    CREATE TABLE post_targets (
        id INTEGER PRIMARY KEY,
        owner_id INTEGER NOT NULL,
        chat_id INTEGER NOT NULL,
        chat_type TEXT NOT NULL,
        title TEXT NOT NULL,
        username TEXT,
        added_at TEXT NOT NULL,
        UNIQUE (owner_id, chat_id)
    );
    CREATE TABLE post_schedules (
        id INTEGER PRIMARY KEY AUTOINCREMENT,  -- ids are never reused: /schedule remove N
        chat_id INTEGER NOT NULL,
        chat_type TEXT NOT NULL,
        chat_title TEXT NOT NULL,
        chat_username TEXT,
        creator_id INTEGER NOT NULL,
        minute_of_day INTEGER NOT NULL CHECK (minute_of_day BETWEEN 0 AND 1439),
        query TEXT,
        collection TEXT,
        enabled INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL,
        last_posted_at TEXT,
        last_error TEXT
    );
    CREATE INDEX post_schedules_chat ON post_schedules(chat_id);
    CREATE INDEX post_schedules_creator ON post_schedules(creator_id);
    CREATE TABLE posted_paragraphs (
        chat_id INTEGER NOT NULL,
        paragraph_id INTEGER NOT NULL REFERENCES paragraphs(id) ON DELETE CASCADE,
        message_id INTEGER,
        posted_at TEXT NOT NULL,
        PRIMARY KEY (chat_id, paragraph_id)
    ) WITHOUT ROWID;
    """,
    # 7: the full-text index also holds each paragraph's neighbouring word pairs
    reindex_fts,
    # 8: derived data that can fall behind the documents (the search vocabulary): marked
    # stale in the same transaction that stores documents, cleared by the rebuild, so a
    # crash between the two is repaired by whichever process opens the database next.
    # Marked stale here when it holds paragraphs: one an older version left stale is repaired
    """
    CREATE TABLE derived_state (
        name TEXT PRIMARY KEY,
        stale_since TEXT
    );
    INSERT INTO derived_state (name, stale_since)
    VALUES ('search_vocab', CASE WHEN EXISTS (SELECT 1 FROM paragraphs) THEN datetime('now') END);
    """,
    # 9: each document's published original where the corpus gives one (documents stored
    # earlier get it when the same files are ingested again: matched by content hash)
    """
    ALTER TABLE documents ADD COLUMN url TEXT;
    ALTER TABLE documents ADD COLUMN url_is_index INTEGER NOT NULL DEFAULT 0;
    """,
    # 10: a schedule may post its passage as a quote picture (/schedule … picture)
    """
    ALTER TABLE post_schedules ADD COLUMN picture INTEGER NOT NULL DEFAULT 0;
    """,
    # 11: /watch: saved queries whose new answers are sent to their owner (or to a chat the
    # owner administers).  seen_paragraph_id: every paragraph up to it has been checked
    # against the watch (it starts at the newest paragraph when the watch is made);
    # watch_alerts_sent: the paragraphs above it already sent, so that a check cut short
    # (Telegram asked to wait) sends each one once when it is tried again.  IF NOT EXISTS:
    # a database set back to an older version by hand (as tests do) still upgrades
    """
    CREATE TABLE IF NOT EXISTS watches (
        id INTEGER PRIMARY KEY AUTOINCREMENT,  -- ids are never reused
        owner_id INTEGER NOT NULL,
        chat_id INTEGER NOT NULL,
        chat_type TEXT NOT NULL,
        chat_title TEXT NOT NULL,
        chat_username TEXT,
        query TEXT NOT NULL,
        seen_paragraph_id INTEGER NOT NULL,
        enabled INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL,
        last_alert_at TEXT,
        last_error TEXT
    );
    CREATE INDEX IF NOT EXISTS watches_owner ON watches(owner_id);
    CREATE INDEX IF NOT EXISTS watches_chat ON watches(chat_id);
    CREATE INDEX IF NOT EXISTS watches_due ON watches(enabled, seen_paragraph_id);
    CREATE TABLE IF NOT EXISTS watch_alerts_sent (
        watch_id INTEGER NOT NULL REFERENCES watches(id) ON DELETE CASCADE,
        paragraph_id INTEGER NOT NULL,
        sent_at TEXT NOT NULL,
        PRIMARY KEY (watch_id, paragraph_id)
    ) WITHOUT ROWID;
    """,
    # 12: shared state: a schedule's run is claimed before it posts (claimed_until, a
    # lease; last_run_due, the daily run done last), so that processes sharing the
    # database post each run once; and the secret that keys query ids (ids derived from
    # the query's text, the same in every process, so inline results need no write)
    """
    ALTER TABLE post_schedules ADD COLUMN claimed_until TEXT;
    ALTER TABLE post_schedules ADD COLUMN last_run_due TEXT;
    INSERT OR IGNORE INTO bot_meta (key, value) VALUES ('query_key', lower(hex(randomblob(16))));
    """,
)


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
        uri = f"{path.resolve().as_uri()}?mode=ro"
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
