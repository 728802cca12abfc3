"""One search cannot stall everyone: repeated query parts count once, phrases and
-words are capped, and the database work of one search is stopped after a time limit."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import store.db.schema as schema
import store.search.engine as engine
from store import Searcher
from store.db import open_database
from store.search.query import MAX_EXCLUDED, MAX_PHRASES, MAX_WORDS, parse_query


def test_a_phrase_repeated_fifty_times_is_one_phrase() -> None:
    parsed = parse_query('"the" ' * 50)
    assert parsed.phrases == (("the",),)
    assert parsed.words == ("the",)
    assert parsed.notice is None


def test_phrases_and_exclusions_beyond_the_caps_are_dropped_with_a_notice() -> None:
    many = " ".join(f'"w{n} x{n}"' for n in range(MAX_PHRASES + 3))
    parsed = parse_query(many + " " + " ".join(f"-e{n}" for n in range(MAX_EXCLUDED + 4)))
    assert len(parsed.phrases) == MAX_PHRASES
    assert len(parsed.words) == 2 * MAX_PHRASES  # dropped phrases add no words either
    assert len(parsed.excluded) == MAX_EXCLUDED
    assert parsed.notice and f"first {MAX_PHRASES} quoted phrases" in parsed.notice


def test_the_first_excluded_words_typed_are_kept_and_the_notice_names_only_that_cap() -> None:
    typed = [f"-{w}" for w in ("zeta", "yak", "xray", "whisky", "victor", "uniform")]
    typed += [f"-{w}" for w in ("tango", "sierra", "alpha", "bravo")]
    parsed = parse_query("peace " + " ".join(typed))
    assert parsed.excluded == {w[1:] for w in typed[:MAX_EXCLUDED]}
    assert parsed.notice == f"Only the first {MAX_EXCLUDED} -words count."


def test_characters_that_fold_into_several_words_are_capped_too() -> None:
    parsed = parse_query("¼ " * 150)  # 300 characters, each "¼" folding into "1 4"
    assert len(parsed.words) == MAX_WORDS
    assert parsed.notice and f"first {MAX_WORDS} words" in parsed.notice
    assert len(parse_query("one two three").words) == 3 and parse_query("a b").notice is None


async def test_a_search_past_its_time_limit_is_stopped_and_the_connection_still_serves(
    sample_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "s.db"
    shutil.copy(sample_template, path)
    async with open_database(path) as db:
        searcher = Searcher(db)
        monkeypatch.setattr(engine, "SEARCH_SECONDS", 0.0)
        monkeypatch.setattr(schema, "PROGRESS_STEPS", 1)  # look at the clock at every step
        stopped = await searcher.search("servant of the people")
        assert stopped.error == engine.TOO_MUCH_WORK and stopped.hits == []
        monkeypatch.setattr(engine, "SEARCH_SECONDS", 5.0)
        again = await searcher.search("servant of the people")
        assert again.error is None and again.hits
        assert "servant" in again.hits[0].paragraph.text.lower()
