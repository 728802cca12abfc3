"""The PostgreSQL side of the bot's stored queries, epoch and inline choices: what
:mod:`store.db.app_state` does in the SQLite file, shared by every replica.

Query ids are :func:`store.db.app_state.query_id_for` the text under the key kept in
``bot_meta``, so a replica can put an id on an inline result without writing anything and
any replica finds the text once it is stored.
"""

from __future__ import annotations

import secrets

import asyncpg

from store.db.app_state import KEEP_BOT_QUERIES, QUERY_ID_RANGE, query_id_for
from store.db.pg._conv import pg_text, unavailable_as_error

_PRUNE_ONE_IN = 1000  # now and then a write forgets the oldest queries


class PgQueries:
    """Stored queries, the epoch and inline choices in PostgreSQL (a
    :class:`store.state.QueryState`)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self._key: bytes | None = None

    async def bot_epoch(self) -> str:
        """The shared state's epoch: six hex digits chosen when its schema was created."""
        return str(await self.pool.fetchval("SELECT value FROM bot_meta WHERE key = 'epoch'"))

    async def query_key(self) -> bytes:
        """The secret that keys query ids (made by migration 1)."""
        if self._key is None:
            value = await self.pool.fetchval("SELECT value FROM bot_meta WHERE key = 'query_key'")
            self._key = bytes.fromhex(str(value))
        return self._key

    async def remember_query(self, text: str) -> int:
        """Store a query (or refresh it) and return its id (see
        :meth:`store.db.app_state.AppState.remember_query`); raises
        :class:`~store.db.app_state.StateUnavailable` when the server cannot be reached."""
        text = pg_text(text)
        async with unavailable_as_error("storing a query"):
            wanted = query_id_for(await self.query_key(), text)
            for attempt in range(4):
                query_id = wanted if attempt == 0 else secrets.randbelow(QUERY_ID_RANGE) + 1
                try:
                    found = await self.pool.fetchval(
                        "INSERT INTO bot_queries (id, text, last_used) VALUES ($1, $2, now()) "
                        "ON CONFLICT (text) DO UPDATE SET last_used = excluded.last_used "
                        "RETURNING id",
                        query_id,
                        text,
                    )
                except asyncpg.UniqueViolationError:  # the id is another text's: draw one
                    continue
                await self._forget_old_queries()
                return int(found)
        return 0

    async def store_query(self, query_id: int, text: str) -> bool:
        """Make ``query_id`` name ``text`` (see
        :meth:`store.db.app_state.AppState.store_query`); False when another text holds
        the id."""
        text = pg_text(text)
        async with unavailable_as_error("storing a query"):
            try:
                found = await self.pool.fetchval(
                    "INSERT INTO bot_queries (id, text, last_used) VALUES ($1, $2, now()) "
                    "ON CONFLICT (id) DO UPDATE SET last_used = excluded.last_used "
                    "WHERE bot_queries.text = excluded.text RETURNING id",
                    query_id,
                    text,
                )
            except asyncpg.UniqueViolationError:  # the text has a drawn id: give it this one
                found = await self.pool.fetchval(
                    "UPDATE bot_queries SET id = $1, last_used = now() WHERE text = $2 "
                    "AND NOT EXISTS (SELECT 1 FROM bot_queries WHERE id = $1) RETURNING id",
                    query_id,
                    text,
                )
            if found is not None:
                await self._forget_old_queries()
            return found is not None

    async def _forget_old_queries(self) -> None:
        if secrets.randbelow(_PRUNE_ONE_IN) == 0:
            await self.pool.execute(
                "DELETE FROM bot_queries WHERE last_used < (SELECT last_used FROM bot_queries "
                "ORDER BY last_used DESC OFFSET $1 LIMIT 1)",
                KEEP_BOT_QUERIES,
            )

    async def get_query(self, query_id: int) -> str | None:
        """The query text stored under ``query_id``, or ``None``."""
        found = await self.pool.fetchval("SELECT text FROM bot_queries WHERE id = $1", query_id)
        return None if found is None else str(found)

    async def record_inline_choice(self, paragraph_id: int) -> bool:
        """Count one choice of a paragraph from inline results (the caller checked that
        the corpus has it: that is another database); True."""
        await self.pool.execute(
            "INSERT INTO inline_chosen (paragraph_id, chosen, last_chosen) "
            "VALUES ($1, 1, clock_timestamp()) ON CONFLICT (paragraph_id) DO UPDATE "
            "SET chosen = inline_chosen.chosen + 1, last_chosen = excluded.last_chosen",
            paragraph_id,
        )
        return True

    async def most_chosen(self, limit: int) -> list[int]:
        """The ``limit`` paragraph ids chosen most often (ties: the latest chosen first)."""
        rows = await self.pool.fetch(
            "SELECT paragraph_id FROM inline_chosen "
            "ORDER BY chosen DESC, last_chosen DESC, paragraph_id LIMIT $1",
            limit,
        )
        return [int(row[0]) for row in rows]
