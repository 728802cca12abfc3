"""The posting store: migration 6, links, schedules and the posted-paragraph log."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from store.db import MIGRATIONS, Database, PostingStore, open_database
from store.models import Paragraph

CHANNEL = -1001234567890


async def test_a_version_5_database_is_upgraded_and_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "v5.db"
    with sqlite3.connect(path) as conn:
        for script in MIGRATIONS[:5]:
            assert isinstance(script, str)
            conn.executescript(script)
        conn.execute("PRAGMA user_version = 5")
        conn.execute("INSERT INTO bot_queries (id, text, last_used) VALUES (7, 'kept', 'now')")
    async with open_database(path) as db:
        assert await db.get_query(7) == "kept"
        store = PostingStore(db)
        assert await store.list_targets(1) == [] and await store.enabled_schedules() == []
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS) >= 6
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        assert {"post_targets", "post_schedules", "posted_paragraphs"} <= tables


async def test_links_are_per_user_and_unlinking_drops_the_users_schedules(tmp_path: Path) -> None:
    async with open_database(tmp_path / "p.db") as db:
        store = PostingStore(db)
        target, created = await store.link_target(1, CHANNEL, "channel", "Quotes", "quotes")
        assert created and (target.owner_id, target.chat_id, target.title) == (1, CHANNEL, "Quotes")
        again, created = await store.link_target(1, CHANNEL, "channel", "Renamed", "quotes")
        assert not created and again.id == target.id and again.title == "Renamed"
        await store.link_target(2, CHANNEL, "channel", "Quotes", "quotes")
        mine = await store.add_schedule(
            chat_id=CHANNEL,
            chat_type="channel",
            chat_title="Quotes",
            chat_username="quotes",
            creator_id=1,
            minute_of_day=510,
            query=None,
            collection=None,
        )
        theirs = await store.add_schedule(
            chat_id=CHANNEL,
            chat_type="channel",
            chat_title="Quotes",
            chat_username="quotes",
            creator_id=2,
            minute_of_day=600,
            query="heart",
            collection="default",
        )
        assert (mine.minute_of_day, mine.enabled, mine.query) == (510, True, None)
        assert await store.unlink_target(1, CHANNEL) == [mine.id]
        assert await store.list_targets(1) == []
        assert [t.owner_id for t in await store.list_targets(2)] == [2]
        assert [s.id for s in await store.enabled_schedules()] == [theirs.id]
        assert await store.get_schedule(theirs.id) == theirs


async def test_a_failed_run_can_disable_a_schedule(tmp_path: Path) -> None:
    async with open_database(tmp_path / "p.db") as db:
        store = PostingStore(db)
        schedule = await store.add_schedule(
            chat_id=CHANNEL,
            chat_type="channel",
            chat_title="Quotes",
            chat_username=None,
            creator_id=1,
            minute_of_day=0,
            query=None,
            collection=None,
        )
        await store.finish_schedule_run(schedule.id)
        ran = await store.get_schedule(schedule.id)
        assert ran is not None and ran.last_posted_at and ran.last_error is None and ran.enabled
        await store.finish_schedule_run(schedule.id, error="Forbidden", disable=True)
        stopped = await store.get_schedule(schedule.id)
        assert stopped is not None and not stopped.enabled and stopped.last_error == "Forbidden"
        assert stopped.last_posted_at == ran.last_posted_at
        assert await store.enabled_schedules() == []
        assert await store.remove_schedule(schedule.id)
        assert not await store.remove_schedule(schedule.id)


async def unposted(
    db: Database, store: PostingStore, chat_id: int, collection: str | None = None
) -> Paragraph | None:
    """A random paragraph never posted to ``chat_id``, picked as a schedule picks one: the
    posted log (the shared state) excluded from the corpus."""
    return await db.random_paragraph_excluding(await store.posted_ids(chat_id), collection)


async def test_random_unposted_paragraphs_never_repeat_per_chat(sample_db: Path) -> None:
    async with open_database(sample_db) as db:
        store = PostingStore(db)
        total = int((await db.stats())["paragraphs"])
        seen: set[int] = set()
        for _ in range(total):
            paragraph = await unposted(db, store, CHANNEL)
            assert paragraph is not None and paragraph.id not in seen
            seen.add(paragraph.id)
            await store.record_post(CHANNEL, paragraph.id, None)
        assert await unposted(db, store, CHANNEL) is None
        assert await store.posted_among(CHANNEL, sorted(seen)[:3]) == set(sorted(seen)[:3])
        assert await store.posted_among(-1, sorted(seen)) == set()  # other chats unaffected
        assert await unposted(db, store, -1) is not None
        assert await unposted(db, store, -1, collection="no such") is None
        assert await unposted(db, store, -1, collection="sample") is not None


async def test_moving_a_chat_keeps_links_schedules_and_the_posted_log(sample_db: Path) -> None:
    old, new = -4001, -1004001
    async with open_database(sample_db) as db:
        store = PostingStore(db)
        await store.link_target(1, old, "group", "Readers", None)
        await store.link_target(2, old, "group", "Readers", None)
        await store.link_target(2, new, "supergroup", "Readers", None)  # linked both already
        made = await store.add_schedule(
            chat_id=old,
            chat_type="group",
            chat_title="Readers",
            chat_username=None,
            creator_id=old,  # the group's anonymous administrators
            minute_of_day=0,
            query=None,
            collection=None,
        )
        first = await unposted(db, store, old)
        assert first is not None
        await store.record_post(old, first.id, 5)
        await store.move_chat(old, new, "supergroup")
        for owner in (1, 2):
            (target,) = await store.list_targets(owner)
            assert (target.chat_id, target.chat_type) == (new, "supergroup")
        moved = await store.get_schedule(made.id)
        assert moved is not None
        assert (moved.chat_id, moved.chat_type, moved.creator_id) == (new, "supergroup", new)
        assert await store.posted_among(new, [first.id]) == {first.id}
        assert await store.posted_among(old, [first.id]) == set()


async def test_migration_10_adds_the_picture_option_and_keeps_schedules(tmp_path: Path) -> None:
    path = tmp_path / "v9.db"
    async with open_database(path) as db:
        store = PostingStore(db)
        old = await store.add_schedule(
            chat_id=CHANNEL,
            chat_type="channel",
            chat_title="Quotes",
            chat_username="quotes",
            creator_id=1,
            minute_of_day=510,
            query="heart",
            collection=None,
        )
    with sqlite3.connect(path) as conn:  # back to version 9: a schedule made before pictures
        conn.execute("ALTER TABLE post_schedules DROP COLUMN picture")
        for column in ("claimed_until", "last_run_due"):  # and those of migration 12
            conn.execute(f"ALTER TABLE post_schedules DROP COLUMN {column}")
        conn.execute("PRAGMA user_version = 9")
    async with open_database(path) as db:
        store = PostingStore(db)
        kept = await store.get_schedule(old.id)
        assert kept is not None and kept.query == "heart" and kept.picture is False
        new = await store.add_schedule(
            chat_id=CHANNEL,
            chat_type="channel",
            chat_title="Quotes",
            chat_username="quotes",
            creator_id=1,
            minute_of_day=600,
            query=None,
            collection=None,
            picture=True,
        )
        assert new.picture is True
        assert [s.picture for s in await store.enabled_schedules()] == [False, True]
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS) >= 10
