"""/watch's state (:class:`store.state.WatchState`) from the SQLite file and from
PostgreSQL (a throw-away cluster, tests/pg.py; those cases skip, saying why, without
it): the limit (also from several connections at once), listing and removing, the
cursor, what was sent, switching watches off, following a chat, and the claim under
which one replica checks a watch.  The corpus side (what is searchable yet) is the
SQLite corpus file's in both cases.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from watch_docs import orchard, unrelated

from store import Database, content_hash, open_database
from store.db import MIGRATIONS
from store.state import StateStore, WatchState, open_state_store

OWNER = 111
CHANNEL = -1001234567890
SAMPLE_PARAGRAPHS = 32


@dataclass
class Opened:
    """The corpus and the state over it (its own file, or PostgreSQL)."""

    db: Database
    state: StateStore

    @property
    def watches(self) -> WatchState:
        return self.state.watches


@asynccontextmanager
async def opened(url: str | None, db_path: Path) -> AsyncIterator[Opened]:
    async with open_database(db_path) as db, open_state_store(url, db, "test") as state:
        yield Opened(db, state)


@pytest.fixture
async def both(state_url: str | None, posting_db: Path) -> AsyncIterator[Opened]:
    async with opened(state_url, posting_db) as found:
        yield found


async def add(
    store: WatchState,
    query: str = "words",
    *,
    owner: int = OWNER,
    chat: int = OWNER,
    seen: int = SAMPLE_PARAGRAPHS,
):
    return await store.add_watch(
        owner_id=owner,
        chat_id=chat,
        chat_type="private" if chat == owner else "channel",
        chat_title="Ada" if chat == owner else "Quotes",
        chat_username=None,
        query=query,
        seen_paragraph_id=seen,
        limit=20,
    )


async def store_documents(db: Database, *docs, vocabulary: bool = True) -> None:
    await db.insert_documents([(d, content_hash(d.paragraphs)) for d in docs])
    if vocabulary:
        await db.after_bulk_load()


async def test_a_new_watch_starts_at_its_cursor_and_is_due_above_it(both: Opened) -> None:
    store = both.watches
    assert await both.db.searchable_paragraph_id() == SAMPLE_PARAGRAPHS
    watch = await add(store, "servants of the people")
    assert watch is not None and watch.seen_paragraph_id == SAMPLE_PARAGRAPHS and watch.enabled
    assert watch.query == "servants of the people" and watch.chat_id == OWNER
    assert watch.created_at.endswith("+00:00") and watch.last_alert_at is None
    assert await store.due_watches(SAMPLE_PARAGRAPHS) == []
    await store_documents(both.db, orchard())
    assert await both.db.searchable_paragraph_id() == 35
    assert [w.id for w in await store.due_watches(35)] == [watch.id]
    assert await store.get_watch(watch.id) == watch
    assert await store.get_watch(watch.id + 1000) is None


async def test_the_limit_is_kept_when_requests_race(
    state_url: str | None, posting_db: Path
) -> None:
    async with AsyncExitStack() as stack:  # four connections, as four replicas
        replicas = [
            await stack.enter_async_context(opened(state_url, posting_db)) for _ in range(4)
        ]
        made = await asyncio.gather(
            *(add(replicas[n % 4].watches, f"query {n}") for n in range(25))
        )
        store = replicas[0].watches
        assert sum(w is not None for w in made) == 20
        assert len(await store.list_watches(OWNER)) == 20
        assert await add(store, "one more") is None
        assert await add(store, "another user's", owner=222, chat=222) is not None
        listed = await store.list_watches(OWNER)
        assert [w.id for w in listed] == sorted(w.id for w in made if w is not None)
        assert [w.query for w in await replicas[3].watches.list_watches(222)] == ["another user's"]


async def test_sent_paragraphs_are_kept_until_the_cursor_passes_them(both: Opened) -> None:
    store = both.watches
    watch = await add(store)
    assert watch is not None
    await store.record_sent(watch.id, [33, 34, 34])
    assert await store.sent_among(watch.id, [33, 34, 35]) == {33, 34}
    stored = await store.get_watch(watch.id)
    assert stored is not None and stored.last_alert_at is not None
    await store.advance(watch.id, 33)
    assert await store.sent_among(watch.id, [33, 34, 35]) == {34}  # 33 is below the cursor
    await store.advance(watch.id, 20)  # never back
    stored = await store.get_watch(watch.id)
    assert stored is not None and stored.seen_paragraph_id == 33
    assert [w.id for w in await store.due_watches(34)] == [watch.id]
    assert await store.due_watches(33) == []


async def test_an_error_is_noted_and_cleared_by_the_next_alert(both: Opened) -> None:
    store = both.watches
    watch = await add(store)
    assert watch is not None
    await store.note_error(watch.id, "Too Many Requests: retry after 1")
    noted = await store.get_watch(watch.id)
    assert noted is not None and noted.enabled
    assert noted.last_error == "Too Many Requests: retry after 1"
    await store.record_sent(watch.id, [33])
    cleared = await store.get_watch(watch.id)
    assert cleared is not None and cleared.last_error is None


async def test_a_removed_watch_takes_its_record_along(both: Opened) -> None:
    store = both.watches
    watch = await add(store)
    assert watch is not None
    await store.record_sent(watch.id, [40])
    assert await store.remove_watch(watch.id)
    assert not await store.remove_watch(watch.id)
    await store.record_sent(watch.id, [41])  # a check that was running: nothing, no error
    assert await store.sent_among(watch.id, [40, 41]) == set()
    assert await store.list_watches(OWNER) == []


async def test_a_chat_that_refuses_the_bot_switches_off_its_watches(both: Opened) -> None:
    store = both.watches
    mine = await add(store, "mine")
    first = await add(store, "first", chat=CHANNEL)
    second = await add(store, "second", owner=222, chat=CHANNEL)
    assert mine and first and second
    stopped = await store.disable_chat(CHANNEL, "Forbidden: bot was kicked")
    assert [w.id for w in stopped] == [first.id, second.id]
    assert all(not w.enabled and w.last_error == "Forbidden: bot was kicked" for w in stopped)
    assert await store.disable_chat(CHANNEL, "again") == []  # only those still on
    await store_documents(both.db, unrelated(1))
    assert [w.id for w in await store.due_watches(33)] == [mine.id]
    await store.disable_watch(mine.id, "its owner is no longer an administrator")
    assert await store.due_watches(33) == []
    off = await store.get_watch(mine.id)
    assert off is not None and not off.enabled
    assert off.last_error == "its owner is no longer an administrator"


async def test_watches_follow_a_group_that_became_a_supergroup(both: Opened) -> None:
    store = both.watches
    watch = await add(store, chat=-4001)
    assert watch is not None
    await store.move_chat(-4001, -1004001, "supergroup")
    moved = await store.get_watch(watch.id)
    assert moved is not None and (moved.chat_id, moved.chat_type) == (-1004001, "supergroup")


async def test_a_watch_is_claimed_once_renewed_by_its_holder_and_retaken_when_expired(
    both: Opened,
) -> None:
    store = both.watches
    watch = await add(store)
    assert watch is not None
    assert await store.claim_watch(watch.id, SAMPLE_PARAGRAPHS, 300) is None  # not due
    claim = await store.claim_watch(watch.id, 35, 300)
    assert claim is not None and claim.watch == watch
    assert await store.claim_watch(watch.id, 35, 300) is None  # held
    assert await store.renew_claim(claim, 300)
    await store.release_claim(claim)
    again = await store.claim_watch(watch.id, 35, 0)  # its holder dies at once
    assert again is not None and again.token != claim.token
    assert not await store.renew_claim(claim, 300)  # an old claim is no one's
    taken_over = await store.claim_watch(watch.id, 35, 300)  # the lease had run out
    assert taken_over is not None
    assert not await store.renew_claim(again, 300)  # the dead holder's claim is gone
    await store.release_claim(again)  # and releasing it does not free the new one
    assert await store.claim_watch(watch.id, 35, 300) is None
    await store.advance(watch.id, 35)
    await store.release_claim(taken_over)
    assert await store.claim_watch(watch.id, 35, 300) is None  # checked that far: not due
    fresh = await store.claim_watch(watch.id, 36, 300)
    assert fresh is not None and fresh.watch.seen_paragraph_id == 35  # the cursor as it is now
    await store.release_claim(fresh)
    await store.disable_watch(watch.id, "off")
    assert await store.claim_watch(watch.id, 36, 300) is None  # switched off
    assert await store.claim_watch(watch.id + 1000, 36, 300) is None  # no such watch


async def test_replicas_racing_on_one_watch_get_one_claim(
    state_url: str | None, posting_db: Path
) -> None:
    async with AsyncExitStack() as stack:
        replicas = [
            await stack.enter_async_context(opened(state_url, posting_db)) for _ in range(4)
        ]
        watch = await add(replicas[0].watches)
        assert watch is not None
        for up_to in (33, 34, 35):
            claims = await asyncio.gather(
                *(r.watches.claim_watch(watch.id, up_to, 300) for r in replicas)
            )
            winners = [(r, c) for r, c in zip(replicas, claims, strict=True) if c is not None]
            assert len(winners) == 1, claims
            replica, claim = winners[0]
            await replica.watches.advance(watch.id, up_to)
            await replica.watches.release_claim(claim)


async def test_nothing_is_searchable_while_the_vocabulary_lags_behind(both: Opened) -> None:
    await store_documents(both.db, orchard(), vocabulary=False)  # an ingest before its last step
    assert await both.db.searchable_paragraph_id() is None
    await both.db.rebuild_search_vocab()
    assert await both.db.searchable_paragraph_id() == 35


async def test_a_file_with_the_claim_columns_already_upgrades(posting_db: Path) -> None:
    """Migration 13 keeps columns a file set back by hand still has (as other tests'
    files are set back)."""
    with sqlite3.connect(posting_db) as conn:
        conn.execute("PRAGMA user_version = 12")
    async with opened(None, posting_db) as found:
        assert await found.db.schema_version() == len(MIGRATIONS) >= 13
        watch = await add(found.watches)
        assert watch is not None
        claim = await found.watches.claim_watch(watch.id, 33, 300)
        assert claim is not None
        await found.watches.release_claim(claim)
    with sqlite3.connect(posting_db) as conn:
        conn.execute("ALTER TABLE watches DROP COLUMN claim_token")
        conn.execute("PRAGMA user_version = 12")
    async with opened(None, posting_db) as found:
        (kept,) = await found.watches.list_watches(OWNER)
        assert await found.watches.claim_watch(kept.id, 33, 300) is not None
