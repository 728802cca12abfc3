"""The scan retrieval of large collections: pool choice, ordering helpers, bounded work."""

from __future__ import annotations

import logging
import random
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import store.search.engine as search
from store.db import Database, open_database
from store.models import ParsedDocument
from store.search.engine import Searcher
from store.search.plan import Slot, anchor_slots, pair_hits, scan_pools, slot_weight, word_pairs
from store.search.terms import beyond_cap
from store.text.norm import fold

QUOTE = "We shall defend our island, whatever the cost may be, we shall fight on the beaches."


def slot(word: str, df: int) -> Slot:
    return Slot(word, (word,), df)


def test_anchor_slots_take_the_rarest_that_fit_the_budget() -> None:
    ordered = [slot("beaches", 10), slot("island", 30), slot("fight", 80), slot("the", 900)]
    assert [s.word for s in anchor_slots(ordered, 50)] == ["beaches", "island"]
    assert anchor_slots(ordered, 5) == []


def test_loosest_pool_survives_a_wrong_rare_word() -> None:
    ordered = [slot("beachs", 3), slot("island", 30), slot("fight", 80), slot("cost", 90)]
    pools = scan_pools(ordered, 50)
    loosest = pools[0].expression
    # any rare word alone, or two of the next three: "beachs" (misspelt) is not needed
    assert '"island"' in loosest and '("fight" AND "cost")' in loosest
    assert [s.word for s in pools[0].alone] == ["beachs", "island"]
    assert pools[-1].expression == '"beachs" OR "island"'


def test_common_words_only_pool_is_all_of_the_rarest() -> None:
    ordered = [slot("fight", 80), slot("shall", 90), slot("we", 95), slot("the", 99)]
    pools = scan_pools(ordered, 50)
    assert pools[-1].expression == '("fight" AND "shall" AND "we" AND "the")'
    assert [s.word for s in pools[-1].implied] == ["fight", "shall", "we", "the"]
    assert '("fight" AND "shall")' in pools[0].expression and not pools[0].alone


def test_word_pairs_and_hits() -> None:
    pairs = word_pairs(["fight", "on", "the", "the", "beaches"])
    assert pairs == ["fight on", "on the", "the beaches"]
    assert pair_hits(pairs, QUOTE.lower()) == 3
    assert pair_hits(pairs, "on the beaches we fight") == 2


def test_rarer_words_weigh_more() -> None:
    assert slot_weight(slot("beaches", 3), 1000) > slot_weight(slot("the", 900), 1000) > 0


@pytest.fixture
async def big(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Database]:
    """1,200 paragraphs ("the" in every one), searched as a large collection."""
    monkeypatch.setattr(search, "SCAN_FROM", 0)
    filler = [f"The report number {n} of the archive lists item {n * 7}." for n in range(1200)]
    async with open_database(tmp_path / "big.db") as db:
        doc = ParsedDocument("Archive", [*filler[:600], QUOTE, *filler[600:]], "a.txt", "text")
        await db.insert_documents([(doc, "h1")])
        yield db


async def test_scan_finds_a_misspelt_quote_in_a_large_collection(big: Database) -> None:
    result = await Searcher(big).search("we shal defnd our iland whatever the cost")
    assert result.hits and result.hits[0].paragraph.text == QUOTE


async def test_scan_finds_a_quote_with_a_word_changed(big: Database) -> None:
    result = await Searcher(big).search("we shall defend our isle, whatever the cost may be")
    assert result.hits and result.hits[0].paragraph.text == QUOTE


async def test_only_very_common_words_give_nothing_cheaply(big: Database) -> None:
    searcher = Searcher(big)
    assert (await searcher.search("the")).hits == []
    assert (await searcher.search("of the")).hits == []
    # a rarer word with them is still found
    result = await searcher.search("the archive lists item 700")
    assert result.hits and "item 700." in result.hits[0].paragraph.text


COMMON_WORDS = [
    "we",
    "shall",
    "go",
    "on",
    "to",
    "the",
    "end",
    "and",
    "fight",
    "in",
    "every",
    "field",
]
STOCK = "and fight to the end we shall go on in every field"  # the one paragraph in this order


