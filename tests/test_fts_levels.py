"""The full-text index does not pile up levels: SQLite before 3.44 adds two at every
FTS5 'optimize' (one per ingest run that stores documents) and past 2,000 reports the
index as malformed for good.  Past a limit, the end of an ingest starts it over."""

from __future__ import annotations

import logging
import shutil
import sqlite3
from pathlib import Path

import pytest

import store.db.index as index
from store import Searcher, open_database
from store.db.index import structure_levels
from store.models import ParsedDocument

RUNS = 12


async def test_many_ingest_runs_keep_the_index_shallow_and_whole(
    sample_template: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(index, "FTS_LEVEL_LIMIT", 5)
    caplog.set_level(logging.INFO, logger="store.db")
    path = Path(shutil.copy(sample_template, tmp_path / "v.db"))  # an index of some size
    deepest = 0
    for n in range(RUNS):  # one ingest run each, as `verbatim ingest FILE` in a loop
        async with open_database(path) as db:
            await db.before_bulk_load()
            doc = ParsedDocument(f"Run {n}", [f"Report number{n}x of the harvest."], f"{n}", "text")
            await db.insert_documents([(doc, f"h{n}")])
            await db.after_bulk_load()
            deepest = max(deepest, await db.fts_levels())
    assert deepest <= 7, f"{deepest} levels after {RUNS} runs"  # was 2 more every run
    assert "adds two per ingest" in caplog.text  # the index was started over
    assert "word pairs" not in caplog.text  # that is migration 7's message, not a reset's
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO paragraphs_fts (paragraphs_fts, rank) VALUES ('integrity-check', 0)"
        )
    async with open_database(path) as db:
        searcher = Searcher(db)
        for n in range(RUNS):
            result = await searcher.search(f"report number{n}x harvest")
            assert result.hits and f"number{n}x" in result.hits[0].paragraph.text


def test_structure_levels_reads_both_record_formats() -> None:
    assert structure_levels(b"\x00\x00\x00\x07" + b"\x03\x05\x00") == 3
    assert structure_levels(b"\x00\x00\x1f\xc4" + b"\x8f\x52\x01\x00") == 2002
    assert structure_levels(b"\x00\x00\x00\x01" + b"\xff\x00\x00\x01" + b"\x40\x01") == 64
    assert structure_levels(b"\x00\x00\x00\x01" + b"\x00") == 0
