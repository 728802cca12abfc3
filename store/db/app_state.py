"""What the bot keeps in the database besides the corpus: search queries that buttons
refer to by id, this database's epoch, and how often inline results were chosen.

Posting (targets, schedules, posted log) is :mod:`store.db.posting`.
"""

from __future__ import annotations

import secrets
import sqlite3
from datetime import UTC, datetime

from store.db._sql import Base
from store.text.clean import scrub_surrogates

KEEP_BOT_QUERIES = 200_000  # bot: buttons of older searches say "search again"
_QUERY_ID_RANGE = 36**8  # bot: query ids are drawn at random below this


class AppState(Base):
    """Stored queries, the epoch and inline choices: part of
    :class:`~store.db.database.Database`."""

    async def bot_epoch(self) -> str:
        """This database's epoch: six hex digits chosen when the schema was created."""
        async with self.conn.execute("SELECT value FROM bot_meta WHERE key = 'epoch'") as cur:
            row = await cur.fetchone()
        return str(row[0]) if row else ""

    async def remember_query(self, text: str) -> int:
        """Store a search query (or refresh it) and return its id, for buttons to refer to.

        Ids are random (1 .. 36**8), so a forged button cannot walk through other
        people's searches.  Returns 0 ("no query": the card then has no buttons that
        need one) when another process holds the write lock, e.g. a running ingest.
        Lone surrogates in ``text`` are stored as U+FFFD (SQLite cannot hold them).
        """
        text = scrub_surrogates(text)
        now = datetime.now(UTC).isoformat(timespec="microseconds")
        for _ in range(3):
            try:
                async with self.conn.execute(
                    "INSERT INTO bot_queries (id, text, last_used) "
                    "VALUES (abs(random()) % ? + 1, ?, ?) "
                    "ON CONFLICT (text) DO UPDATE SET last_used = excluded.last_used RETURNING id",
                    (_QUERY_ID_RANGE, text, now),
                ) as cur:
                    row = await cur.fetchone()
            except sqlite3.IntegrityError:  # the random id is taken: draw again
                continue
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                return 0
            assert row is not None
            if secrets.randbelow(1000) == 0:  # now and then, forget the oldest queries
                await self.conn.execute(
                    "DELETE FROM bot_queries WHERE id NOT IN "
                    "(SELECT id FROM bot_queries ORDER BY last_used DESC LIMIT ?)",
                    (KEEP_BOT_QUERIES,),
                )
            return int(row[0])
        return 0

    async def get_query(self, query_id: int) -> str | None:
        """The query text stored under ``query_id``, or ``None``."""
        async with self.conn.execute(
            "SELECT text FROM bot_queries WHERE id = ?", (query_id,)
        ) as cur:
            row = await cur.fetchone()
        return str(row[0]) if row else None

    async def record_inline_choice(self, paragraph_id: int) -> bool:
        """Count one choice of a paragraph from inline results; False if it does not exist."""
        now = datetime.now(UTC).isoformat(timespec="microseconds")  # ties: latest first
        cur = await self.conn.execute(
            "INSERT INTO inline_chosen (paragraph_id, chosen, last_chosen) "
            "SELECT id, 1, ? FROM paragraphs WHERE id = ? "
            "ON CONFLICT (paragraph_id) DO UPDATE SET chosen = chosen + 1, "
            "last_chosen = excluded.last_chosen",
            (now, paragraph_id),
        )
        changed = cur.rowcount
        await cur.close()
        return changed > 0

    async def inline_default_ids(self, offset: int, limit: int) -> list[int]:
        """Paragraph ids for an empty inline query, ``offset .. offset+limit-1`` of: the
        most often chosen paragraphs, then the first substantial paragraph of each
        document, latest documents first."""
        wanted = offset + limit
        async with self.conn.execute(
            "SELECT paragraph_id FROM inline_chosen "
            "ORDER BY chosen DESC, last_chosen DESC, paragraph_id LIMIT ?",
            (wanted,),
        ) as cur:
            ids = [int(row[0]) for row in await cur.fetchall()]
        if len(ids) < wanted:
            async with self.conn.execute(
                "SELECT pid FROM (SELECT d.date AS date, d.id AS did, (SELECT p.id "
                "FROM paragraphs p WHERE p.document_id = d.id AND length(p.text) >= 120 "
                "ORDER BY p.position LIMIT 1) AS pid FROM documents d) "
                "WHERE pid IS NOT NULL ORDER BY date DESC, did DESC LIMIT ?",
                (wanted + len(ids),),
            ) as cur:
                seen = set(ids)
                ids += [int(row[0]) for row in await cur.fetchall() if int(row[0]) not in seen]
        return ids[offset:wanted]
