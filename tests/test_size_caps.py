"""Size bounds on what one file can become: a file over the cap is refused with the
reason (and not read), an over-long paragraph is split at sentence ends, a title is cut,
and memory stays a small multiple of the file."""

from __future__ import annotations

import json
import random
import tracemalloc
from pathlib import Path

import pytest

import store.parsers.common as parsers_common
import store.text.clean as clean
from bot.cli.common import EXIT_PARTIAL_FAILURE
from bot.cli.main import main
from store import ParseError, Searcher, open_database, parse_file
from store.ingest import ingest_paths
from store.models import ParsedDocument

WORDS = [
    "the",
    "people",
    "party",
    "great",
    "leader",
    "socialist",
    "construction",
    "victory",
    "army",
    "nation",
    "independence",
    "peace",
    "struggle",
    "revolution",
    "harvest",
    "factory",
    "river",
    "mountain",
]
MIDDLE = "the lighthouse keeper counted seventeen quiet herons"
END = "and so the zebra orchestra played until dawn"


def _one_line(size: int, seed: int = 5) -> str:
    """Sentences of common words, ``size`` characters on one line, with MIDDLE half way."""
    rng = random.Random(seed)
    out: list[str] = []
    total = 0
    placed = False
    while total < size:
        if not placed and total > size // 2:
            sentence = MIDDLE.capitalize() + ". "
            placed = True
        else:
            sentence = " ".join(rng.choices(WORDS, k=rng.randint(5, 25))).capitalize() + ". "
        out.append(sentence)
        total += len(sentence)
    return "".join(out) + END.capitalize() + "."


@pytest.fixture
def huge_file(tmp_path: Path) -> Path:
    path = tmp_path / "huge.txt"
    path.write_text("A title that never ends " + _one_line(5 * 2**20) + "\n", "utf-8")
    return path


async def test_a_5_mb_one_line_file_becomes_bounded_paragraphs_and_stays_searchable(
    huge_file: Path, tmp_path: Path
) -> None:
    async with open_database(tmp_path / "v.db") as db:
        summary = await ingest_paths(db, [huge_file], progress=False)
        assert (summary.new, summary.failed) == (1, 0)
        doc = (await db.list_documents())[0]
        assert doc.title == "huge"  # a 5 MB line is no title: the file name gives it
        async with db.conn.execute("SELECT max(length(text)), count(*) FROM paragraphs") as cur:
            longest, count = await cur.fetchone()  # type: ignore[misc]
        assert longest <= clean.MAX_PARAGRAPH_CHARS
        assert count == doc.paragraph_count >= 5 * 2**20 // clean.MAX_PARAGRAPH_CHARS
        searcher = Searcher(db)
        for phrase in (MIDDLE, END):
            result = await searcher.search(phrase)
            assert result.hits, phrase
            assert phrase in result.hits[0].paragraph.text.lower()


async def test_a_file_over_the_cap_is_refused_with_the_reason_and_the_run_goes_on(
    huge_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parsers_common, "MAX_FILE_BYTES", 2**20)
    small = tmp_path / "small.txt"
    small.write_text("Small\n\nPyongyang, May 2 (KCNA) -- A short text.\n", "utf-8")
    async with open_database(tmp_path / "v.db") as db:
        summary = await ingest_paths(db, [huge_file, small], progress=False)
    assert (summary.new, summary.failed) == (1, 1)
    origin, reason = summary.errors[0]
    assert origin == str(huge_file)
    assert reason.startswith("too large (5 MB; a file may have at most 1 MB)")


def test_the_cli_reports_a_refused_file_once(
    huge_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(parsers_common, "MAX_FILE_BYTES", 2**20)
    code = main(["ingest", "--quiet", "--db", str(tmp_path / "v.db"), str(huge_file)])
    assert code == EXIT_PARTIAL_FAILURE
    err = capsys.readouterr().err
    assert f"failed: {huge_file}: too large" in err and err.count(str(huge_file)) == 1


def test_a_file_that_does_not_say_its_size_is_not_read_past_the_cap(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(parsers_common, "MAX_FILE_BYTES", 64 * 1024)
    with pytest.raises(ParseError, match="too large \\(more than 65,536 bytes") as caught:
        list(parse_file(Path("/dev/zero")))  # endless, and reports size 0
    assert "/dev/zero" in str(caught.value)


async def test_memory_stays_a_small_multiple_of_the_file(huge_file: Path, tmp_path: Path) -> None:
    size = huge_file.stat().st_size
    async with open_database(tmp_path / "v.db") as db:
        tracemalloc.start()
        try:
            await ingest_paths(db, [huge_file], progress=False)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    # the text, its cleaned copy and its pieces; not a buffer of the whole cap, nor a
    # list of every word (content hash) or of every paragraph's index text
    assert peak < 5 * size, f"peak {peak / 2**20:.0f} MB for a {size / 2**20:.0f} MB file"


def test_a_lowered_paragraph_cap_splits_at_sentence_ends_then_spaces(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(clean, "MAX_PARAGRAPH_CHARS", 400)
    text = _one_line(20_000, seed=9)
    pieces = clean.split_long_paragraph(text)
    assert all(len(p) <= 400 for p in pieces)
    assert " ".join(pieces) == text  # nothing lost, nothing added: cut only at spaces
    assert sum(p.endswith(".") for p in pieces) >= 0.9 * len(pieces)  # sentence ends first
    no_stops = " ".join(["word"] * 400)
    assert all(len(p) <= 400 for p in clean.split_long_paragraph(no_stops))
    assert " ".join(clean.split_long_paragraph(no_stops)) == no_stops
    unbroken = "x" * 4000
    assert "".join(clean.split_long_paragraph(unbroken)) == unbroken
    korean = "우리는 승리한다. " * 200
    assert all(p.endswith("다.") for p in clean.split_long_paragraph(korean.strip()))
    assert clean.split_long_paragraph("short") == ["short"]
    assert clean.split_long_paragraph("") == []


def test_every_format_is_held_to_the_bounds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(clean, "MAX_PARAGRAPH_CHARS", 500)
    long_title = "Headline " * 1000
    body = _one_line(5000, seed=3)
    path = tmp_path / "rodong_news.jsonl"
    record = {"url": "x?newsID=2021-01-01-0001", "title": long_title, "content": [body]}
    path.write_text(json.dumps({"rodong": 1, **record}) + "\n", "utf-8")
    docs = [d for d in parse_file(path, "rodong") if isinstance(d, ParsedDocument)]
    assert len(docs) == 1
    assert len(docs[0].title) <= clean.MAX_FIELD_CHARS
    assert all(len(p) <= 500 for p in docs[0].paragraphs) and len(docs[0].paragraphs) >= 10
