"""The shared state behind its interface (:mod:`store.state`): the same behaviour from
the SQLite file and from PostgreSQL (a throw-away cluster, tests/pg.py; those cases skip,
saying why, without PostgreSQL).

Stored queries, epoch and query key, inline choices, post targets, schedules, the posted
log, moving a chat, and claims on a schedule's daily run — also from two connections at
once, as two replicas would.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from store.db import open_database
from store.state import StateStore, open_state_store, query_id_for

CHANNEL = -1001234567890
DUE = datetime(2030, 6, 1, 8, 30, tzinfo=UTC)


@asynccontextmanager
async def opened(url: str | None, db_path: Path) -> AsyncIterator[StateStore]:
    """The state over the corpus at ``db_path``: its own file, or PostgreSQL."""
    async with open_database(db_path) as db, open_state_store(url, db, "test") as state:
        yield state


async def add_schedule(state: StateStore, creator_id: int = 1, chat_id: int = CHANNEL) -> int:
    made = await state.posting.add_schedule(
        chat_id=chat_id,
        chat_type="channel",
        chat_title="Quotes",
        chat_username="quotes",
        creator_id=creator_id,
        minute_of_day=510,
        query=None,
        collection=None,
    )
    return made.id


async def test_stored_queries_round_trip_under_their_keyed_ids(
    state_url: str | None, posting_db: Path
) -> None:
    async with opened(state_url, posting_db) as state:
        queries = state.queries
        key = await queries.query_key()
        assert len(key) >= 16 and await queries.query_key() == key
        first = await queries.remember_query("servant party")
        assert first == query_id_for(key, "servant party")  # every process derives it
        assert await queries.remember_query("servant party") == first
        assert await queries.get_query(first) == "servant party"
        for guess in (first - 1, first + 1):  # a forged button finds nobody else's search
            assert await queries.get_query(guess) is None
        # an inline query's id is derived without writing; stored when a result is chosen
        chosen = query_id_for(key, "heart of a mother")
        assert await queries.get_query(chosen) is None
        assert await queries.store_query(chosen, "heart of a mother")
        assert await queries.store_query(chosen, "heart of a mother")  # again: refreshed
        assert await queries.get_query(chosen) == "heart of a mother"
        assert await queries.remember_query("heart of a mother") == chosen
        assert not await queries.store_query(chosen, "another text")  # the id is taken
        assert await queries.get_query(chosen) == "heart of a mother"
        odd = "lone \ud800 surrogate"
        assert await queries.get_query(await queries.remember_query(odd)) == "lone \ufffd surrogate"


async def test_the_epoch_and_key_are_made_once_and_kept(
    state_url: str | None, posting_db: Path
) -> None:
    async with opened(state_url, posting_db) as state:
        epoch, key = await state.queries.bot_epoch(), await state.queries.query_key()
    assert re.fullmatch(r"[0-9a-f]{6}", epoch)
    async with opened(state_url, posting_db) as again:  # a restart, or another replica
        assert await again.queries.bot_epoch() == epoch
        assert await again.queries.query_key() == key


async def test_inline_choices_are_counted_most_first(
    state_url: str | None, posting_db: Path
) -> None:
    async with opened(state_url, posting_db) as state:
        queries = state.queries
        assert await queries.most_chosen(5) == []
        for paragraph_id in (5, 7, 5, 9):
            assert await queries.record_inline_choice(paragraph_id)
        assert await queries.most_chosen(5) == [5, 9, 7]  # ties: the latest chosen first
        assert await queries.most_chosen(1) == [5]


async def test_targets_schedules_and_unlinking(state_url: str | None, posting_db: Path) -> None:
    async with opened(state_url, posting_db) as state:
        store = state.posting
        target, created = await store.link_target(1, CHANNEL, "channel", "Quotes", "quotes")
        assert created and (target.owner_id, target.chat_id, target.title) == (1, CHANNEL, "Quotes")
        again, created = await store.link_target(1, CHANNEL, "channel", "Renamed", "quotes")
        assert not created and again.id == target.id and again.title == "Renamed"
        assert (
            await store.find_target(1, CHANNEL) == again and await store.find_target(2, 1) is None
        )
        await store.link_target(2, CHANNEL, "channel", "Quotes", "quotes")
        mine, theirs = await add_schedule(state, 1), await add_schedule(state, 2)
        assert theirs > mine
        made = await store.get_schedule(mine)
        assert made is not None and (made.minute_of_day, made.enabled, made.query) == (
            510,
            True,
            None,
        )
        assert made.created_at and made.last_posted_at is None and made.picture is False
        assert [s.id for s in await store.list_schedules(chat_id=CHANNEL)] == [mine, theirs]
        assert [s.id for s in await store.list_schedules(creator_id=2)] == [theirs]
        assert await store.unlink_target(1, CHANNEL) == [mine]
        assert await store.list_targets(1) == []
        assert [t.owner_id for t in await store.list_targets(2)] == [2]
        assert [s.id for s in await store.enabled_schedules()] == [theirs]
        await store.finish_schedule_run(theirs)
        ran = await store.get_schedule(theirs)
        assert ran is not None and ran.last_posted_at and ran.last_error is None and ran.enabled
        await store.finish_schedule_run(theirs, error="Forbidden", disable=True)
        stopped = await store.get_schedule(theirs)
        assert stopped is not None and not stopped.enabled and stopped.last_error == "Forbidden"
        assert stopped.last_posted_at == ran.last_posted_at
        assert await store.enabled_schedules() == []
        assert await store.remove_schedule(theirs) and not await store.remove_schedule(theirs)
        assert await add_schedule(state) > theirs  # ids are never reused


async def test_the_posted_log_and_moving_a_chat(state_url: str | None, posting_db: Path) -> None:
    old, new = -4001, -1004001
    async with opened(state_url, posting_db) as state:
        store = state.posting
        await store.link_target(1, old, "group", "Readers", None)
        await store.link_target(2, old, "group", "Readers", None)
        await store.link_target(2, new, "supergroup", "Readers", None)  # linked both already
        made = await add_schedule(state, creator_id=old, chat_id=old)  # anonymous admins
        for paragraph_id in (3, 4):
            await store.record_post(old, paragraph_id, 10 + paragraph_id)
        await store.record_post(new, 4, 99)  # the new id already has this one
        assert await store.posted_ids(old) == {3, 4}
        assert await store.posted_among(old, [1, 3, 3, 4]) == {3, 4}
        assert await store.posted_among(-1, [3, 4]) == set()  # other chats unaffected
        await store.move_chat(old, new, "supergroup")
        for owner in (1, 2):
            (target,) = await store.list_targets(owner)
            assert (target.chat_id, target.chat_type) == (new, "supergroup")
        moved = await store.get_schedule(made)
        assert moved is not None
        assert (moved.chat_id, moved.chat_type, moved.creator_id) == (new, "supergroup", new)
        assert await store.posted_ids(new) == {3, 4} and await store.posted_ids(old) == set()


async def test_a_run_is_claimed_once_done_once_and_an_expired_claim_is_retaken(
    state_url: str | None, posting_db: Path
) -> None:
    async with opened(state_url, posting_db) as state:
        store = state.posting
        schedule = await add_schedule(state)
        first = await store.claim_schedule_run(schedule, DUE, 300)
        assert first.claimed
        held = await store.claim_schedule_run(schedule, DUE, 300)
        assert not held.claimed and held.held_until is not None  # look again after the lease
        lease_left = held.held_until - datetime.now(UTC)
        assert timedelta(seconds=200) < lease_left <= timedelta(seconds=300)
        await store.finish_schedule_run(schedule, due=DUE)
        done = await store.claim_schedule_run(schedule, DUE, 300)
        assert not done.claimed and done.held_until is None  # that run is done
        later = DUE - timedelta(days=1)  # an older run is done too (a late replica's)
        assert not (await store.claim_schedule_run(schedule, later, 300)).claimed
        tomorrow = DUE + timedelta(days=1)
        died = await store.claim_schedule_run(schedule, tomorrow, 0)  # its holder died at once
        assert died.claimed
        taken_over = await store.claim_schedule_run(schedule, tomorrow, 300)
        assert taken_over.claimed  # the claim had expired
        await store.finish_schedule_run(schedule, error="Forbidden", disable=True, due=tomorrow)
        off = await store.claim_schedule_run(schedule, tomorrow + timedelta(days=1), 300)
        assert not off.claimed and off.held_until is None  # switched off: nothing to claim
        assert not (await store.claim_schedule_run(schedule + 100, DUE, 300)).claimed


async def test_replicas_racing_on_one_run_get_one_claim(
    state_url: str | None, posting_db: Path
) -> None:
    async with AsyncExitStack() as stack:
        replicas = [
            await stack.enter_async_context(opened(state_url, posting_db)) for _ in range(4)
        ]
        schedule = await add_schedule(replicas[0])
        for day in range(3):
            due = DUE + timedelta(days=day)
            claims = await asyncio.gather(
                *(r.posting.claim_schedule_run(schedule, due, 300) for r in replicas)
            )
            assert sum(c.claimed for c in claims) == 1, claims
            winner = replicas[[c.claimed for c in claims].index(True)]
            await winner.posting.finish_schedule_run(schedule, due=due)
