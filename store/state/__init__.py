"""The bot's shared state behind one narrow interface, with two implementations.

What the bot keeps besides the corpus — stored queries that buttons refer to, the epoch
and the key of query ids, inline choices, post targets, schedules with their run claims,
the posted log and /watch's watches — is reached through :class:`StateStore`, one
attribute per table group, each a :class:`typing.Protocol`:

- :class:`QueryState` — stored queries, epoch, query key, inline choices;
- :class:`PostingState` — post targets, schedules (and claims on their runs), posted log;
- :class:`WatchState` — watches, their cursors, claims on their checks, alerts sent.
  What the corpus holds (its newest paragraph, whether the search finds it yet) is not
  state: it is asked of the corpus database
  (:meth:`~store.db.index.SearchIndex.searchable_paragraph_id`).

:func:`open_state_store` opens the one the settings name: with no URL, the SQLite file of
the corpus itself (:class:`~store.db.database.Database`,
:class:`~store.db.posting.PostingStore` and :class:`~store.db.watches.WatchStore`, as
ever: nothing changes for one process); with
``postgresql://…``, PostgreSQL (:mod:`store.db.pg`), shared by replicas.  Adding a table
group is one more protocol here, one more attribute of :class:`StateStore`, and its two
implementations under ``store/db/`` (where all SQL lives).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from store.db.app_state import StateUnavailable, query_id_for
from store.db.database import Database
from store.db.posting import PostingStore, PostSchedule, PostTarget, ScheduleClaim
from store.db.watches import Watch, WatchClaim, WatchStore


class QueryState(Protocol):
    """Stored queries, the epoch and inline choices."""

    async def bot_epoch(self) -> str:
        """The state's epoch (six hex digits), carried in callback data."""
        ...

    async def query_key(self) -> bytes:
        """The secret that keys query ids (:func:`query_id_for`)."""
        ...

    async def remember_query(self, text: str) -> int:
        """Store ``text`` (or refresh it); its id, or 0 when it cannot be stored now."""
        ...

    async def store_query(self, query_id: int, text: str) -> bool:
        """Make ``query_id`` (:func:`query_id_for` ``text``) name ``text``."""
        ...

    async def get_query(self, query_id: int) -> str | None:
        """The text stored under ``query_id``, or ``None``."""
        ...

    async def record_inline_choice(self, paragraph_id: int) -> bool:
        """Count one choice of a paragraph from inline results."""
        ...

    async def most_chosen(self, limit: int) -> list[int]:
        """The paragraph ids chosen most often, most first."""
        ...


class PostingState(Protocol):
    """Post targets, schedules with claims on their runs, and the posted log."""

    async def link_target(
        self, owner_id: int, chat_id: int, chat_type: str, title: str, username: str | None
    ) -> tuple[PostTarget, bool]:
        """Link a chat for a user (or refresh it); (target, newly linked)."""
        ...

    async def find_target(self, owner_id: int, chat_id: int) -> PostTarget | None:
        """A user's link to a chat, or ``None``."""
        ...

    async def list_targets(self, owner_id: int) -> list[PostTarget]:
        """A user's links, oldest first."""
        ...

    async def unlink_target(self, owner_id: int, chat_id: int) -> list[int]:
        """Unlink a chat and drop the user's schedules there; their ids."""
        ...

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
        """Store a new enabled schedule."""
        ...

    async def get_schedule(self, schedule_id: int) -> PostSchedule | None:
        """One schedule, or ``None``."""
        ...

    async def list_schedules(
        self, *, creator_id: int | None = None, chat_id: int | None = None
    ) -> list[PostSchedule]:
        """Schedules by creator or by chat, by id."""
        ...

    async def enabled_schedules(self) -> list[PostSchedule]:
        """Every enabled schedule."""
        ...

    async def remove_schedule(self, schedule_id: int) -> bool:
        """Delete a schedule; False if there was none."""
        ...

    async def claim_schedule_run(
        self, schedule_id: int, due: datetime, lease_seconds: float
    ) -> ScheduleClaim:
        """Claim the run due at ``due`` for a lease (one claimant across processes)."""
        ...

    async def finish_schedule_run(
        self,
        schedule_id: int,
        *,
        error: str | None = None,
        disable: bool = False,
        due: datetime | None = None,
    ) -> None:
        """Record a run's outcome, mark run ``due`` done and release its claim."""
        ...

    async def move_chat(self, old_chat_id: int, new_chat_id: int, chat_type: str) -> None:
        """Links, schedules and the posted log follow a group that became a supergroup."""
        ...

    async def record_post(self, chat_id: int, paragraph_id: int, message_id: int | None) -> None:
        """Remember that a paragraph was posted to a chat."""
        ...

    async def posted_among(self, chat_id: int, paragraph_ids: Sequence[int]) -> set[int]:
        """Which of these paragraphs were posted to the chat."""
        ...

    async def posted_ids(self, chat_id: int) -> set[int]:
        """Every paragraph posted to the chat."""
        ...


