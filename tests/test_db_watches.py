"""WatchStore: the limit, the cursor, what was sent, switching watches off."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from watch_docs import orchard, unrelated

from store import Database, WatchStore, content_hash, open_database

OWNER = 111
CHANNEL = -1001234567890


@pytest.fixture
async def db(posting_db: Path) -> AsyncIterator[Database]:
    async with open_database(posting_db) as opened:
        yield opened


async def add(store: WatchStore, query: str = "words", *, owner: int = OWNER, chat: int = OWNER):
    return await store.add_watch(
        owner_id=owner,
        chat_id=chat,
        chat_type="private" if chat == owner else "channel",
        chat_title="Ada" if chat == owner else "Quotes",
        chat_username=None,
        query=query,
        limit=20,
    )


async def store_documents(db: Database, *docs, vocabulary: bool = True) -> None:
    await db.insert_documents([(d, content_hash(d.paragraphs)) for d in docs])
    if vocabulary:
        await db.after_bulk_load()


async def test_a_new_watch_starts_at_the_newest_paragraph(db: Database) -> None:
    store = WatchStore(db)
    newest = await store.searchable_paragraph_id()
    assert newest == 32  # the sample's paragraphs
    watch = await add(store, "servants of the people")
    assert watch is not None and watch.seen_paragraph_id == 32 and watch.enabled
    assert watch.query == "servants of the people" and watch.chat_id == OWNER
    assert await store.due_watches(32) == []
    await store_documents(db, orchard())
    assert await store.searchable_paragraph_id() == 35
    assert [w.id for w in await store.due_watches(35)] == [watch.id]


async def test_the_limit_is_counted_and_kept_in_one_statement(db: Database) -> None:
    store = WatchStore(db)
    made = await asyncio.gather(*(add(store, f"query {n}") for n in range(25)))
    assert sum(w is not None for w in made) == 20
    assert await store.count_watches(OWNER) == 20
    assert await add(store, "one more") is None
    assert await add(store, "another user's", owner=222, chat=222) is not None
    listed = await store.list_watches(OWNER)
    assert [w.id for w in listed] == sorted(w.id for w in made if w is not None)


async def test_sent_paragraphs_are_kept_until_the_cursor_passes_them(db: Database) -> None:
    store = WatchStore(db)
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


async def test_a_removed_watch_takes_its_record_along(db: Database) -> None:
    store = WatchStore(db)
    watch = await add(store)
    assert watch is not None
    await store.record_sent(watch.id, [40])
    assert await store.remove_watch(watch.id)
    assert not await store.remove_watch(watch.id)
    await store.record_sent(watch.id, [41])  # a check that was running: nothing, no error
    assert await store.sent_among(watch.id, [40, 41]) == set()


async def test_a_chat_that_refuses_the_bot_switches_off_its_watches(db: Database) -> None:
    store = WatchStore(db)
    mine = await add(store, "mine")
    first = await add(store, "first", chat=CHANNEL)
    second = await add(store, "second", owner=222, chat=CHANNEL)
    assert mine and first and second
    stopped = await store.disable_chat(CHANNEL, "Forbidden: bot was kicked")
    assert [w.id for w in stopped] == [first.id, second.id]
    assert all(not w.enabled and w.last_error == "Forbidden: bot was kicked" for w in stopped)
    assert await store.disable_chat(CHANNEL, "again") == []  # only those still on
    await store_documents(db, unrelated(1))
    assert [w.id for w in await store.due_watches(33)] == [mine.id]


async def test_watches_follow_a_group_that_became_a_supergroup(db: Database) -> None:
    store = WatchStore(db)
    watch = await add(store, chat=-4001)
    assert watch is not None
    await store.move_chat(-4001, -1004001, "supergroup")
    moved = await store.get_watch(watch.id)
    assert moved is not None and (moved.chat_id, moved.chat_type) == (-1004001, "supergroup")


async def test_nothing_is_searchable_while_the_vocabulary_lags_behind(db: Database) -> None:
    store = WatchStore(db)
    await store_documents(db, orchard(), vocabulary=False)  # an ingest before its last step
    assert await store.searchable_paragraph_id() is None
    await db.rebuild_search_vocab()
    assert await store.searchable_paragraph_id() == 35
