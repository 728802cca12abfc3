"""The PostgreSQL side of posting: post targets, schedules (with their run claims) and
the posted log, shared by every replica (the SQLite side is :mod:`store.db.posting`).

A schedule's daily run is claimed before it posts: the row is locked with ``FOR UPDATE
SKIP LOCKED`` (a replica never waits for another's claim) and given a lease,
``claimed_until``; the holder posts, then :meth:`PgPosting.finish_schedule_run` marks the
run done (``last_run_due``) and releases the claim.  A holder that dies leaves a claim that
expires, and the next replica to ask takes the run over.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import asyncpg

from store.db.pg._conv import iso, opt_text, pg_text
from store.db.posting import (
    _SCHEDULE_COLUMNS,
    _TARGET_COLUMNS,
    PostSchedule,
    PostTarget,
    ScheduleClaim,
)

_RECHECK = timedelta(seconds=5)  # a claim being made right now: look again this soon


def _target(row: asyncpg.Record) -> PostTarget:
    return PostTarget(
        id=int(row["id"]),
        owner_id=int(row["owner_id"]),
        chat_id=int(row["chat_id"]),
        chat_type=str(row["chat_type"]),
        title=str(row["title"]),
        username=row["username"],
        added_at=str(iso(row["added_at"])),
    )


def _schedule(row: asyncpg.Record) -> PostSchedule:
    return PostSchedule(
        id=int(row["id"]),
        chat_id=int(row["chat_id"]),
        chat_type=str(row["chat_type"]),
        chat_title=str(row["chat_title"]),
        chat_username=row["chat_username"],
        creator_id=int(row["creator_id"]),
        minute_of_day=int(row["minute_of_day"]),
        query=row["query"],
        collection=row["collection"],
        enabled=bool(row["enabled"]),
        created_at=str(iso(row["created_at"])),
        last_posted_at=iso(row["last_posted_at"]),
        last_error=row["last_error"],
        picture=bool(row["picture"]),
    )


class PgPosting:
    """Post targets, schedules and the posted log in PostgreSQL (a
    :class:`store.state.PostingState`)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    # ------------------------------------------------------------------ targets

    async def link_target(
        self, owner_id: int, chat_id: int, chat_type: str, title: str, username: str | None
    ) -> tuple[PostTarget, bool]:
        """Link a chat for ``owner_id`` (or refresh its title); returns (target, newly linked)."""
        row = await self.pool.fetchrow(
            "INSERT INTO post_targets (owner_id, chat_id, chat_type, title, username) "
            "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (owner_id, chat_id) DO UPDATE SET "
            "chat_type = excluded.chat_type, title = excluded.title, username = "
            f"excluded.username RETURNING {_TARGET_COLUMNS}, (xmax = 0) AS created",
            owner_id,
            chat_id,
            chat_type,
            pg_text(title),
            opt_text(username),
        )
        assert row is not None
        return _target(row), bool(row["created"])

    async def find_target(self, owner_id: int, chat_id: int) -> PostTarget | None:
        """``owner_id``'s link to ``chat_id``, or ``None``."""
        row = await self.pool.fetchrow(
            f"SELECT {_TARGET_COLUMNS} FROM post_targets WHERE owner_id = $1 AND chat_id = $2",
            owner_id,
            chat_id,
        )
        return _target(row) if row else None

    async def list_targets(self, owner_id: int) -> list[PostTarget]:
        """The chats ``owner_id`` linked, oldest first (the numbers of ``/channel list``)."""
        rows = await self.pool.fetch(
            f"SELECT {_TARGET_COLUMNS} FROM post_targets WHERE owner_id = $1 ORDER BY id",
            owner_id,
        )
        return [_target(row) for row in rows]

    async def unlink_target(self, owner_id: int, chat_id: int) -> list[int]:
        """Forget ``owner_id``'s link to ``chat_id`` and their schedules for it; returns the
        ids of the schedules removed."""
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                "DELETE FROM post_schedules WHERE creator_id = $1 AND chat_id = $2 RETURNING id",
                owner_id,
                chat_id,
            )
            await conn.execute(
                "DELETE FROM post_targets WHERE owner_id = $1 AND chat_id = $2", owner_id, chat_id
            )
        return sorted(int(row[0]) for row in rows)

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
        row = await self.pool.fetchrow(
            "INSERT INTO post_schedules (chat_id, chat_type, chat_title, chat_username, "
            "creator_id, minute_of_day, query, collection, picture) "
            f"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {_SCHEDULE_COLUMNS}",
            chat_id,
            chat_type,
            pg_text(chat_title),
            opt_text(chat_username),
            creator_id,
            minute_of_day,
            opt_text(query),
            opt_text(collection),
            picture,
        )
        assert row is not None
        return _schedule(row)

    async def get_schedule(self, schedule_id: int) -> PostSchedule | None:
        """The schedule ``schedule_id``, or ``None``."""
        row = await self.pool.fetchrow(
            f"SELECT {_SCHEDULE_COLUMNS} FROM post_schedules WHERE id = $1", schedule_id
        )
        return _schedule(row) if row else None

    async def list_schedules(
        self, *, creator_id: int | None = None, chat_id: int | None = None
    ) -> list[PostSchedule]:
        """Schedules made by ``creator_id`` or for ``chat_id`` (either given), by id."""
        column, value = ("creator_id", creator_id) if chat_id is None else ("chat_id", chat_id)
        rows = await self.pool.fetch(
            f"SELECT {_SCHEDULE_COLUMNS} FROM post_schedules WHERE {column} = $1 ORDER BY id",
            value,
        )
        return [_schedule(row) for row in rows]

    async def enabled_schedules(self) -> list[PostSchedule]:
        """Every enabled schedule (restored into the job queue at start)."""
        rows = await self.pool.fetch(
            f"SELECT {_SCHEDULE_COLUMNS} FROM post_schedules WHERE enabled ORDER BY id"
        )
        return [_schedule(row) for row in rows]

    async def remove_schedule(self, schedule_id: int) -> bool:
        """Delete a schedule; False if there was none."""
        found = await self.pool.fetchval(
            "DELETE FROM post_schedules WHERE id = $1 RETURNING id", schedule_id
        )
        return found is not None

    async def claim_schedule_run(
        self, schedule_id: int, due: datetime, lease_seconds: float
    ) -> ScheduleClaim:
        """Claim the run of ``schedule_id`` due at ``due`` for ``lease_seconds`` (see the
        module docstring); times are the server's, the same for every replica."""
        async with self.pool.acquire() as conn:
            claimed = await conn.fetchval(
                "UPDATE post_schedules SET claimed_until = now() + make_interval(secs => $3) "
                "WHERE id = (SELECT id FROM post_schedules WHERE id = $1 AND enabled "
                "AND (last_run_due IS NULL OR last_run_due < $2) "
                "AND (claimed_until IS NULL OR claimed_until <= now()) "
                "FOR UPDATE SKIP LOCKED) RETURNING id",
                schedule_id,
                due,
                float(lease_seconds),
            )
            if claimed is not None:
                return ScheduleClaim(True)
            row = await conn.fetchrow(
                "SELECT claimed_until, now() AS now FROM post_schedules WHERE id = $1 "
                "AND enabled AND (last_run_due IS NULL OR last_run_due < $2)",
                schedule_id,
                due,
            )
        if row is None:  # done, gone or switched off
            return ScheduleClaim(False)
        until, now = row["claimed_until"], row["now"]
        # no live claim seen: another replica's claim is being written this instant
        return ScheduleClaim(False, until if until and until > now else now + _RECHECK)

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
        await self.pool.execute(
            "UPDATE post_schedules SET last_posted_at = CASE WHEN $2::text IS NULL THEN now() "
            "ELSE last_posted_at END, last_error = $2, enabled = enabled AND NOT $3, "
            "last_run_due = GREATEST(last_run_due, $4), claimed_until = NULL WHERE id = $1",
            schedule_id,
            opt_text(error),
            disable,
            due,
        )

    async def move_chat(self, old_chat_id: int, new_chat_id: int, chat_type: str) -> None:
        """A group became a supergroup with a new id: its links, schedules and posted log
        follow it, in one transaction; a link or log row the new id already has wins."""
        async with self.pool.acquire() as conn, conn.transaction():
            for table, key in (("post_targets", "owner_id"), ("posted_paragraphs", "paragraph_id")):
                await conn.execute(
                    f"UPDATE {table} t SET chat_id = $2 WHERE chat_id = $1 AND NOT EXISTS "
                    f"(SELECT 1 FROM {table} x WHERE x.chat_id = $2 AND x.{key} = t.{key})",
                    old_chat_id,
                    new_chat_id,
                )
                await conn.execute(f"DELETE FROM {table} WHERE chat_id = $1", old_chat_id)
            await conn.execute(
                "UPDATE post_targets SET chat_type = $2 WHERE chat_id = $1", new_chat_id, chat_type
            )
            await conn.execute(
                "UPDATE post_schedules SET chat_id = $2, chat_type = $3 WHERE chat_id = $1",
                old_chat_id,
                new_chat_id,
                chat_type,
            )
            await conn.execute(  # made by the group's anonymous administrators
                "UPDATE post_schedules SET creator_id = $2 WHERE creator_id = $1",
                old_chat_id,
                new_chat_id,
            )

    # ------------------------------------------------------------------ posted paragraphs

    async def record_post(self, chat_id: int, paragraph_id: int, message_id: int | None) -> None:
        """Remember that ``paragraph_id`` was posted to ``chat_id``."""
        await self.pool.execute(
            "INSERT INTO posted_paragraphs (chat_id, paragraph_id, message_id) "
            "VALUES ($1, $2, $3) ON CONFLICT (chat_id, paragraph_id) DO UPDATE "
            "SET message_id = excluded.message_id, posted_at = now()",
            chat_id,
            paragraph_id,
            message_id,
        )

    async def posted_among(self, chat_id: int, paragraph_ids: Sequence[int]) -> set[int]:
        """Which of ``paragraph_ids`` were already posted to ``chat_id``."""
        rows = await self.pool.fetch(
            "SELECT paragraph_id FROM posted_paragraphs WHERE chat_id = $1 "
            "AND paragraph_id = ANY($2::bigint[])",
            chat_id,
            list(dict.fromkeys(paragraph_ids)),
        )
        return {int(row[0]) for row in rows}

    async def posted_ids(self, chat_id: int) -> set[int]:
        """Every paragraph posted to ``chat_id`` (a schedule's random pick skips them)."""
        rows = await self.pool.fetch(
            "SELECT paragraph_id FROM posted_paragraphs WHERE chat_id = $1", chat_id
        )
        return {int(row[0]) for row in rows}
