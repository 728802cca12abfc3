"""Posting to channels and groups: the chats a user linked as post targets, the daily
"passage of the day" schedules, and which paragraphs each chat already received.

A separate class over the same connection: ``PostingStore(db)``, the SQLite side of
the shared state's :class:`store.state.PostingState` (the PostgreSQL side is
:mod:`store.db.pg.posting`).  A schedule's daily run is claimed before it posts
(:meth:`PostingStore.claim_schedule_run`: a lease in ``claimed_until``, the run done last
in ``last_run_due``, migration 12), so processes sharing the file post each run once.
Times are ISO 8601 UTC; chat and user ids are Telegram's.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from store.db._sql import _instant, _now, _select_in
from store.db.database import Database


@dataclass(frozen=True, slots=True)
class PostTarget:
    """A channel or group that user ``owner_id`` linked as a place to post to."""

    id: int
    owner_id: int
    chat_id: int
    chat_type: str
    title: str
    username: str | None
    added_at: str


@dataclass(frozen=True, slots=True)
class PostSchedule:
    """A daily post to ``chat_id`` at ``minute_of_day`` (0..1439, the bot's timezone).

    ``query`` ``None`` means a random passage; ``collection`` restricts either kind.
    ``creator_id`` is a user, or the group itself (negative) when its anonymous
    administrators made the schedule.  ``picture``: post the passage as a quote picture.
    """

    id: int
    chat_id: int
    chat_type: str
    chat_title: str
    chat_username: str | None
    creator_id: int
    minute_of_day: int
    query: str | None
    collection: str | None
    enabled: bool
    created_at: str
    last_posted_at: str | None
    last_error: str | None
    picture: bool = False


_TARGET_COLUMNS = "id, owner_id, chat_id, chat_type, title, username, added_at"
_SCHEDULE_COLUMNS = (
    "id, chat_id, chat_type, chat_title, chat_username, creator_id, minute_of_day, query, "
    "collection, enabled, created_at, last_posted_at, last_error, picture"
)


@dataclass(frozen=True, slots=True)
class ScheduleClaim:
    """The answer to claiming one daily run of a schedule (``claim_schedule_run``).

    ``claimed``: this caller holds the run until its lease ends, posts, then calls
    ``finish_schedule_run`` with the same ``due``.  Not claimed with ``held_until``: another
    process holds it (ask again after that moment: if that process died, its claim has
    expired and the run is taken over).  Not claimed without: the run was done already, or
    the schedule is gone or switched off.
    """

    claimed: bool
    held_until: datetime | None = None


def _schedule_from_row(row: sqlite3.Row | tuple[Any, ...]) -> PostSchedule:
    return PostSchedule(
        id=int(row[0]),
        chat_id=int(row[1]),
        chat_type=str(row[2]),
        chat_title=str(row[3]),
        chat_username=row[4],
        creator_id=int(row[5]),
        minute_of_day=int(row[6]),
        query=row[7],
        collection=row[8],
        enabled=bool(row[9]),
        created_at=str(row[10]),
        last_posted_at=row[11],
        last_error=row[12],
        picture=bool(row[13]),
    )


class PostingStore:
    """Post targets, schedules and the posted-paragraph log of one open database."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.conn = db.conn

    # ------------------------------------------------------------------ targets

    async def link_target(
        self, owner_id: int, chat_id: int, chat_type: str, title: str, username: str | None
    ) -> tuple[PostTarget, bool]:
        """Link a chat for ``owner_id`` (or refresh its title); returns (target, newly linked)."""
        async with self.conn.execute(
            "INSERT INTO post_targets (owner_id, chat_id, chat_type, title, username, added_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (owner_id, chat_id) DO NOTHING RETURNING id",
            (owner_id, chat_id, chat_type, title, username, _now()),
        ) as cur:
            created = await cur.fetchone() is not None
        if not created:
            await self.conn.execute(
                "UPDATE post_targets SET chat_type = ?, title = ?, username = ? "
                "WHERE owner_id = ? AND chat_id = ?",
                (chat_type, title, username, owner_id, chat_id),
            )
        target = await self.find_target(owner_id, chat_id)
        assert target is not None
        return target, created

    async def find_target(self, owner_id: int, chat_id: int) -> PostTarget | None:
        """``owner_id``'s link to ``chat_id``, or ``None``."""
        async with self.conn.execute(
            f"SELECT {_TARGET_COLUMNS} FROM post_targets WHERE owner_id = ? AND chat_id = ?",
            (owner_id, chat_id),
        ) as cur:
            row = await cur.fetchone()
        return PostTarget(*row) if row else None

    async def list_targets(self, owner_id: int) -> list[PostTarget]:
        """The chats ``owner_id`` linked, oldest first (the numbers of ``/channel list``)."""
        async with self.conn.execute(
            f"SELECT {_TARGET_COLUMNS} FROM post_targets WHERE owner_id = ? ORDER BY id",
            (owner_id,),
        ) as cur:
            return [PostTarget(*row) for row in await cur.fetchall()]

    async def unlink_target(self, owner_id: int, chat_id: int) -> list[int]:
        """Forget ``owner_id``'s link to ``chat_id`` and their schedules for it; returns the
        ids of the schedules removed."""
        async with self.conn.execute(
            "DELETE FROM post_schedules WHERE creator_id = ? AND chat_id = ? RETURNING id",
            (owner_id, chat_id),
        ) as cur:
            removed = sorted(int(row[0]) for row in await cur.fetchall())
        await self.conn.execute(
            "DELETE FROM post_targets WHERE owner_id = ? AND chat_id = ?", (owner_id, chat_id)
        )
        return removed

    # ------------------------------------------------------------------ schedules

    async def add_schedule(
        self,
        *,
        chat_id: int,
        chat_type: str,
        chat_title: str,
        chat_username: str | None,
        creator_id: int,
        minute_of_day: int,
        query: str | None,
        collection: str | None,
        picture: bool = False,
    ) -> PostSchedule:
        """Store a new enabled schedule and return it."""
        async with self.conn.execute(
            "INSERT INTO post_schedules (chat_id, chat_type, chat_title, chat_username, "
            "creator_id, minute_of_day, query, collection, created_at, picture) "
            f"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING {_SCHEDULE_COLUMNS}",
            (
                chat_id,
                chat_type,
                chat_title,
                chat_username,
                creator_id,
                minute_of_day,
                query,
                collection,
                _now(),
                picture,
            ),
        ) as cur:
            row = await cur.fetchone()
        assert row is not None
        return _schedule_from_row(row)

    async def get_schedule(self, schedule_id: int) -> PostSchedule | None:
        """The schedule ``schedule_id``, or ``None``."""
        async with self.conn.execute(
            f"SELECT {_SCHEDULE_COLUMNS} FROM post_schedules WHERE id = ?", (schedule_id,)
        ) as cur:
            row = await cur.fetchone()
        return _schedule_from_row(row) if row else None

    async def list_schedules(
        self, *, creator_id: int | None = None, chat_id: int | None = None
    ) -> list[PostSchedule]:
        """Schedules made by ``creator_id`` or for ``chat_id`` (either given), by id."""
        column, value = ("creator_id", creator_id) if chat_id is None else ("chat_id", chat_id)
        async with self.conn.execute(
            f"SELECT {_SCHEDULE_COLUMNS} FROM post_schedules WHERE {column} = ? ORDER BY id",
            (value,),
        ) as cur:
            return [_schedule_from_row(row) for row in await cur.fetchall()]

    async def enabled_schedules(self) -> list[PostSchedule]:
        """Every enabled schedule (restored into the job queue at start)."""
        async with self.conn.execute(
            f"SELECT {_SCHEDULE_COLUMNS} FROM post_schedules WHERE enabled = 1 ORDER BY id"
        ) as cur:
            return [_schedule_from_row(row) for row in await cur.fetchall()]

    async def remove_schedule(self, schedule_id: int) -> bool:
        """Delete a schedule; False if there was none."""
        cur = await self.conn.execute("DELETE FROM post_schedules WHERE id = ?", (schedule_id,))
        removed = cur.rowcount
        await cur.close()
        return removed > 0

    async def claim_schedule_run(
        self, schedule_id: int, due: datetime, lease_seconds: float
    ) -> ScheduleClaim:
        """Claim the run of ``schedule_id`` due at ``due`` for ``lease_seconds``: granted
        when the schedule is enabled, that run (or a later one) is not done yet and no
        other claim is live.  One statement, so two processes never both get it."""
        now = datetime.now(UTC)
        async with self.conn.execute(
            "UPDATE post_schedules SET claimed_until = ? WHERE id = ? AND enabled "
            "AND (last_run_due IS NULL OR last_run_due < ?) "
            "AND (claimed_until IS NULL OR claimed_until <= ?) RETURNING id",
            (
                _instant(now + timedelta(seconds=lease_seconds)),
                schedule_id,
                _instant(due),
                _instant(now),
            ),
        ) as cur:
            if await cur.fetchone() is not None:
                return ScheduleClaim(True)
        async with self.conn.execute(
            "SELECT claimed_until FROM post_schedules WHERE id = ? AND enabled "
            "AND (last_run_due IS NULL OR last_run_due < ?)",
            (schedule_id, _instant(due)),
        ) as cur:
            row = await cur.fetchone()
        if row is None or row[0] is None:
            return ScheduleClaim(False)
        return ScheduleClaim(False, datetime.fromisoformat(str(row[0])))

    async def finish_schedule_run(
        self,
        schedule_id: int,
        *,
        error: str | None = None,
        disable: bool = False,
        due: datetime | None = None,
    ) -> None:
        """Record a run: posted (``error`` None) or why not; ``disable`` switches it off;
        ``due`` (the run claimed) is marked done and the claim released."""
        done = _instant(due) if due is not None else None
        await self.conn.execute(
            "UPDATE post_schedules SET last_posted_at = CASE WHEN ? IS NULL THEN ? "
            "ELSE last_posted_at END, last_error = ?, enabled = enabled AND NOT ?, "
            "last_run_due = CASE WHEN ? IS NOT NULL AND (last_run_due IS NULL "
            "OR last_run_due < ?) THEN ? ELSE last_run_due END, claimed_until = NULL "
            "WHERE id = ?",
            (error, _now(), error, disable, done, done, done, schedule_id),
        )

    async def move_chat(self, old_chat_id: int, new_chat_id: int, chat_type: str) -> None:
        """A group became a supergroup with a new id: its links, schedules and posted log
        follow it.  Each statement leaves consistent rows, so no transaction is needed; a
        link or log row the new id already has wins over the old one."""
        for table in ("post_targets", "posted_paragraphs"):
            await self.conn.execute(
                f"UPDATE OR IGNORE {table} SET chat_id = ? WHERE chat_id = ?",
                (new_chat_id, old_chat_id),
            )
            await self.conn.execute(f"DELETE FROM {table} WHERE chat_id = ?", (old_chat_id,))
        await self.conn.execute(
            "UPDATE post_targets SET chat_type = ? WHERE chat_id = ?", (chat_type, new_chat_id)
        )
        await self.conn.execute(
            "UPDATE post_schedules SET chat_id = ?, chat_type = ? WHERE chat_id = ?",
            (new_chat_id, chat_type, old_chat_id),
        )
        await self.conn.execute(  # made by the group's anonymous administrators
            "UPDATE post_schedules SET creator_id = ? WHERE creator_id = ?",
            (new_chat_id, old_chat_id),
        )

    # ------------------------------------------------------------------ posted paragraphs

    async def record_post(self, chat_id: int, paragraph_id: int, message_id: int | None) -> None:
        """Remember that ``paragraph_id`` was posted to ``chat_id``."""
        await self.conn.execute(
            "INSERT INTO posted_paragraphs (chat_id, paragraph_id, message_id, posted_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (chat_id, paragraph_id) DO UPDATE SET "
            "message_id = excluded.message_id, posted_at = excluded.posted_at",
            (chat_id, paragraph_id, message_id, _now()),
        )

    async def posted_among(self, chat_id: int, paragraph_ids: Sequence[int]) -> set[int]:
        """Which of ``paragraph_ids`` were already posted to ``chat_id``."""
        rows = await _select_in(
            self.conn,
            "SELECT paragraph_id FROM posted_paragraphs WHERE chat_id = ? AND paragraph_id",
            paragraph_ids,
            chat_id,
        )
        return {int(row[0]) for row in rows}

    async def posted_ids(self, chat_id: int) -> set[int]:
        """Every paragraph posted to ``chat_id`` (a schedule's random pick skips them)."""
        async with self.conn.execute(
            "SELECT paragraph_id FROM posted_paragraphs WHERE chat_id = ?", (chat_id,)
        ) as cur:
            return {int(row[0]) for row in await cur.fetchall()}
