"""The PostgreSQL side of /watch: the watches, their cursors, the alerts sent and the
claims under which they are checked, shared by every replica (the SQLite side is
:mod:`store.db.watches`, which says what the rows mean).

Only the watches' rows live here; the corpus (which paragraphs exist, whether the search
can find them yet) is each replica's SQLite file, asked separately.

A watch is checked under a claim: :meth:`PgWatches.claim_watch` locks its row with ``FOR
UPDATE SKIP LOCKED`` (a replica never waits for another's claim) and gives it a lease,
``claimed_until``, and a token, ``claim_token``; the holder renews the lease before each
alert and releases the claim when the check is done.  So two replicas never check one
watch at once (each alert would go twice), and a replica that dies mid-check leaves a
claim that expires: the next check on any replica takes the watch over, and sends only
what the dead one had not recorded as sent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import asyncpg

from store.db.pg._conv import iso, opt_text, pg_text
from store.db.watches import _COLUMNS, Watch, WatchClaim, new_claim_token


def _watch(row: asyncpg.Record) -> Watch:
    return Watch(
        id=int(row["id"]),
        owner_id=int(row["owner_id"]),
        chat_id=int(row["chat_id"]),
        chat_type=str(row["chat_type"]),
        chat_title=str(row["chat_title"]),
        chat_username=row["chat_username"],
        query=str(row["query"]),
        seen_paragraph_id=int(row["seen_paragraph_id"]),
        enabled=bool(row["enabled"]),
        created_at=str(iso(row["created_at"])),
        last_alert_at=iso(row["last_alert_at"]),
        last_error=row["last_error"],
    )


def owner_lock_key(owner_id: int) -> int:
    """The advisory lock key under which one owner's watches are counted and added (a
    signed 64-bit number from a hash of the owner's id; a collision only makes two
    owners' additions wait for each other)."""
    digest = hashlib.blake2b(f"verbatim watches of {owner_id}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)


class PgWatches:
    """The watches in PostgreSQL (a :class:`store.state.WatchState`)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    # ------------------------------------------------------------------ a user's watches

    async def add_watch(
        self,
        *,
        owner_id: int,
        chat_id: int,
        chat_type: str,
        chat_title: str,
        chat_username: str | None,
        query: str,
        seen_paragraph_id: int,
        limit: int,
    ) -> Watch | None:
        """Store a new enabled watch with its cursor at ``seen_paragraph_id`` and return
        it; ``None`` when the owner already has ``limit`` watches.  The count and the
        insert run under a transaction-scoped advisory lock of the owner's, the insert as
        a statement of its own (so it sees what an addition that held the lock before
        committed): two requests at once, on any replicas, cannot pass the limit
        together."""
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", owner_lock_key(owner_id))
            row = await conn.fetchrow(
                "INSERT INTO watches (owner_id, chat_id, chat_type, chat_title, chat_username, "
                "query, seen_paragraph_id) SELECT $1, $2, $3, $4, $5, $6, $7 "
                "WHERE (SELECT count(*) FROM watches WHERE owner_id = $1) < $8 "
                f"RETURNING {_COLUMNS}",
                owner_id,
                chat_id,
                chat_type,
                pg_text(chat_title),
                opt_text(chat_username),
                pg_text(query),
                seen_paragraph_id,
                limit,
            )
        return _watch(row) if row else None

    async def list_watches(self, owner_id: int) -> list[Watch]:
        """The watches of ``owner_id`` (switched off ones too), oldest first."""
        rows = await self.pool.fetch(
            f"SELECT {_COLUMNS} FROM watches WHERE owner_id = $1 ORDER BY id", owner_id
        )
        return [_watch(row) for row in rows]

    async def get_watch(self, watch_id: int) -> Watch | None:
        """The watch ``watch_id``, or ``None``."""
        row = await self.pool.fetchrow(f"SELECT {_COLUMNS} FROM watches WHERE id = $1", watch_id)
        return _watch(row) if row else None

    async def remove_watch(self, watch_id: int) -> bool:
        """Delete a watch and its record of alerts sent; False if there was none."""
        found = await self.pool.fetchval("DELETE FROM watches WHERE id = $1 RETURNING id", watch_id)
        return found is not None

    # ------------------------------------------------------------------ checking

    async def due_watches(self, up_to: int) -> list[Watch]:
        """The enabled watches that have not been checked up to paragraph ``up_to``, by id."""
        rows = await self.pool.fetch(
            f"SELECT {_COLUMNS} FROM watches WHERE enabled AND seen_paragraph_id < $1 ORDER BY id",
            up_to,
        )
        return [_watch(row) for row in rows]

    async def claim_watch(
        self, watch_id: int, up_to: int, lease_seconds: float
    ) -> WatchClaim | None:
        """Claim the check of ``watch_id`` up to paragraph ``up_to`` for ``lease_seconds``
        (see the module docstring): granted, with the watch as it stands, when it is
        enabled, not checked that far and no other claim is live; else ``None``.  Times
        are the server's, the same for every replica."""
        token = new_claim_token()
        row = await self.pool.fetchrow(
            "UPDATE watches SET claimed_until = now() + make_interval(secs => $3), "
            "claim_token = $4 WHERE id = (SELECT id FROM watches WHERE id = $1 AND enabled "
            "AND seen_paragraph_id < $2 AND (claimed_until IS NULL OR claimed_until <= now()) "
            f"FOR UPDATE SKIP LOCKED) RETURNING {_COLUMNS}",
            watch_id,
            up_to,
            float(lease_seconds),
            token,
        )
        return WatchClaim(_watch(row), token) if row else None

    async def renew_claim(self, claim: WatchClaim, lease_seconds: float) -> bool:
        """Extend ``claim`` to ``lease_seconds`` from now; False when it is no longer
        this caller's (taken over after it expired, or the watch was removed)."""
        found = await self.pool.fetchval(
            "UPDATE watches SET claimed_until = now() + make_interval(secs => $3) "
            "WHERE id = $1 AND claim_token = $2 RETURNING id",
            claim.watch.id,
            claim.token,
            float(lease_seconds),
        )
        return found is not None

    async def release_claim(self, claim: WatchClaim) -> None:
        """The check ``claim`` was for is over: the watch may be claimed again at once
        (nothing when the claim is no longer this caller's)."""
        await self.pool.execute(
            "UPDATE watches SET claimed_until = NULL, claim_token = NULL "
            "WHERE id = $1 AND claim_token = $2",
            claim.watch.id,
            claim.token,
        )

    async def sent_among(self, watch_id: int, paragraph_ids: Sequence[int]) -> set[int]:
        """Which of ``paragraph_ids`` the watch already sent (since its cursor)."""
        if not paragraph_ids:
            return set()
        rows = await self.pool.fetch(
            "SELECT paragraph_id FROM watch_alerts_sent WHERE watch_id = $1 "
            "AND paragraph_id = ANY($2::bigint[])",
            watch_id,
            list(dict.fromkeys(paragraph_ids)),
        )
        return {int(row[0]) for row in rows}

    async def record_sent(self, watch_id: int, paragraph_ids: Sequence[int]) -> None:
        """Remember that the watch sent (or gave up on) the alert for ``paragraph_ids``;
        nothing when the watch was removed meanwhile.  One statement: the update locks the
        watch's row, so a removal at the same moment comes wholly before or after it."""
        await self.pool.execute(
            "WITH touched AS (UPDATE watches SET last_alert_at = now(), last_error = NULL "
            "WHERE id = $1 RETURNING id) "
            "INSERT INTO watch_alerts_sent (watch_id, paragraph_id) "
            "SELECT touched.id, p FROM touched, unnest($2::bigint[]) AS p "
            "ON CONFLICT (watch_id, paragraph_id) DO NOTHING",
            watch_id,
            list(dict.fromkeys(paragraph_ids)),
        )

    async def advance(self, watch_id: int, up_to: int) -> None:
        """The watch was checked up to paragraph ``up_to`` and every alert went out: move
        its cursor there (never back) and forget the alerts sent up to it.  One
        statement (one round trip, one commit)."""
        await self.pool.execute(
            "WITH moved AS (UPDATE watches SET seen_paragraph_id = "
            "GREATEST(seen_paragraph_id, $2) WHERE id = $1) "
            "DELETE FROM watch_alerts_sent WHERE watch_id = $1 AND paragraph_id <= $2",
            watch_id,
            up_to,
        )

    async def note_error(self, watch_id: int, error: str) -> None:
        """Why the last check of the watch could not send everything (it will try again)."""
        await self.pool.execute(
            "UPDATE watches SET last_error = $2 WHERE id = $1", watch_id, pg_text(error)
        )

    async def disable_watch(self, watch_id: int, reason: str) -> None:
        """Switch a watch off, saying why."""
        await self.pool.execute(
            "UPDATE watches SET enabled = false, last_error = $2 WHERE id = $1",
            watch_id,
            pg_text(reason),
        )

    async def disable_chat(self, chat_id: int, reason: str) -> list[Watch]:
        """Switch off every enabled watch that sends to ``chat_id``; returns those it
        switched off, by id."""
        rows = await self.pool.fetch(
            "UPDATE watches SET enabled = false, last_error = $2 WHERE chat_id = $1 "
            f"AND enabled RETURNING {_COLUMNS}",
            chat_id,
            pg_text(reason),
        )
        return sorted((_watch(row) for row in rows), key=lambda w: w.id)

    async def move_chat(self, old_chat_id: int, new_chat_id: int, chat_type: str) -> None:
        """A group became a supergroup with a new id: its watches follow it."""
        await self.pool.execute(
            "UPDATE watches SET chat_id = $2, chat_type = $3 WHERE chat_id = $1",
            old_chat_id,
            new_chat_id,
            chat_type,
        )
