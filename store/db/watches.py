"""Watches (/watch) in the SQLite file: saved queries whose new answers are sent to
their owner, each paragraph once (the PostgreSQL side, shared by replicas, is
:mod:`store.db.pg.watches`; both are a :class:`store.state.WatchState`).

A separate class over the same connection, ``WatchStore(db)``, with a narrow interface
(add, list, count, remove; which watches are due, a claim on one while it is checked,
what it already sent; record, advance, disable, follow a chat to its new id).  It holds
only the watches' rows: what the corpus holds (the newest paragraph, whether the search
can find it yet) is asked of the corpus, :meth:`Database.searchable_paragraph_id
<store.db.index.SearchIndex.searchable_paragraph_id>`.  Each watch keeps a cursor,
``seen_paragraph_id``: every paragraph up to it has been checked against the watch.
Paragraph ids only grow (paragraphs are never deleted), so "new" means "above the
cursor".  The cursor advances only once every alert of a check went out; the paragraphs
sent meanwhile are kept in ``watch_alerts_sent``, so a check that was cut short (or a
restart) sends what is left, and nothing twice.

A watch is checked under a claim (migration 13: ``claimed_until``, a lease, and
``claim_token``, whose it is): :meth:`WatchStore.claim_watch` grants it to one caller at a
time, so two processes sharing the file never check the same watch at once (each alert
would go twice); a holder that died leaves a claim that expires.  Times are ISO 8601 UTC;
chat and user ids are Telegram's.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from store.db._sql import _instant, _now, _select_in
from store.db.database import Database


@dataclass(frozen=True, slots=True)
class Watch:
    """A query whose new answers go to ``chat_id``: the owner's private chat (``chat_id
    == owner_id``, ``chat_type`` ``"private"``) or a channel or group they administer.

    ``seen_paragraph_id``: every paragraph up to this id has been checked.  A watch that
    was switched off (the chat blocked the bot, say) has ``enabled`` false and the reason
    in ``last_error``.
    """

    id: int
    owner_id: int
    chat_id: int
    chat_type: str
    chat_title: str
    chat_username: str | None
    query: str
    seen_paragraph_id: int
    enabled: bool
    created_at: str
    last_alert_at: str | None
    last_error: str | None


@dataclass(frozen=True, slots=True)
class WatchClaim:
    """A claim on checking one watch (``claim_watch``): ``watch`` as it stands now (its
    cursor may have moved since it was listed as due) and ``token``, which names this
    claim when it is renewed or released (an expired claim another process took over is
    no longer this caller's)."""

    watch: Watch
    token: str


def new_claim_token() -> str:
    """A fresh claim token (random, 16 hex digits)."""
    return secrets.token_hex(8)


_COLUMNS = (
    "id, owner_id, chat_id, chat_type, chat_title, chat_username, query, seen_paragraph_id, "
    "enabled, created_at, last_alert_at, last_error"
)


def _watch_from_row(row: Sequence[Any]) -> Watch:
    return Watch(
        id=int(row[0]),
        owner_id=int(row[1]),
        chat_id=int(row[2]),
        chat_type=str(row[3]),
        chat_title=str(row[4]),
        chat_username=row[5],
        query=str(row[6]),
        seen_paragraph_id=int(row[7]),
        enabled=bool(row[8]),
        created_at=str(row[9]),
        last_alert_at=row[10],
        last_error=row[11],
    )


class WatchStore:
    """The watches of one database, over its connection."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.conn = db.conn

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
        """Store a new enabled watch with its cursor at ``seen_paragraph_id`` (the
        corpus's newest paragraph now: only paragraphs stored later alert) and return it;
        ``None`` when the owner already has ``limit`` watches.  Counted and inserted in one
        statement, so two requests at once cannot pass the limit together."""
        async with self.conn.execute(
            "INSERT INTO watches (owner_id, chat_id, chat_type, chat_title, chat_username, "
            "query, seen_paragraph_id, created_at) "
            "SELECT ?, ?, ?, ?, ?, ?, ?, ? "
            "WHERE (SELECT count(*) FROM watches WHERE owner_id = ?) < ? "
            f"RETURNING {_COLUMNS}",
            (
                owner_id,
                chat_id,
                chat_type,
                chat_title,
                chat_username,
                query,
                seen_paragraph_id,
                _now(),
                owner_id,
                limit,
            ),
        ) as cur:
            row = await cur.fetchone()
        return _watch_from_row(row) if row else None

    async def list_watches(self, owner_id: int) -> list[Watch]:
        """The watches of ``owner_id`` (switched off ones too), oldest first."""
        async with self.conn.execute(
            f"SELECT {_COLUMNS} FROM watches WHERE owner_id = ? ORDER BY id", (owner_id,)
        ) as cur:
            return [_watch_from_row(row) for row in await cur.fetchall()]

    async def get_watch(self, watch_id: int) -> Watch | None:
        """The watch ``watch_id``, or ``None``."""
        async with self.conn.execute(
            f"SELECT {_COLUMNS} FROM watches WHERE id = ?", (watch_id,)
        ) as cur:
            row = await cur.fetchone()
        return _watch_from_row(row) if row else None

    async def remove_watch(self, watch_id: int) -> bool:
        """Delete a watch and its record of alerts sent; False if there was none."""
        cur = await self.conn.execute("DELETE FROM watches WHERE id = ?", (watch_id,))
        removed = cur.rowcount
        await cur.close()
        return removed > 0

    # ------------------------------------------------------------------ checking

    async def due_watches(self, up_to: int) -> list[Watch]:
        """The enabled watches that have not been checked up to paragraph ``up_to``, by id."""
        async with self.conn.execute(
            f"SELECT {_COLUMNS} FROM watches WHERE enabled = 1 AND seen_paragraph_id < ? "
            "ORDER BY id",
            (up_to,),
        ) as cur:
            return [_watch_from_row(row) for row in await cur.fetchall()]

    async def claim_watch(
        self, watch_id: int, up_to: int, lease_seconds: float
    ) -> WatchClaim | None:
        """Claim the check of ``watch_id`` up to paragraph ``up_to`` for ``lease_seconds``:
        granted, with the watch as it stands, when it is enabled, not checked that far yet
        and no other claim on it is live; else ``None``.  One statement, so two processes
        never both get it."""
        now = datetime.now(UTC)
        token = new_claim_token()
        async with self.conn.execute(
            "UPDATE watches SET claimed_until = ?, claim_token = ? WHERE id = ? AND enabled "
            "AND seen_paragraph_id < ? AND (claimed_until IS NULL OR claimed_until <= ?) "
            f"RETURNING {_COLUMNS}",
            (
                _instant(now + timedelta(seconds=lease_seconds)),
                token,
                watch_id,
                up_to,
                _instant(now),
            ),
        ) as cur:
            row = await cur.fetchone()
        return WatchClaim(_watch_from_row(row), token) if row else None

    async def renew_claim(self, claim: WatchClaim, lease_seconds: float) -> bool:
        """Extend ``claim`` to ``lease_seconds`` from now; False when it is no longer
        this caller's (it expired and another process took the watch over, or the watch
        was removed): the caller stops sending then."""
        until = _instant(datetime.now(UTC) + timedelta(seconds=lease_seconds))
        async with self.conn.execute(
            "UPDATE watches SET claimed_until = ? WHERE id = ? AND claim_token = ? RETURNING id",
            (until, claim.watch.id, claim.token),
        ) as cur:
            return await cur.fetchone() is not None

    async def release_claim(self, claim: WatchClaim) -> None:
        """The check ``claim`` was for is over: let the next one claim the watch at once
        (nothing when the claim is no longer this caller's)."""
        await self.conn.execute(
            "UPDATE watches SET claimed_until = NULL, claim_token = NULL "
            "WHERE id = ? AND claim_token = ?",
            (claim.watch.id, claim.token),
        )

    async def sent_among(self, watch_id: int, paragraph_ids: Sequence[int]) -> set[int]:
        """Which of ``paragraph_ids`` the watch already sent (since its cursor)."""
        rows = await _select_in(
            self.conn,
            "SELECT paragraph_id FROM watch_alerts_sent WHERE watch_id = ? AND paragraph_id",
            paragraph_ids,
            watch_id,
        )
        return {int(row[0]) for row in rows}

    async def record_sent(self, watch_id: int, paragraph_ids: Sequence[int]) -> None:
        """Remember that the watch sent (or gave up on) the alert for ``paragraph_ids``;
        nothing when the watch was removed meanwhile."""
        now = _now()
        await self.conn.executemany(
            "INSERT OR IGNORE INTO watch_alerts_sent (watch_id, paragraph_id, sent_at) "
            "SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM watches WHERE id = ?)",
            [(watch_id, pid, now, watch_id) for pid in dict.fromkeys(paragraph_ids)],
        )
        await self.conn.execute(
            "UPDATE watches SET last_alert_at = ?, last_error = NULL WHERE id = ?",
            (now, watch_id),
        )

    async def advance(self, watch_id: int, up_to: int) -> None:
        """The watch was checked up to paragraph ``up_to`` and every alert went out: move
        its cursor there (never back) and forget the alerts sent up to it (no check looks
        at those paragraphs again)."""
        await self.conn.execute(
            "UPDATE watches SET seen_paragraph_id = max(seen_paragraph_id, ?) WHERE id = ?",
            (up_to, watch_id),
        )
        await self.conn.execute(
            "DELETE FROM watch_alerts_sent WHERE watch_id = ? AND paragraph_id <= ?",
            (watch_id, up_to),
        )

    async def note_error(self, watch_id: int, error: str) -> None:
        """Why the last check of the watch could not send everything (it will try again)."""
        await self.conn.execute("UPDATE watches SET last_error = ? WHERE id = ?", (error, watch_id))

    async def disable_watch(self, watch_id: int, reason: str) -> None:
        """Switch a watch off, saying why."""
        await self.conn.execute(
            "UPDATE watches SET enabled = 0, last_error = ? WHERE id = ?", (reason, watch_id)
        )

    async def disable_chat(self, chat_id: int, reason: str) -> list[Watch]:
        """Switch off every enabled watch that sends to ``chat_id`` (it blocked the bot or
        is gone); returns those it switched off, by id."""
        async with self.conn.execute(
            "UPDATE watches SET enabled = 0, last_error = ? WHERE chat_id = ? AND enabled = 1 "
            f"RETURNING {_COLUMNS}",
            (reason, chat_id),
        ) as cur:
            rows = await cur.fetchall()
        return sorted((_watch_from_row(row) for row in rows), key=lambda w: w.id)

    async def move_chat(self, old_chat_id: int, new_chat_id: int, chat_type: str) -> None:
        """A group became a supergroup with a new id: its watches follow it."""
        await self.conn.execute(
            "UPDATE watches SET chat_id = ?, chat_type = ? WHERE chat_id = ?",
            (new_chat_id, chat_type, old_chat_id),
        )
