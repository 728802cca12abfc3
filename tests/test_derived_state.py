"""Derived data never goes silently stale: the search vocabulary after crashes and copies.

The vocabulary is recounted at the end of an ingest; a crash before that (kill -9 in
the last seconds) used to leave every document stored but unsearchable by its new
words, for good.  The database now records the staleness in the transaction that
stores the documents, and whichever process opens it next repairs it.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from store import Searcher
from store.db import open_database
from store.db.backup import backup_database
from store.db.lock import IngestRunning, ingest_lock, ingest_running
from store.ingest import ingest_paths
from store.models import ParsedDocument

RARE = "zanzibarite"
DOCUMENTS = 12_000  # a word only the late document holds


def _doc(title: str, *paragraphs: str) -> ParsedDocument:
    return ParsedDocument(title, list(paragraphs), f"{title}.txt", "text")


async def _crash_after_storing(path: Path) -> None:
    """Store a document with a new word and stop before the vocabulary rebuild, as a
    kill -9 in the last seconds of an ingest does."""
    async with open_database(path) as db:
        await db.insert_documents(
            [(_doc("Late", f"The {RARE} mines were opened in the northern hills."), "late")]
        )
        # no after_bulk_load(): the process "dies" here


async def _stocked(path: Path) -> None:
    async with open_database(path) as db:
        await db.insert_documents([(_doc("Early", "The harvest was gathered early."), "early")])
        await db.after_bulk_load()


async def test_a_crash_before_the_rebuild_is_recorded_and_repaired_at_the_next_open(
    tmp_path: Path,
) -> None:
    path = tmp_path / "v.db"
    await _stocked(path)
    await _crash_after_storing(path)
    async with open_database(path, repair=False) as db:
        stats = await db.stats()
        assert stats["search_vocab_stale_since"] is not None  # reported, not hidden
        assert await db.term_frequencies([RARE]) == {}
    async with open_database(path) as db:  # the next process to open it repairs it
        assert await db.search_vocab_stale_since() is None
        assert await db.term_frequencies([RARE]) == {RARE: 1}
        result = await Searcher(db).search(f"{RARE} mines opened")
        assert result.hits and RARE in result.hits[0].paragraph.text


async def test_a_rerun_of_the_ingest_that_adds_nothing_still_repairs(tmp_path: Path) -> None:
    path = tmp_path / "v.db"
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text("Nothing\n\nPyongyang, May 2 (KCNA) -- Text.\n", "utf-8")
    async with open_database(path) as db:
        assert (await ingest_paths(db, [src], progress=False)).new == 1
    await _crash_after_storing(path)  # the vocabulary is left stale
    async with open_database(path, repair=False) as db:
        assert await db.search_vocab_stale_since() is not None
        summary = await ingest_paths(db, [src], progress=False)  # the same folder again
        assert (summary.new, summary.duplicate) == (0, 1)
        assert await db.search_vocab_stale_since() is None
        assert await db.term_frequencies([RARE]) == {RARE: 1}


async def test_a_running_ingest_is_left_to_rebuild_at_its_end(tmp_path: Path) -> None:
    path = tmp_path / "v.db"
    await _stocked(path)
    await _crash_after_storing(path)
    with ingest_lock(path):
        assert ingest_running(path)
        async with open_database(path) as db:  # another process opens it meanwhile
            assert await db.search_vocab_stale_since() is not None  # not rebuilt under it
        try:
            with ingest_lock(path):
                raise AssertionError("a second ingest got the lock")
        except IngestRunning as exc:
            assert "another ingest" in str(exc)
    assert not ingest_running(path)
    async with open_database(path) as db:
        assert await db.search_vocab_stale_since() is None


async def test_a_long_running_searcher_repairs_once_the_crashed_ingest_is_gone(
    tmp_path: Path,
) -> None:
    path = tmp_path / "v.db"
    await _stocked(path)
    async with open_database(path) as db:
        searcher = Searcher(db)
        assert not (await searcher.search(f"{RARE} mines")).hits
        await _crash_after_storing(path)  # another process stores and dies
        import store.search.terms as terms

        terms.VOCAB_RECHECK_SECONDS, saved = 0.0, terms.VOCAB_RECHECK_SECONDS
        try:
            result = await searcher.search(f"{RARE} mines opened")
        finally:
            terms.VOCAB_RECHECK_SECONDS = saved
        assert result.hits and RARE in result.hits[0].paragraph.text


async def test_a_backup_taken_while_stale_is_repaired_before_it_is_put_in_place(
    tmp_path: Path,
) -> None:
    path = tmp_path / "v.db"
    await _stocked(path)
    await _crash_after_storing(path)
    copy = tmp_path / "copy.db"
    result = await asyncio.to_thread(backup_database, path, copy)
    assert result.repaired_stale_since is not None
    assert "search vocabulary rebuilt in the copy" in result.line()
    with sqlite3.connect(f"file:{copy}?mode=ro", uri=True) as conn:
        assert conn.execute("SELECT stale_since FROM derived_state").fetchone()[0] is None
        assert conn.execute("SELECT df FROM search_vocab WHERE term = ?", (RARE,)).fetchone()
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one file
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(("copy", ".copy"))) == [
        "copy.db"
    ]
    with sqlite3.connect(path) as conn:  # the source keeps its mark: its own repair is due
        assert conn.execute("SELECT stale_since FROM derived_state").fetchone()[0] is not None


def test_kill_9_during_an_ingest_loses_no_search(tmp_path: Path) -> None:
    """A real ingest process killed with SIGKILL while it stores batches: the database
    opens, passes its integrity check, holds whole documents only, and after the next
    open every stored document is found by its own rare word."""
    src = tmp_path / "stories.jsonl"  # the Rodong format: one story a line
    with src.open("w", encoding="utf-8") as out:
        for n in range(DOCUMENTS):
            word = f"uniqword{n:05d}x"
            content = [f"Paragraph {k} of story {n} mentions {word} again." for k in range(3)]
            out.write(json.dumps({"title": f"Story {n}", "url": "", "content": content}) + "\n")
    path = tmp_path / "v.db"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bot.cli",
            "ingest",
            "--db",
            str(path),
            "--format",
            "rodong",
            str(src),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    stored = 0
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
        if path.exists():
            try:
                with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=0.1) as conn:
                    stored = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
            except sqlite3.Error:
                continue
            if stored >= DOCUMENTS // 4:
                break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert DOCUMENTS // 4 <= stored < DOCUMENTS, (
        "the ingest did not get far enough to be killed mid-way"
    )
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        partial = conn.execute(
            "SELECT count(*) FROM documents d WHERE paragraph_count != "
            "(SELECT count(*) FROM paragraphs p WHERE p.document_id = d.id)"
        ).fetchone()[0]
        assert partial == 0
        titles = [row[0] for row in conn.execute("SELECT title FROM documents")]

    async def check() -> None:
        async with open_database(path) as db:
            assert not ingest_running(path)
            assert await db.search_vocab_stale_since() is None
            words = [f"uniqword{int(t.split()[1]):05d}x" for t in titles]
            assert await db.term_frequencies(words) == dict.fromkeys(words, 3)

    asyncio.run(check())
