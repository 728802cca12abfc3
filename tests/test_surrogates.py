"""Lone surrogates and bytes that are not UTF-8, in queries, filters and command-line
arguments: replaced at the boundary, never an exception when a query is searched or
saved."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from conftest import REPO, verbatim, verbatim_env

from bot.cli.common import EXIT_OK, EXIT_USAGE
from store import Searcher, SearchFilters, open_database, parse_query, scrub_surrogates

NASTY = ["\ud800", "servant \ud800 party", '"\udcff people"', "-\udfff party", "\udbff\udfff x"]


def test_scrub_surrogates_replaces_lone_ones_and_joins_pairs() -> None:
    assert scrub_surrogates("plain café") == "plain café"
    assert scrub_surrogates("a\ud800b") == "a\ufffdb"
    assert scrub_surrogates("\ud83d\ude00") == "😀"
    for text in NASTY:
        scrub_surrogates(text).encode("utf-8")  # never raises


@pytest.mark.parametrize("raw", NASTY)
def test_parse_query_gives_text_that_can_be_stored(raw: str) -> None:
    parsed = parse_query(raw)
    parsed.text.encode("utf-8")
    for word in parsed.words:
        word.encode("utf-8")


async def test_saving_and_searching_surrogates_never_raises(sample_db: Path) -> None:
    async with open_database(sample_db) as db:
        searcher = Searcher(db)
        for raw in NASTY:
            query_id = await db.remember_query(raw)
            assert query_id > 0
            stored = await db.get_query(query_id)
            assert stored == scrub_surrogates(raw)
            await searcher.search(raw)
        filters = SearchFilters(collection="\udcff", speaker="a\ud800", language="\udfff")
        result = await searcher.search("servant party people", filters=filters)
        assert result.hits == []
        hits = (await searcher.search("servant \ud800 party people")).hits
        assert hits, "a stray surrogate must not spoil the rest of the query"


def test_cli_arguments_that_are_not_utf8_are_replaced(sample_db: Path, tmp_path: Path) -> None:
    env = verbatim_env(tmp_path)

    def run(*args: str | bytes) -> subprocess.CompletedProcess[str]:
        argv = [*map(os.fsencode, verbatim())]
        argv += [os.fsencode(a) if isinstance(a, str) else a for a in args]
        return subprocess.run(
            argv,
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            errors="replace",
        )

    db = str(sample_db)
    done = run("search", b"servant \xff\xfe party people", "--db", db)
    assert done.returncode == EXIT_OK, done.stderr
    assert "Traceback" not in done.stderr and "servant" in done.stdout.lower()
    for flag in ("--collection", "--speaker", "--language"):
        done = run("search", "servant party people", flag, b"\xff\xc3", "--db", db, "--json")
        # no such collection is a usage error (as in:… is in /q); no such speaker, none
        expected = EXIT_USAGE if flag == "--collection" else EXIT_OK
        assert done.returncode == expected, (flag, done.stderr)
        assert done.stdout.strip() == "[]" and "Traceback" not in done.stderr
    done = run("search", "people", "--from", b"20\xff", "--db", db)
    assert done.returncode == EXIT_USAGE and "Traceback" not in done.stderr
    src = tmp_path / "one.txt"
    src.write_text("One\n\nPyongyang, May 2 (KCNA) -- Text of one.\n", "utf-8")
    done = run("ingest", "--quiet", "--collection", b"caf\xe9", str(src), "--db", db)
    assert done.returncode == EXIT_OK, done.stderr
    done = run("stats", "--db", db)
    assert "caf\ufffd: 1 documents" in done.stdout
