"""The numbered migrations of the SQLite schema (:data:`MIGRATIONS`), applied in order by
:meth:`store.db.schema.Schema.migrate`; ``PRAGMA user_version`` records how many ran.
A migration is a script or, where it must look before it changes, a function.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import aiosqlite

from store.db._sql import _count
from store.text.norm import index_text

log = logging.getLogger(__name__)

_REINDEX_BATCH = 5_000


async def reindex_fts(conn: aiosqlite.Connection) -> None:
    """Index every stored paragraph again (store.text.norm.index_text), from an empty
    full-text index, and merge it into one segment ('optimize'); the caller holds the
    transaction.  Migration 7 (:func:`add_word_pairs`), and
    :meth:`store.db.index.SearchIndex.after_bulk_load` when the index has piled up
    levels.  Seconds for a few thousand speeches, about four minutes for a million
    paragraphs."""
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


async def add_word_pairs(conn: aiosqlite.Connection) -> None:
    """Migration 7: the full-text index also holds each paragraph's neighbouring word
    pairs, so every stored paragraph is indexed again (:func:`reindex_fts`)."""
    if stored := await _count(conn, "SELECT count(*) FROM paragraphs"):
        log.info(
            "indexing the word pairs of %d stored paragraphs (once, for this version; "
            "about four minutes per million)",
            stored,
        )
    await reindex_fts(conn)


async def add_watch_claims(conn: aiosqlite.Connection) -> None:
    """Migration 13: a watch is checked under a claim (``claimed_until``, a lease;
    ``claim_token``, whose it is), so that processes sharing the file never check one
    watch at once.  Columns already there are kept (a database set back to an older
    version by hand, as tests do, still upgrades)."""
    async with conn.execute("SELECT name FROM pragma_table_info('watches')") as cur:
        present = {str(row[0]) for row in await cur.fetchall()}
    for column in ("claimed_until", "claim_token"):
        if column not in present:
            await conn.execute(f"ALTER TABLE watches ADD COLUMN {column} TEXT")


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
    add_word_pairs,
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
    # 13: /watch: a watch's check is claimed with a lease, as a schedule's run is (12)
    add_watch_claims,
)
