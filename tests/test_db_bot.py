"""The bot's stored queries: ids that cannot be walked, and no failure while ingest writes."""

from __future__ import annotations

from pathlib import Path

from store.db import open_database
from store.db.app_state import query_id_for


async def test_query_ids_are_stable_per_text_and_not_sequential(tmp_path: Path) -> None:
    async with open_database(tmp_path / "q.db") as db:
        first = await db.remember_query("servant party")
        second = await db.remember_query("heart of a mother")
        assert first > 0 and second > 0 and first != second
        assert await db.remember_query("servant party") == first
        assert await db.get_query(first) == "servant party"
        # a forged button that counts up from a known id finds nobody else's search
        for guess in (first - 1, first + 1, second - 1, second + 1):
            assert await db.get_query(guess) is None


async def test_a_locked_database_gives_no_query_instead_of_an_error(tmp_path: Path) -> None:
    path = tmp_path / "q.db"
    async with open_database(path) as db, open_database(path) as ingest:
        await db.conn.execute("PRAGMA busy_timeout = 50")
        await ingest.conn.execute("BEGIN IMMEDIATE")  # another writer holds the lock
        try:
            assert await db.remember_query("servant party") == 0
        finally:
            await ingest.conn.execute("ROLLBACK")
        assert await db.remember_query("servant party") > 0


async def test_a_query_stored_before_keyed_ids_moves_to_its_keyed_id_when_chosen(
    tmp_path: Path,
) -> None:
    """A query stored under a random id (before migration 12) keeps it for chat searches;
    an inline result's buttons carry the keyed id, so choosing it moves the text there."""
    async with open_database(tmp_path / "q.db") as db:
        await db.conn.execute(
            "INSERT INTO bot_queries (id, text, last_used) VALUES (7, 'kept', '2020-01-01')"
        )
        assert await db.remember_query("kept") == 7
        keyed = query_id_for(await db.query_key(), "kept")
        assert await db.store_query(keyed, "kept")
        assert await db.get_query(keyed) == "kept" and await db.get_query(7) is None
        assert await db.remember_query("kept") == keyed
