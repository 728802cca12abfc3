"""The PostgreSQL shared state's schema: its numbered migrations, applied in order (the
connection pool is opened in :mod:`store.db.pg`).

The same discipline as the SQLite file (:mod:`store.db.schema`): ``MIGRATIONS`` is
append-only, each one applied in a transaction of its own, and the table
``schema_version`` records how many have been applied.  Several replicas starting at
once are safe: they migrate one after another under a session advisory lock
(``pg_advisory_lock``), each reading the version again once it holds the lock, so a
migration is never run twice; a database migrated by a newer version is refused.
"""

from __future__ import annotations

import logging

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from store.db.schema import NewerSchemaError

log = logging.getLogger(__name__)

AnyConnection = asyncpg.Connection | PoolConnectionProxy  # a connection, or one of a pool

# The advisory lock key under which replicas migrate (any fixed 64-bit number; this one
# spells "verbatim" in ASCII).
MIGRATION_LOCK = 0x766572626174696D

# Each entry is one migration: an SQL script, applied in order inside a transaction.
# Never edit one that has shipped: append a new one instead.  Times are timestamptz.
MIGRATIONS: tuple[str, ...] = (
    # 1: everything the SQLite file held for the bot besides the corpus (its migrations
    # 3, 5, 6, 10 and 12): the epoch and the key of query ids, stored queries, inline
    # choices, post targets, schedules (with their run claims) and the posted log.
    # Paragraph ids refer to the corpus, another database: no foreign keys to it.
    """
    CREATE TABLE bot_meta (key text PRIMARY KEY, value text NOT NULL);
    INSERT INTO bot_meta (key, value) VALUES
        ('epoch', substr(md5(gen_random_uuid()::text), 1, 6)),
        ('query_key', replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''));
    CREATE TABLE bot_queries (
        id bigint PRIMARY KEY,
        text text NOT NULL UNIQUE,
        last_used timestamptz NOT NULL
    );
    CREATE INDEX bot_queries_last_used ON bot_queries (last_used);
    CREATE TABLE inline_chosen (
        paragraph_id bigint PRIMARY KEY,
        chosen bigint NOT NULL,
        last_chosen timestamptz NOT NULL
    );
    CREATE INDEX inline_chosen_rank ON inline_chosen (chosen DESC, last_chosen DESC);
    CREATE TABLE post_targets (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        owner_id bigint NOT NULL,
        chat_id bigint NOT NULL,
        chat_type text NOT NULL,
        title text NOT NULL,
        username text,
        added_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (owner_id, chat_id)
    );
    CREATE INDEX post_targets_chat ON post_targets (chat_id);
    CREATE TABLE post_schedules (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- never reused
        chat_id bigint NOT NULL,
        chat_type text NOT NULL,
        chat_title text NOT NULL,
        chat_username text,
        creator_id bigint NOT NULL,
        minute_of_day integer NOT NULL CHECK (minute_of_day BETWEEN 0 AND 1439),
        query text,
        collection text,
        enabled boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_posted_at timestamptz,
        last_error text,
        picture boolean NOT NULL DEFAULT false,
        claimed_until timestamptz,
        last_run_due timestamptz
    );
    CREATE INDEX post_schedules_chat ON post_schedules (chat_id);
    CREATE INDEX post_schedules_creator ON post_schedules (creator_id);
    CREATE TABLE posted_paragraphs (
        chat_id bigint NOT NULL,
        paragraph_id bigint NOT NULL,
        message_id bigint,
        posted_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (chat_id, paragraph_id)
    );
    """,
    # 2: /watch (the SQLite file's migrations 11 and 13): saved queries with their
    # cursor (seen_paragraph_id: every corpus paragraph up to it was checked) and the
    # claim under which one replica checks a watch (claimed_until, a lease; claim_token,
    # whose it is); watch_alerts_sent, the paragraphs above the cursor already sent.
    """
    CREATE TABLE watches (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- never reused
        owner_id bigint NOT NULL,
        chat_id bigint NOT NULL,
        chat_type text NOT NULL,
        chat_title text NOT NULL,
        chat_username text,
        query text NOT NULL,
        seen_paragraph_id bigint NOT NULL,
        enabled boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_alert_at timestamptz,
        last_error text,
        claimed_until timestamptz,
        claim_token text
    );
    CREATE INDEX watches_owner ON watches (owner_id);
    CREATE INDEX watches_chat ON watches (chat_id);
    CREATE INDEX watches_due ON watches (seen_paragraph_id) WHERE enabled;
    CREATE TABLE watch_alerts_sent (
        watch_id bigint NOT NULL REFERENCES watches (id) ON DELETE CASCADE,
        paragraph_id bigint NOT NULL,
        sent_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (watch_id, paragraph_id)
    );
    """,
)


async def schema_version(conn: AnyConnection) -> int:
    """The number of migrations applied (0 for a database without our tables)."""
    exists = await conn.fetchval("SELECT to_regclass('schema_version') IS NOT NULL")
    if not exists:
        return 0
    return int(await conn.fetchval("SELECT coalesce(max(version), 0) FROM schema_version"))


async def migrate(conn: AnyConnection, where: str) -> int:
    """Apply pending migrations under the advisory lock; return the version in force.
    ``where`` names the database in messages (never with its password)."""
    await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
    try:
        version = await schema_version(conn)
        if version > len(MIGRATIONS):
            raise NewerSchemaError(
                f"the shared state at {where} has schema version {version}, newer than "
                f"this program knows ({len(MIGRATIONS)}): upgrade verbatim-bot"
            )
        if version == 0:
            await conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version integer)")
        for number in range(version + 1, len(MIGRATIONS) + 1):
            async with conn.transaction():
                await conn.execute(MIGRATIONS[number - 1])
                await conn.execute("DELETE FROM schema_version")
                await conn.execute("INSERT INTO schema_version (version) VALUES ($1)", number)
            log.info("shared state at %s: migration %d applied", where, number)
        return len(MIGRATIONS)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
