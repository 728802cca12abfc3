"""Search evaluation: quality per variant, latency, memory, index size, brute force.

``evaluate`` generates (or reuses) the query set of a scale database, runs it
through the engine in a single-core child process (:mod:`bench.engine_run`)
and through brute-force rapidfuzz ``partial_ratio`` over every paragraph (on every
``brute_every``-th positive query, to bound the time at 1M), and returns the numbers.
"""

from __future__ import annotations

import bisect
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process

from bench.build import WINDOW_COLLECTION, holdout_path
from bench.engine_run import TOP_K, relevant
from bench.queries import (
    NEAR_QUOTE,
    NEGATIVE_VARIANTS,
    POSITIVE_VARIANTS,
    VARIANTS,
    Query,
    generate,
)
from store.db import open_database
from store.search.query import fts_term
from store.text.norm import tokens

SAMPLED_PARAGRAPHS = 30_000
NEAR_QUOTE_MIN_WORDS = 4


@dataclass(frozen=True, slots=True)
class Row:
    """Quality and latency of one variant (or ``all positive``)."""

    variant: str
    queries: int
    r_at_1: float
    r_at_5: float
    mrr: float
    false_accepts: float | None
    p50_ms: float
    p95_ms: float


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Everything one evaluation run measured."""

    database: str
    paragraphs: int
    rows: list[Row]
    p50_ms: float
    p95_ms: float
    peak_rss_mb: float
    text_bytes: int
    index_bytes: int
    database_bytes: int
    brute_queries: int
    brute_r_at_1: float | None
    engine_r_at_1_same_queries: float | None
    brute_p50_ms: float | None
    brute_p95_ms: float | None

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


def percentile(values: list[float], pct: float) -> float:
    """The ``pct`` percentile (nearest rank) of ``values``; 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))]


async def load_queries(db_path: Path, per_variant: int, seed: int) -> list[Query]:
    """The query set for ``db_path`` (cached beside it: same arguments, same queries)."""
    cache = db_path.with_name(f"{db_path.stem}.queries-{per_variant}-{seed}.json")
    if cache.exists():
        cached = [Query(**q) for q in json.loads(cache.read_text("utf-8"))]
        return await mark_near_quotes(db_path, cached)
    holdout: list[str] = []
    if holdout_path(db_path).exists():
        for line in holdout_path(db_path).read_text("utf-8").splitlines():
            holdout += json.loads(line)["paragraphs"]
    async with open_database(db_path) as db:
        ids = await db.paragraph_ids(exclude_collection=WINDOW_COLLECTION)
        picked = random.Random(seed).sample(ids, min(len(ids), SAMPLED_PARAGRAPHS))
        paragraphs: list[tuple[int, str]] = []
        for start in range(0, len(picked), 500):
            found = await db.get_paragraphs(picked[start : start + 500])
            paragraphs += [(p.id, p.text) for p in found.values()]
        paragraphs.sort()
        queries = generate(paragraphs, holdout, per_variant, seed)
        kept: list[Query] = []
        for q in queries:  # a "negative" whose exact words are indexed is not one
            if q.variant == "negative":
                phrase = " + ".join(fts_term(w) for w in tokens(q.text))
                if await db.fts_candidates(phrase, 1):
                    continue
            kept.append(q)
    cache.write_text(json.dumps([asdict(q) for q in kept], ensure_ascii=False), "utf-8")
    return await mark_near_quotes(db_path, kept)


