"""`verbatim ingest ../shared/corpora` end to end: counts per folder, metadata, idempotence."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from store.db import open_database
from store.ingest import IngestSummary, ingest_paths

# documents and paragraphs stored per collection after dedupe (the same KCNA article
# under several topics, repeated 2011-12 bodies, one Miller speech filed twice)
EXPECTED = {
    "dprk_new_year_addresses_ko": (73, 4672),
    "kcna_stiles_2024": (1059, 8593),
    "kcna_xmarquez_2011_2012": (22243, 130586),
    "rodong_sinmun_frontpage_2021_2022": (131, 4299),
    "un_general_debate": (225, 13692),  # 4 paragraphs over 8,000 chars split
    "us_presidential_speeches_miller": (448, 28188),  # 90 split likewise; 119 by line
}


@pytest.fixture(scope="module")
def ingested(
    corpora_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, IngestSummary, IngestSummary]]:
    db_path = tmp_path_factory.mktemp("corpora") / "all.db"

    async def twice() -> tuple[IngestSummary, IngestSummary]:
        async with open_database(db_path) as db:
            first = await ingest_paths(db, [corpora_dir], progress=False)
            second = await ingest_paths(db, [corpora_dir], progress=False)
        return first, second

    first, second = asyncio.run(twice())
    yield db_path, first, second


def test_every_folder_has_the_right_counts(
    ingested: tuple[Path, IngestSummary, IngestSummary],
) -> None:
    db_path, first, _ = ingested
    assert first.failed == 0, first.errors[:5]
    with sqlite3.connect(db_path) as conn:
        rows = conn.execute(
            "SELECT collection, count(*), sum(paragraph_count) FROM documents GROUP BY 1"
        ).fetchall()
        fts_rows = conn.execute("SELECT count(*) FROM paragraphs_fts").fetchone()[0]
    assert {r[0]: (r[1], r[2]) for r in rows} == EXPECTED
    assert first.new == sum(d for d, _ in EXPECTED.values())
    assert first.new_paragraphs == sum(p for _, p in EXPECTED.values()) == fts_rows
    # SOURCE.md, README.md and UNGDC_README.txt are not documents
    assert first.skipped_files == 1


def test_second_run_adds_nothing(ingested: tuple[Path, IngestSummary, IngestSummary]) -> None:
    _, first, second = ingested
    assert second.new == 0 and second.failed == 0
    assert second.duplicate == first.new + first.duplicate


@pytest.mark.parametrize(
    ("origin_suffix", "title_part", "date", "place", "language"),
    [
        ("data/2019.txt", "", "2019", None, "ko"),
        ("Session 79 - 2024/PRK_79_2024.txt", "79th session (2024)", "2024", "New York", "en"),
        ("data/1961-01-20-inaugural-address.txt", "Inaugural Address", "1961-01-20", None, "en"),
    ],
)
def test_metadata_spot_checks(
    ingested: tuple[Path, IngestSummary, IngestSummary],
    origin_suffix: str,
    title_part: str,
    date: str,
    place: str | None,
    language: str,
) -> None:
    db_path = ingested[0]
    with sqlite3.connect(db_path) as conn:
        row = conn.execute(
            "SELECT title, date, place, language FROM documents WHERE origin LIKE ?",
            (f"%{origin_suffix}",),
        ).fetchone()
    assert row is not None, origin_suffix
    title, got_date, got_place, got_language = row
    assert title_part in title
    assert got_date.startswith(date)
    assert got_place == place
    assert got_language == language


def test_kcna_datelines_become_metadata(
    ingested: tuple[Path, IngestSummary, IngestSummary],
) -> None:
    with sqlite3.connect(ingested[0]) as conn:
        places = dict(
            conn.execute(
                "SELECT place, count(*) FROM documents WHERE collection = 'kcna_stiles_2024' "
                "GROUP BY place"
            ).fetchall()
        )
        leaked = conn.execute(
            "SELECT count(*) FROM paragraphs p JOIN documents d ON d.id = p.document_id "
            "WHERE d.collection = 'kcna_stiles_2024' AND (p.text LIKE '%(KCNA) --%' "
            "OR p.text LIKE '% -0-')"
        ).fetchone()[0]
    assert places["Pyongyang"] > 900
    assert leaked == 0