@pytest.fixture
async def shuffled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Database]:
    """1,201 paragraphs of the same twelve words (each word in every paragraph, so
    every word is common); only their order tells one paragraph from another."""
    monkeypatch.setattr(search, "SCAN_FROM", 0)
    rng = random.Random(5)
    filler = []
    for _ in range(1200):
        words = COMMON_WORDS[:]
        rng.shuffle(words)
        filler.append(" ".join(words).capitalize() + ".")
    async with open_database(tmp_path / "shuffled.db") as db:
        doc = ParsedDocument("Orders", [*filler[:700], STOCK + ".", *filler[700:]], "o.txt", "text")
        await db.insert_documents([(doc, "h1")])
        await db.after_bulk_load()
        yield db


async def test_word_pairs_find_a_quote_made_only_of_common_words(shuffled: Database) -> None:
    searcher = Searcher(shuffled)
    for query in (
        "and fight to the end we shall go",  # as said
        "and fight to end we shall go on",  # a word dropped
        "and fight the to end we shall go on",  # two words swapped
        "and fihgt to the end we shall go on",  # a typo
    ):
        result = await searcher.search(query)
        assert result.hits, query
        assert result.hits[0].paragraph.text == STOCK + ".", query


async def test_word_pair_terms_stay_out_of_the_search_vocabulary(shuffled: Database) -> None:
    frequencies = await shuffled.term_frequencies(COMMON_WORDS)
    assert frequencies["fight"] == 1201
    async with shuffled.conn.execute("SELECT count(*) FROM search_vocab") as cur:
        row = await cur.fetchone()
    assert row is not None and row[0] == len(COMMON_WORDS)
    assert await shuffled.fts_count('"ǂfightǂto"', 10) >= 1


async def test_migration_7_indexes_the_word_pairs_of_an_older_database(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "v6.db"
    async with open_database(path) as db:
        doc = ParsedDocument("Orders", [STOCK + ".", "Fight on."], "o.txt", "text")
        await db.insert_documents([(doc, "h1")])
    with sqlite3.connect(path) as conn:  # the index as version 6 made it: words only
        conn.execute("INSERT INTO paragraphs_fts (paragraphs_fts) VALUES ('delete-all')")
        rows = conn.execute("SELECT id, text FROM paragraphs").fetchall()
        conn.executemany(
            "INSERT INTO paragraphs_fts (rowid, text) VALUES (?, ?)",
            [(i, fold(t)) for i, t in rows],
        )
        conn.execute("DROP TABLE derived_state")  # added by migration 8
        conn.execute("ALTER TABLE documents DROP COLUMN url")  # added by migration 9
        conn.execute("ALTER TABLE documents DROP COLUMN url_is_index")
        conn.execute("ALTER TABLE post_schedules DROP COLUMN picture")  # added by migration 10
        conn.execute("ALTER TABLE post_schedules DROP COLUMN claimed_until")  # migration 12
        conn.execute("ALTER TABLE post_schedules DROP COLUMN last_run_due")
        conn.execute("PRAGMA user_version = 6")
    with caplog.at_level(logging.INFO, logger="store.db"):
        async with open_database(path) as db:
            assert await db.fts_count('"ǂfightǂto"', 10) == 1
    assert "indexing the word pairs of 2 stored paragraphs" in caplog.text
    async with open_database(path) as db:
        assert await db.fts_count('"ǂfightǂto"', 10) == 1
        assert await db.fts_count('"fight"', 10) == 2  # the words are still there
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] >= 7


def test_a_pair_counted_up_to_the_cap_is_estimated_between_cap_and_its_rarer_word() -> None:
    assert beyond_cap(100, 10_000, 40_000) == 1000
    assert beyond_cap(100, 50, 40_000) == 100  # never below the cap it reached


async def test_lookups_of_many_ids_are_answered_whole(big: Database) -> None:
    ids = list(range(1, 1202))  # more than one IN (...) list holds
    assert len(await big.get_paragraphs(ids)) == 1201
    texts = await big.paragraph_texts([*reversed(ids), 99_999])
    assert [i for i, _ in texts] == list(reversed(ids))  # in the order asked, missing left out
    assert len(await big.neighbour_ids(ids)) == 1201