def quoted_runs(words: list[str]) -> list[list[str]]:
    """The runs of consecutive ``words`` that make a negative a near quote when one of
    them is indexed as a phrase: half the words, at least four (none for fewer)."""
    length = max(NEAR_QUOTE_MIN_WORDS, (len(words) + 1) // 2)
    return [words[i : i + length] for i in range(len(words) - length + 1)]


async def mark_near_quotes(db_path: Path, queries: list[Query]) -> list[Query]:
    """``queries`` with each negative that largely quotes an indexed paragraph (see
    :data:`bench.queries.NEAR_QUOTE`) turned into a ``near_quote``."""
    marked: list[Query] = []
    async with open_database(db_path) as db:
        for q in queries:
            if q.variant == "negative":
                for run in quoted_runs(tokens(q.text)):
                    if await db.fts_count(" + ".join(fts_term(w) for w in run), 1):
                        q = replace(q, variant=NEAR_QUOTE)
                        break
            marked.append(q)
    return marked


def run_engine(db_path: Path, queries: list[Query]) -> dict[str, Any]:
    """Run the queries in a single-core child process; its per-query results and peak RSS."""
    with tempfile.TemporaryDirectory() as tmp:
        qfile, out = Path(tmp) / "queries.json", Path(tmp) / "out.json"
        qfile.write_text(json.dumps([asdict(q) for q in queries]), "utf-8")
        subprocess.run(
            [sys.executable, "-m", "bench.engine_run", str(db_path), str(qfile), str(out)],
            check=True,
        )
        result: dict[str, Any] = json.loads(out.read_text("utf-8"))
        return result


async def brute_force(db_path: Path, queries: list[Query]) -> tuple[list[int | None], list[float]]:
    """Rank of the first right hit and latency of brute-force rapidfuzz over every paragraph.

    Like the engine's alignment: ``partial_ratio`` against paragraphs at least as long
    as the query, plain ``ratio`` against shorter ones (else a two-word paragraph would
    score 100 inside any query containing its words); equal scores go to the shorter.
    """
    rows: list[tuple[int, str, str]] = []
    async with open_database(db_path) as db:
        async for batch in db.iter_paragraph_texts():
            rows += [(len(j), j, text) for _, text in batch if (j := " ".join(tokens(text)))]
    rows.sort(key=lambda r: r[0])
    lengths = [r[0] for r in rows]
    joined = [r[1] for r in rows]
    ranks: list[int | None] = []
    times: list[float] = []
    for q in queries:
        query = " ".join(tokens(q.text))
        start = time.perf_counter()
        cut = bisect.bisect_left(lengths, len(query))
        top = [
            (score, len(joined[i]), i)
            for _, score, i in process.extract(
                query, joined[cut:], scorer=fuzz.partial_ratio, limit=50
            )
        ]
        top = [(score, length, i + cut) for score, length, i in top]
        top += [
            (score, len(joined[i]), i)
            for _, score, i in process.extract(query, joined[:cut], scorer=fuzz.ratio, limit=10)
        ]
        top.sort(key=lambda t: (-t[0], t[1]))
        times.append((time.perf_counter() - start) * 1000)
        assert q.source is not None
        source = q.source
        ranks.append(
            next(
                (n for n, t in enumerate(top[:TOP_K], 1) if relevant(source, rows[t[2]][2])),
                None,
            )
        )
    return ranks, times


def _row(variant: str, results: list[dict[str, Any]]) -> Row:
    ranks = [r["rank"] for r in results]
    times = [r["ms"] for r in results]
    n = len(results)
    negative = variant in NEGATIVE_VARIANTS
    return Row(
        variant,
        n,
        0.0 if negative or not n else sum(r == 1 for r in ranks) / n,
        0.0 if negative or not n else sum(r is not None and r <= TOP_K for r in ranks) / n,
        0.0 if negative or not n else sum(1 / r for r in ranks if r) / n,
        (sum(r["hits"] > 0 for r in results) / n if n else 0.0) if negative else None,
        statistics.median(times) if times else 0.0,
        percentile(times, 95),
    )


async def evaluate(
    db_path: Path, per_variant: int = 50, seed: int = 7, brute_every: int = 1
) -> Evaluation:
    """Run the whole evaluation of ``db_path``; ``brute_every=0`` skips brute force."""
    queries = await load_queries(db_path, per_variant, seed)
    engine = run_engine(db_path, queries)
    results: list[dict[str, Any]] = engine["results"]
    rows = [
        _row(v, [r for q, r in zip(queries, results, strict=True) if q.variant == v])
        for v in VARIANTS
    ]
    positive = [r for q, r in zip(queries, results, strict=True) if q.source is not None]
    rows.insert(len(POSITIVE_VARIANTS), _row("all positive", positive))
    all_ms = [r["ms"] for r in results]
    brute_ranks: list[int | None] = []
    brute_ms: list[float] = []
    same: list[dict[str, Any]] = []
    if brute_every > 0:
        sample = [
            (q, r)
            for n, (q, r) in enumerate(
                (q, r) for q, r in zip(queries, results, strict=True) if q.source is not None
            )
            if n % brute_every == 0
        ]
        brute_ranks, brute_ms = await brute_force(db_path, [q for q, _ in sample])
        same = [r for _, r in sample]
    async with open_database(db_path) as db:
        sizes = await db.search_index_size()
        paragraphs = len(await db.paragraph_ids())
    return Evaluation(
        str(db_path),
        paragraphs,
        rows,
        statistics.median(all_ms) if all_ms else 0.0,
        percentile(all_ms, 95),
        engine["peak_rss_mb"],
        sizes["text_bytes"],
        sizes["index_bytes"],
        sizes["database_bytes"],
        len(brute_ranks),
        sum(r == 1 for r in brute_ranks) / len(brute_ranks) if brute_ranks else None,
        sum(r["rank"] == 1 for r in same) / len(same) if same else None,
        statistics.median(brute_ms) if brute_ms else None,
        percentile(brute_ms, 95) if brute_ms else None,
    )


def format_quality(ev: Evaluation) -> str:
    """The quality table (R@1, R@5, MRR, false accepts, latency per variant)."""
    lines = [
        f"{ev.database}: {ev.paragraphs:,} paragraphs",
        f"{'variant':<14}{'n':>5}{'R@1':>7}{'R@5':>7}{'MRR':>7}{'FA':>7}{'p50 ms':>9}{'p95 ms':>9}",
    ]
    for r in ev.rows:
        fa = f"{r.false_accepts:.3f}" if r.false_accepts is not None else "-"
        quality = (
            ("-", "-", "-")
            if r.variant in NEGATIVE_VARIANTS
            else (f"{r.r_at_1:.3f}", f"{r.r_at_5:.3f}", f"{r.mrr:.3f}")
        )
        lines.append(
            f"{r.variant:<14}{r.queries:>5}{quality[0]:>7}{quality[1]:>7}{quality[2]:>7}"
            f"{fa:>7}{r.p50_ms:>9.1f}{r.p95_ms:>9.1f}"
        )
    if ev.brute_r_at_1 is not None:
        lines.append(
            f"brute force on {ev.brute_queries} of the positive queries: R@1 "
            f"{ev.brute_r_at_1:.3f} (engine on the same queries: "
            f"{ev.engine_r_at_1_same_queries:.3f})"
        )
    return "\n".join(lines)


def format_speed(ev: Evaluation) -> str:
    """The speed table: latency, memory, index size, brute force latency."""
    lines = [
        f"{ev.database}: {ev.paragraphs:,} paragraphs, one core",
        f"search latency     p50 {ev.p50_ms:8.1f} ms   p95 {ev.p95_ms:8.1f} ms",
        f"peak memory        {ev.peak_rss_mb:8.0f} MB (search process)",
        f"text               {ev.text_bytes / 1e6:8.1f} MB",
        f"search index       {ev.index_bytes / 1e6:8.1f} MB "
        f"({ev.index_bytes / max(ev.text_bytes, 1):.2f}x text; FTS5 + vocabulary)",
        f"database file      {ev.database_bytes / 1e6:8.1f} MB",
    ]
    if ev.brute_p50_ms is not None and ev.brute_p95_ms is not None:
        lines.append(
            f"brute force        p50 {ev.brute_p50_ms:8.1f} ms   p95 {ev.brute_p95_ms:8.1f} ms "
            f"({ev.brute_queries} queries)"
        )
    return "\n".join(lines)
