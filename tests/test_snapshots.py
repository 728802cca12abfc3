"""`verbatim publish-snapshot`: the primary database copied, verified and published
atomically for replicas, with the primary's paragraph ids (so permalinks keep working)."""

from __future__ import annotations

import asyncio
import re
import shutil
import sqlite3
from pathlib import Path

import pytest
from conftest import speeches

from bot.cli.main import main as cli_main
from bot.core.service import VerbatimService
from bot.core.views import Card
from bot.telegram.render.chat import render_card
from store import (
    OlderSchemaError,
    SearcherPool,
    content_hash,
    open_database,
    sample_path,
    snapshot_identity,
    snapshot_path,
)

HARBOUR_QUERY = "lighthouse keeper spoke of tide number 7"  # only in the made-up speeches


def rows(path: Path) -> list[tuple[int, int, int, str]]:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return list(conn.execute("SELECT id, document_id, position, text FROM paragraphs"))
    finally:
        conn.close()


def publish(primary: Path, folder: Path, *extra: str) -> int:
    return cli_main(["publish-snapshot", "--db", str(primary), str(folder), *extra])


async def permalink_cards(path: Path, ids: list[int], *, read_only: bool) -> list[str]:
    """The card each ``p_<id>`` permalink opens, rendered, over the database at ``path``."""
    async with (
        open_database(path, read_only=read_only) as db,
        SearcherPool.open(path, 1, read_only=read_only) as pool,
    ):
        service = await VerbatimService.create(db, pool)
        cards = [await service.deep_link(f"p_{pid}") for pid in ids]
    assert all(isinstance(card, Card) for card in cards)
    return [render_card(card, "verbatim_bot").text for card in cards if isinstance(card, Card)]


async def add_speeches(primary: Path) -> None:
    async with open_database(primary) as db:
        await db.insert_documents([(d, content_hash(d.paragraphs)) for d in speeches()])
        await db.after_bulk_load()


async def search_hits(path: Path, query: str) -> list[int]:
    async with SearcherPool.open(path, 1, read_only=True) as pool:
        result = await pool.search(query, limit=3)
    return [hit.paragraph.id for hit in result.hits]


