"""Ingest: the bundled sample, idempotence, dedupe, failures that leave no trace."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from store.db import Database, open_database
from store.ingest import content_hash, ensure_sample_loaded, expand_paths, ingest_paths, sample_path
from store.models import PartialDate

SAMPLE_TITLE = (
    "General Secretary Kim Jong Un's Closing Address at Second Conference of "
    "Secretaries of Primary Committees of WPK"
)


def _speech(title: str, *paragraphs: str) -> str:
    body = "\n\n".join(paragraphs)
    return f"{title}\n\nPyongyang, May 2 (KCNA) -- {body}\n"


async def _counts(db: Database) -> tuple[int, int, int]:
    out = []
    for table in ("documents", "paragraphs", "paragraphs_fts"):
        async with db.conn.execute(f"SELECT count(*) FROM {table}") as cur:
            row = await cur.fetchone()
            assert row is not None
            out.append(int(row[0]))
    return out[0], out[1], out[2]


async def test_sample_speech_is_ingested_with_metadata(tmp_path: Path) -> None:
    async with open_database(tmp_path / "v.db") as db:
        assert await ensure_sample_loaded(db) is True
        assert await ensure_sample_loaded(db) is False
        docs = await db.list_documents()
        assert len(docs) == 1
        doc = docs[0]
        assert doc.title == SAMPLE_TITLE
        assert doc.place == "Pyongyang"
        assert doc.agency == "KCNA"
        assert doc.date == PartialDate(None, 3, 1)
        assert doc.collection == "sample"
        assert doc.paragraph_count == 32
        window = await db.paragraph_window(doc.id, 1, 0, 40)
        texts = [p.text for p in window]
        assert len(texts) == 32
        assert all("(KCNA)" not in t and "**" not in t for t in texts)
        assert any("ideas of the Party Central Committee and apply them" in t for t in texts)


async def test_second_run_adds_nothing_and_renamed_copy_is_a_duplicate(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    text = _speech("A speech", "First paragraph of the speech.", "Second paragraph here.")
    (src / "a.txt").write_text(text, encoding="utf-8")
    # the same text under another name, with other line endings and spacing
    (src / "b.txt").write_text(text.replace("\n", "\r\n").replace("here.", "here. "), "utf-8")
    async with open_database(tmp_path / "v.db") as db:
        first = await ingest_paths(db, [src], progress=False)
        assert (first.new, first.duplicate, first.failed) == (1, 1, 0)
        second = await ingest_paths(db, [src], progress=False)
        assert (second.new, second.duplicate, second.failed) == (0, 2, 0)
        assert await _counts(db) == (1, 2, 2)


async def test_failing_document_leaves_no_trace(tmp_path: Path) -> None:
    for name, para in (("1", "Good one."), ("2", "This has POISON in it."), ("3", "Good two.")):
        (tmp_path / f"{name}.txt").write_text(_speech(f"Doc {name}", para, "Tail."), "utf-8")
    async with open_database(tmp_path / "v.db") as db:
        await db.conn.execute(
            "CREATE TEMP TRIGGER poison BEFORE INSERT ON paragraphs "
            "WHEN NEW.text LIKE '%POISON%' BEGIN SELECT RAISE(ABORT, 'poisoned'); END"
        )
        summary = await ingest_paths(db, sorted(tmp_path.glob("*.txt")), progress=False)
        assert (summary.new, summary.failed) == (2, 1)
        assert "poisoned" in summary.errors[0][1]
        assert await _counts(db) == (2, 4, 4)
        titles = sorted(d.title for d in await db.list_documents())
        assert titles == ["Doc 1", "Doc 3"]


async def test_interrupted_batch_is_rolled_back_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(3):
        (tmp_path / f"{n}.txt").write_text(_speech(f"Doc {n}", f"Para {n}.", "End."), "utf-8")
    async with open_database(tmp_path / "v.db") as db:
        calls = 0
        original = Database._index_paragraphs

        async def interrupting(self: Database, rows: Sequence[tuple[int, str]]) -> None:
            nonlocal calls
            calls += 1
            if calls == 1:
                raise KeyboardInterrupt
            await original(self, rows)

        monkeypatch.setattr(Database, "_index_paragraphs", interrupting)
        with pytest.raises(KeyboardInterrupt):
            await ingest_paths(db, [tmp_path], progress=False)
        assert await _counts(db) == (0, 0, 0)
        monkeypatch.setattr(Database, "_index_paragraphs", original)
        summary = await ingest_paths(db, [tmp_path], progress=False)
        assert summary.new == 3
        assert await _counts(db) == (3, 6, 6)


async def test_bad_inputs_are_reported_and_the_run_goes_on(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text(_speech("Good", "Fine text."), "utf-8")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "latin1.txt").write_bytes("Caf\xe9 speech\n\nBody text.\n".encode("latin-1"))
    (tmp_path / "binary.bin").write_bytes(b"\x00\x01\x02garbage\x00" * 50)
    async with open_database(tmp_path / "v.db") as db:
        files = [tmp_path / n for n in ("good.txt", "empty.txt", "latin1.txt", "binary.bin")]
        summary = await ingest_paths(
            db, [*files, tmp_path / "missing.txt", "nothing-matches-*.zzz"], progress=False
        )
    assert summary.new == 1
    reasons = dict(summary.errors)
    assert set(reasons) == {
        str(tmp_path / "empty.txt"),
        str(tmp_path / "latin1.txt"),
        str(tmp_path / "binary.bin"),
        str(tmp_path / "missing.txt"),
        "nothing-matches-*.zzz",
    }
    assert "no such file" in reasons[str(tmp_path / "missing.txt")]
    assert "UTF-8" in reasons[str(tmp_path / "latin1.txt")]


def test_folder_walk_skips_metadata_and_hidden_files(tmp_path: Path) -> None:
    (tmp_path / "SOURCE.md").write_text("# about", "utf-8")
    (tmp_path / ".hidden.txt").write_text("x", "utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "speech.txt").write_text("x", "utf-8")
    files, missing = expand_paths([tmp_path, tmp_path / "sub" / "*.txt"])
    assert [f.path.name for f in files] == ["speech.txt"]
    assert missing == []


def test_content_hash_ignores_case_spacing_and_unicode_form() -> None:
    assert content_hash(["Caf\u00e9  au lait", "X"]) == content_hash(["cafe\u0301 au LAIT ", "x"])
    assert content_hash(["one"]) != content_hash(["two"])


def test_sample_is_shipped_in_the_package() -> None:
    files = list(sample_path().glob("*.txt"))
    assert len(files) == 1
    assert files[0].read_text("utf-8").count("(KCNA)") == 1


async def test_pathological_and_empty_files_fail_alone(tmp_path: Path) -> None:
    for n in range(3):
        (tmp_path / f"{n}.txt").write_text(_speech(f"Doc {n}", f"Para {n}."), "utf-8")
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000, "utf-8")
    (tmp_path / "truncated.jsonl").write_text('{"a":', "utf-8")
    (tmp_path / "bodiless.json").write_text('[{"headline": "x", "story_text": null}]', "utf-8")
    files = sorted(tmp_path.iterdir())
    async with open_database(tmp_path / "v.db") as db:
        summary = await ingest_paths(db, files, progress=False)
        assert summary.new == 3
        reasons = dict(summary.errors)
        assert set(reasons) == {
            str(tmp_path / n) for n in ("deep.json", "truncated.jsonl", "bodiless.json")
        }
        assert "JSON" in reasons[str(tmp_path / "truncated.jsonl")]
        assert "no documents" in reasons[str(tmp_path / "bodiless.json")]
        # the run finished its work: the search vocabulary counts the stored words
        assert await db.term_frequencies(["para"]) == {"para": 3}


async def test_random_paragraph_finds_the_one_long_paragraph(tmp_path: Path) -> None:
    short = [f"Short {n}." for n in range(1000)]
    long = "A long paragraph " + "x" * 200 + "."
    (tmp_path / "a.txt").write_text(_speech("Doc", long, *short), "utf-8")
    async with open_database(tmp_path / "v.db") as db:
        await ingest_paths(db, [tmp_path / "a.txt"], progress=False)
        for _ in range(20):
            found = await db.random_paragraph(min_chars=150)
            assert found is not None and found.text == long
        assert await db.random_paragraph(min_chars=10_000) is not None  # any, if none is long