class WatchState(Protocol):
    """/watch: the watches, their cursors, claims on their checks and the alerts sent
    (see :mod:`store.db.watches` for what the rows mean)."""

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
        """Store a new enabled watch (its cursor at ``seen_paragraph_id``); ``None`` when
        the owner has ``limit`` already (counted and added atomically)."""
        ...

    async def list_watches(self, owner_id: int) -> list[Watch]:
        """A user's watches, oldest first."""
        ...

    async def get_watch(self, watch_id: int) -> Watch | None:
        """One watch, or ``None``."""
        ...

    async def remove_watch(self, watch_id: int) -> bool:
        """Delete a watch and its record of alerts; False if there was none."""
        ...

    async def due_watches(self, up_to: int) -> list[Watch]:
        """Enabled watches not yet checked up to paragraph ``up_to``, by id."""
        ...

    async def claim_watch(
        self, watch_id: int, up_to: int, lease_seconds: float
    ) -> WatchClaim | None:
        """Claim checking a due watch for a lease (one claimant across processes)."""
        ...

    async def renew_claim(self, claim: WatchClaim, lease_seconds: float) -> bool:
        """Extend a claim; False when it is no longer the caller's."""
        ...

    async def release_claim(self, claim: WatchClaim) -> None:
        """End a claim (if it is still the caller's)."""
        ...

    async def sent_among(self, watch_id: int, paragraph_ids: Sequence[int]) -> set[int]:
        """Which of these paragraphs the watch already sent."""
        ...

    async def record_sent(self, watch_id: int, paragraph_ids: Sequence[int]) -> None:
        """Remember that the watch sent the alert for these paragraphs."""
        ...

    async def advance(self, watch_id: int, up_to: int) -> None:
        """Move the watch's cursor to ``up_to`` (never back)."""
        ...

    async def note_error(self, watch_id: int, error: str) -> None:
        """Why the watch's last check could not send everything."""
        ...

    async def disable_watch(self, watch_id: int, reason: str) -> None:
        """Switch a watch off, saying why."""
        ...

    async def disable_chat(self, chat_id: int, reason: str) -> list[Watch]:
        """Switch off the enabled watches of a chat; those switched off, by id."""
        ...

    async def move_chat(self, old_chat_id: int, new_chat_id: int, chat_type: str) -> None:
        """Watches follow a group that became a supergroup."""
        ...


@dataclass(frozen=True, slots=True)
class StateStore:
    """The open shared state: one attribute per table group; ``where`` says which store
    it is, for logs (never with a password)."""

    queries: QueryState
    posting: PostingState
    watches: WatchState
    where: str


def sqlite_state(db: Database) -> StateStore:
    """The shared state in the corpus's own SQLite file (one process, the default)."""
    return StateStore(
        queries=db,
        posting=PostingStore(db),
        where=f"the database file {db.path}",
        watches=WatchStore(db),
    )


@asynccontextmanager
async def open_state_store(
    url: str | None, db: Database, where: str = ""
) -> AsyncIterator[StateStore]:
    """The state the settings name: ``url`` ``None`` is the SQLite file of ``db``;
    a ``postgresql://`` URL is PostgreSQL (connected, migrated, closed on exit).  ``where``
    names the server in logs and errors: the URL without its password."""
    if url is None:
        yield sqlite_state(db)
        return
    from store.db.pg import open_pg_state  # asyncpg is imported only when it is used

    async with open_pg_state(url, where) as pg:
        yield StateStore(
            queries=pg.queries,
            posting=pg.posting,
            where=f"PostgreSQL at {where}",
            watches=pg.watches,
        )


async def probe_state_store(url: str, where: str = "") -> tuple[int, int]:
    """For a health check: the schema version of the PostgreSQL state at ``url`` and
    the version this program migrates it to; :class:`StateUnavailable` when it cannot
    be reached.  Nothing is written."""
    from store.db.pg import MIGRATIONS, probe_pg_state  # asyncpg only when it is used

    return await probe_pg_state(url, where or "the state URL"), len(MIGRATIONS)


__all__ = [
    "PostingState",
    "QueryState",
    "ScheduleClaim",
    "StateStore",
    "StateUnavailable",
    "WatchClaim",
    "WatchState",
    "open_state_store",
    "probe_state_store",
    "query_id_for",
    "sqlite_state",
]