def test_a_snapshot_keeps_the_primarys_ids_and_permalinks_across_ingests(
    posting_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    primary, folder = posting_db, tmp_path / "snap"
    assert publish(primary, folder) == 0
    assert "the first snapshot there" in capsys.readouterr().out
    snap = snapshot_path(folder)
    first = rows(snap)
    assert first == rows(primary) and len(first) == 32
    ids = [row[0] for row in first]
    assert asyncio.run(permalink_cards(snap, ids, read_only=True)) == asyncio.run(
        permalink_cards(primary, ids, read_only=False)
    )

    # a replica holding the first snapshot open keeps reading it across the next publish
    held = sqlite3.connect(f"{snap.resolve().as_uri()}?mode=ro", uri=True)
    try:
        before = snapshot_identity(snap)
        asyncio.run(add_speeches(primary))
        assert publish(primary, folder) == 0
        out = capsys.readouterr().out
        assert "ids of the previous snapshot kept, 3 documents added" in out
        assert "4 documents, 62 paragraphs" in out
        assert snapshot_identity(snap) != before
        assert held.execute("SELECT count(*) FROM paragraphs").fetchone()[0] == 32
    finally:
        held.close()

    second = rows(snap)
    assert second[:32] == first  # the old ids resolve to the same text, in the same place
    assert len(second) == 62
    assert asyncio.run(permalink_cards(snap, ids, read_only=True)) == asyncio.run(
        permalink_cards(primary, ids, read_only=False)
    )
    harbour = asyncio.run(search_hits(snap, HARBOUR_QUERY))
    assert harbour and harbour[0] > max(ids)  # the new document is searchable
    assert asyncio.run(search_hits(snap, HARBOUR_QUERY)) == harbour
    assert not list(folder.glob(".*"))  # no staging file left behind


def test_a_snapshot_is_one_read_only_file_with_an_up_to_date_vocabulary(
    posting_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with sqlite3.connect(posting_db) as conn:  # as if an ingest had crashed mid-way
        conn.execute("UPDATE derived_state SET stale_since = '2024-01-01 00:00:00'")
    assert publish(posting_db, tmp_path / "snap") == 0
    assert "search vocabulary rebuilt in the copy" in capsys.readouterr().out
    snap = snapshot_path(tmp_path / "snap")
    assert sorted(p.name for p in snap.parent.iterdir()) == ["corpus.db"]
    conn = sqlite3.connect(f"{snap.resolve().as_uri()}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        stale = conn.execute("SELECT stale_since FROM derived_state").fetchone()[0]
        assert stale is None
    finally:
        conn.close()

    async def write_to_it() -> None:
        async with open_database(snap, read_only=True) as db:
            assert db.read_only and await db.count_documents() == 1
            with pytest.raises(sqlite3.OperationalError, match="readonly"):
                await db.remember_query("a query")

    asyncio.run(write_to_it())
    assert sorted(p.name for p in snap.parent.iterdir()) == ["corpus.db"]  # no -wal, -shm


def test_a_rebuilt_primary_is_not_published_over_the_ids_people_hold(
    posting_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "snap"
    assert publish(posting_db, folder) == 0
    published = snapshot_identity(snapshot_path(folder))
    capsys.readouterr()

    rebuilt = tmp_path / "rebuilt.db"  # the same speech, ingested after others: new ids

    async def build() -> None:
        async with open_database(rebuilt) as db:
            await db.insert_documents([(d, content_hash(d.paragraphs)) for d in speeches()])
            await db.after_bulk_load()

    asyncio.run(build())
    assert cli_main(["ingest", "--db", str(rebuilt), str(sample_path())]) == 0
    capsys.readouterr()
    assert publish(rebuilt, folder) == 1
    err = capsys.readouterr().err
    assert "not published" in err and "epoch" in err and "--allow-new-ids" in err
    assert snapshot_identity(snapshot_path(folder)) == published  # left as it was

    with sqlite3.connect(rebuilt) as conn:  # the same epoch, other ids: still refused
        epoch = sqlite3.connect(posting_db).execute("SELECT value FROM bot_meta").fetchone()[0]
        conn.execute("UPDATE bot_meta SET value = ? WHERE key = 'epoch'", (epoch,))
    assert publish(rebuilt, folder) == 1
    err = capsys.readouterr().err
    # the sample's document id now holds another text, and most of its paragraph ids
    # belong to other documents or places
    assert re.search(r"1 documents and \d+ paragraphs of the published snapshot", err), err
    assert snapshot_identity(snapshot_path(folder)) == published

    assert publish(rebuilt, folder, "--allow-new-ids") == 0
    assert "ids NOT compared" in capsys.readouterr().out
    assert rows(snapshot_path(folder)) == rows(rebuilt)


def test_publish_exit_codes(
    posting_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert publish(tmp_path / "missing.db", tmp_path / "snap") == 3
    assert "no database at" in capsys.readouterr().err
    (tmp_path / "file").write_text("")
    assert publish(posting_db, tmp_path / "file") == 2
    assert "is not a folder" in capsys.readouterr().err

    empty = tmp_path / "empty.db"

    async def make_empty() -> None:
        async with open_database(empty) as db:
            await db.ping()

    asyncio.run(make_empty())
    assert publish(empty, tmp_path / "snap") == 1
    assert "holds no documents" in capsys.readouterr().err
    assert not snapshot_path(tmp_path / "snap").exists()

    newer = Path(shutil.copy(posting_db, tmp_path / "newer.db"))
    with sqlite3.connect(newer) as conn:
        conn.execute("PRAGMA user_version = 999")
    assert publish(newer, tmp_path / "snap") == 4
    assert "upgrade verbatim-bot" in capsys.readouterr().err


def test_an_older_primary_is_migrated_in_the_copy_and_a_replica_refuses_an_old_snapshot(
    posting_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    older = Path(shutil.copy(posting_db, tmp_path / "older.db"))
    with sqlite3.connect(older) as conn:  # schema 12: before the watches' claims
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 13
        conn.execute("ALTER TABLE watches DROP COLUMN claimed_until")
        conn.execute("ALTER TABLE watches DROP COLUMN claim_token")
        conn.execute("PRAGMA user_version = 12")

    async def open_old() -> None:
        async with open_database(older, read_only=True):
            pass

    with pytest.raises(OlderSchemaError, match="publish a new snapshot"):
        asyncio.run(open_old())
    assert publish(older, tmp_path / "snap") == 0
    assert "migrated from schema 12" in capsys.readouterr().out
    with sqlite3.connect(older) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 12  # the primary untouched
    assert rows(snapshot_path(tmp_path / "snap")) == rows(older)
