"""The search benchmark tools: query generator, relevance, scale builder, CLI wiring."""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
from pathlib import Path

import pytest

from bench import build
from bench.engine_run import relevant
from bench.evaluate import percentile
from bench.queries import POSITIVE_VARIANTS, SYNONYMS, add_typos, generate
from bot.cli import bench as cli_bench
from store.db import open_database
from store.models import ParsedDocument
from store.text.norm import tokens

PARAGRAPHS = [
    (1, "The colour of our flag is the colour of the revolution and of the people, comrades."),
    (2, "We shall defend the centre of the city whatever the cost may be to all of us."),
    (3, "우리는 조국의 통일을 위하여 모두 힘차게 앞으로 나아가자 동무들이여."),
    (4, "Short one."),
]
HOLDOUT = ["This sentence was never indexed by anybody at all. Neither was this second one here."]


def test_generator_is_deterministic_and_makes_every_variant() -> None:
    first = generate(PARAGRAPHS, HOLDOUT, per_variant=4, seed=3)
    assert first == generate(PARAGRAPHS, HOLDOUT, per_variant=4, seed=3)
    assert first != generate(PARAGRAPHS, HOLDOUT, per_variant=4, seed=4)
    variants = {q.variant for q in first}
    assert set(POSITIVE_VARIANTS) <= variants and "negative" in variants
    for q in first:
        if q.source is None:
            assert q.variant == "negative" and q.text in HOLDOUT[0]
            continue
        paragraph = dict(PARAGRAPHS)[q.paragraph_id or 0]
        assert q.source in paragraph and 5 <= len(q.source.split()) <= 15
        if q.variant in ("exact",):
            assert q.text == q.source
        if q.variant == "lower_nopunct":
            assert q.text == " ".join(tokens(q.source))
        if q.variant == "synonym":
            changed = set(tokens(q.text)) ^ set(tokens(q.source))
            assert changed and all(w in SYNONYMS for w in changed)


def test_typos_change_the_requested_number_of_words() -> None:
    rng = random.Random(1)
    span = "the people defend their country against every aggressor"
    for count in (1, 2, 3):
        typo = add_typos(rng, span, count)
        differing = sum(a != b for a, b in zip(typo.split(), span.split(), strict=True))
        assert differing == count


def test_relevance_is_containment_of_the_original_span() -> None:
    assert relevant("the Colour of our flag", "“The colour of our flag” is red.")
    assert not relevant("colour of our flags", "The colour of our flag is red.")


def test_percentile_nearest_rank() -> None:
    assert percentile(list(map(float, range(1, 101))), 95) == 95.0
    assert percentile([], 95) == 0.0


def test_scale_builder_holds_exact_target_and_adds_windows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = [
        ParsedDocument(
            f"Speech {i}",
            [f"Paragraph {j} of speech {i}." for j in range(5)],
            f"/c/us_presidential_speeches_miller/s{i}.txt",
            "text",
            collection="us_presidential_speeches_miller",
        )
        for i in range(40)
    ]
    monkeypatch.setattr(build, "corpus_documents", lambda corpora: iter(docs))
    monkeypatch.setattr(build, "kjv_documents", lambda: iter(()))
    out = tmp_path / "scale.db"
    small = asyncio.run(build.build_scale_database(out, tmp_path, 50, progress=False))
    assert small.paragraphs == 50 and small.window_paragraphs == 0
    assert small.holdout_documents >= 1
    assert build.holdout_path(out).read_text("utf-8").count("\n") == small.holdout_documents
    big = asyncio.run(
        build.build_scale_database(tmp_path / "big.db", tmp_path, 300, progress=False)
    )
    assert big.paragraphs == 300 and big.window_paragraphs > 0

    async def window_texts() -> list[str]:
        async with open_database(tmp_path / "big.db") as db:
            ids = await db.paragraph_ids()
            window_ids = set(ids) - set(await db.paragraph_ids(build.WINDOW_COLLECTION))
            found = await db.get_paragraphs(sorted(window_ids))
            return [p.text for p in found.values()]

    # beyond the windows inside documents: windows across neighbouring documents
    most = asyncio.run(
        build.build_scale_database(tmp_path / "most.db", tmp_path, 600, progress=False)
    )
    assert most.paragraphs == 600
    # and beyond every window of 2-4: longer windows, still of real paragraphs
    beyond = asyncio.run(
        build.build_scale_database(tmp_path / "beyond.db", tmp_path, 800, progress=False)
    )
    assert beyond.paragraphs == 800
    windows = asyncio.run(window_texts())
    assert windows and all(2 <= t.count("Paragraph") <= 4 for t in windows)
    with pytest.raises(FileExistsError):
        asyncio.run(build.build_scale_database(out, tmp_path, 50, progress=False))


def test_the_kjv_comes_through_the_kjv_parser() -> None:
    if shutil.which("bible") is None:
        pytest.skip("bible (Debian package bible-kjv) not installed")
    chapters = list(build.kjv_documents())
    assert len(chapters) == 1189 and sum(len(d.paragraphs) for d in chapters) == 31102
    assert chapters[0].title == "Genesis 1" and chapters[-1].title == "Revelation 22"
    assert {d.source_format for d in chapters} == {"kjv"}


def test_bench_commands_are_registered_with_help(capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="verbatim")
    cli_bench.register(parser.add_subparsers(dest="command"))
    for command in ("eval", "bench", "bench-build"):
        with pytest.raises(SystemExit):
            parser.parse_args([command, "--help"])
        assert "usage: verbatim " + command in capsys.readouterr().out


def test_brute_force_ranks_over_every_paragraph(tmp_path: Path) -> None:
    from bench.evaluate import brute_force
    from bench.queries import Query

    async def fill() -> None:
        async with open_database(tmp_path / "b.db") as db:
            doc = ParsedDocument("T", [p for _, p in PARAGRAPHS], "t.txt", "text")
            await db.insert_documents([(doc, "h")])

    asyncio.run(fill())
    source = "defend the centre of the city whatever the cost"
    queries = [Query("typo1", "defend the center of the city whatevr the cost", source, 2)]
    ranks, times = asyncio.run(brute_force(tmp_path / "b.db", queries))
    assert ranks == [1] and len(times) == 1  # "Short one." does not win inside the query


def test_negatives_that_largely_quote_an_indexed_paragraph_are_near_quotes(
    tmp_path: Path,
) -> None:
    from bench.evaluate import mark_near_quotes, quoted_runs
    from bench.queries import Query

    assert quoted_runs(["a", "b", "c", "d", "e", "f", "g"]) == [
        ["a", "b", "c", "d"],
        ["b", "c", "d", "e"],
        ["c", "d", "e", "f"],
        ["d", "e", "f", "g"],
    ]
    assert quoted_runs(["a", "b", "c"]) == []

    async def fill_and_mark() -> list[Query]:
        async with open_database(tmp_path / "n.db") as db:
            doc = ParsedDocument("T", ["And governors that have done a great job."], "t", "text")
            await db.insert_documents([(doc, "h")])
        return await mark_near_quotes(
            tmp_path / "n.db",
            [
                Query("negative", "Governors have done a great job, said everyone.", None, None),
                Query("negative", "Nobody has done that job in any great way.", None, None),
                Query("typo1", "governors thta have done", "governors that have done", 1),
            ],
        )

    assert [q.variant for q in asyncio.run(fill_and_mark())] == [
        "near_quote",
        "negative",
        "typo1",
    ]
