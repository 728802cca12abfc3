"""What the bot keeps in the database besides the corpus: search queries that buttons
refer to by id, this database's epoch, and how often inline results were chosen.

Posting (targets, schedules, posted log) is :mod:`store.db.posting`.  This is the SQLite
side of the shared state's queries (:class:`store.state.QueryState`); the PostgreSQL side
is :mod:`store.db.pg.queries`.  A query's id is derived from its text with a secret key
(:func:`query_id_for`), so every process finds the same id for the same text without
writing anything: inline results carry it, and the text is stored only once a result is
chosen or a button needs it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3

from store.db._sql import Base, _now
from store.text.clean import scrub_surrogates

KEEP_BOT_QUERIES = 200_000  # bot: buttons of older searches say "search again"
QUERY_ID_RANGE = 36**8  # bot: query ids are 1 .. QUERY_ID_RANGE (8 base-36 digits)


class StateUnavailable(RuntimeError):
    """The shared state could not be reached or written (a server gone, a refusing
    database): a write the bot can do without is skipped; the message says why."""


def query_id_for(key: bytes, text: str) -> int:
    """The id of query ``text`` under the secret ``key``: 1 .. QUERY_ID_RANGE, the same in
    every process that shares the key, and not guessable without it (so a forged button
    cannot try other people's searches).  ``text`` is taken as stored (surrogates
    scrubbed)."""
    digest = hmac.new(key, scrub_surrogates(text).encode("utf-8"), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") % QUERY_ID_RANGE + 1


class AppState(Base):
    """Stored queries, the epoch and inline choices: part of
    :class:`~store.db.database.Database`."""

    async def bot_epoch(self) -> str:
        """This database's epoch: six hex digits chosen when the schema was created."""
        async with self.conn.execute("SELECT value FROM bot_meta WHERE key = 'epoch'") as cur:
            row = await cur.fetchone()
        return str(row[0]) if row else ""

    async def query_key(self) -> bytes:
        """The secret that keys query ids (:func:`query_id_for`), made by migration 12."""
        async with self.conn.execute("SELECT value FROM bot_meta WHERE key = 'query_key'") as cur:
            row = await cur.fetchone()
        if row is None:  # migration 12 made it: a database without one is damaged
            raise RuntimeError(f"database {self.path} has no query key (bot_meta)")
        return bytes.fromhex(str(row[0]))

    async def remember_query(self, text: str) -> int:
        """Store a search query (or refresh it) and return its id, for buttons to refer to.

        The id is :func:`query_id_for` the text (a text stored before migration 12 keeps
        the random id it had); in the one-in-billions case that another text holds it, a
        random id is drawn.  Returns 0 ("no query": the card then has no buttons that
        need one) when another process holds the write lock, e.g. a running ingest.
        Lone surrogates in ``text`` are stored as U+FFFD (SQLite cannot hold them).
        """
        text = scrub_surrogates(text)
        wanted = query_id_for(await self.query_key(), text)
        for attempt in range(4):
            try:
                async with self.conn.execute(
                    "INSERT INTO bot_queries (id, text, last_used) "
                    "VALUES (CASE WHEN ? THEN abs(random()) % ? + 1 ELSE ? END, ?, ?) "
                    "ON CONFLICT (text) DO UPDATE SET last_used = excluded.last_used RETURNING id",
                    (attempt > 0, QUERY_ID_RANGE, wanted, text, _now("microseconds")),
                ) as cur:
                    row = await cur.fetchone()
            except sqlite3.IntegrityError:  # the id is another text's: draw one
                continue
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                return 0
            assert row is not None
            await self._forget_old_queries()
            return int(row[0])
        return 0

    async def store_query(self, query_id: int, text: str) -> bool:
        """Make ``query_id`` (which must be :func:`query_id_for` ``text``) name ``text``:
        stored when an inline result is chosen, or when a button needs a query that was
        never stored.  False when another text holds the id (buttons of that id then show
        the other text's search: one chance in billions) or the write lock is held."""
        text = scrub_surrogates(text)
        try:
            async with self.conn.execute(
                "INSERT INTO bot_queries (id, text, last_used) VALUES (?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET last_used = excluded.last_used "
                "WHERE text = excluded.text RETURNING id",
                (query_id, text, _now("microseconds")),
            ) as cur:
                stored = await cur.fetchone() is not None
        except sqlite3.IntegrityError:  # under an id from before migration 12 (query keys)
            cur = await self.conn.execute(
                "UPDATE bot_queries SET id = ?, last_used = ? WHERE text = ? "
                "AND NOT EXISTS (SELECT 1 FROM bot_queries WHERE id = ?)",
                (query_id, _now("microseconds"), text, query_id),
            )
            stored = cur.rowcount > 0
            await cur.close()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            return False
        if stored:
            await self._forget_old_queries()
        return stored

    async def _forget_old_queries(self) -> None:
        if secrets.randbelow(1000) == 0:  # now and then, forget the oldest queries
            await self.conn.execute(
                "DELETE FROM bot_queries WHERE id NOT IN "
                "(SELECT id FROM bot_queries ORDER BY last_used DESC LIMIT ?)",
                (KEEP_BOT_QUERIES,),
            )

    async def get_query(self, query_id: int) -> str | None:
        """The query text stored under ``query_id``, or ``None``."""
        async with self.conn.execute(
            "SELECT text FROM bot_queries WHERE id = ?", (query_id,)
        ) as cur:
            row = await cur.fetchone()
        return str(row[0]) if row else None

    async def record_inline_choice(self, paragraph_id: int) -> bool:
        """Count one choice of a paragraph from inline results; False if it does not exist."""
        cur = await self.conn.execute(
            "INSERT INTO inline_chosen (paragraph_id, chosen, last_chosen) "
            "SELECT id, 1, ? FROM paragraphs WHERE id = ? "
            "ON CONFLICT (paragraph_id) DO UPDATE SET chosen = chosen + 1, "
            "last_chosen = excluded.last_chosen",
            (_now("microseconds"), paragraph_id),  # ties: latest first
        )
        changed = cur.rowcount
        await cur.close()
        return changed > 0

    async def most_chosen(self, limit: int) -> list[int]:
        """The ``limit`` paragraph ids chosen most often from inline results (ties: the
        latest chosen first)."""
        async with self.conn.execute(
            "SELECT paragraph_id FROM inline_chosen "
            "ORDER BY chosen DESC, last_chosen DESC, paragraph_id LIMIT ?",
            (limit,),
        ) as cur:
            return [int(row[0]) for row in await cur.fetchall()]
