"""Search benchmark subcommands: ``bench-build`` (a scale database of real paragraphs),
``eval`` (search quality on generated variants), ``eval-human`` (search quality on the
hand-written set) and ``bench`` (search speed), over the tools in :mod:`bench`, which is
imported only when one of them runs.  Benchmarks print numbers; none of them is a test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from bot.cli.common import EXIT_NOT_FOUND, EXIT_OK, EXIT_USAGE
from bot.settings import Settings


def register(sub: Any) -> None:
    """Add ``bench-build``, ``eval`` and ``bench`` (search quality and speed)."""
    p = sub.add_parser(
        "bench-build",
        help="build a search benchmark database of N real paragraphs",
        description="Build a scale database from every folder of the corpora plus the KJV "
        "(bible -f), adding windows of 2-4 consecutive real paragraphs when more are needed. "
        "About 5% of the UN and Miller speeches are held out (never indexed) for negative "
        "queries, in FILE's .holdout.jsonl. 100k takes about a minute, 1M about ten minutes.",
    )
    p.add_argument("out", metavar="FILE", help="new database file (must not exist)")
    p.add_argument("--paragraphs", type=int, default=100_000, metavar="N", help="(100000)")
    p.add_argument("--corpora", metavar="DIR", default="../shared/corpora", help="corpora folder")
    p.add_argument("--seed", type=int, default=1)
    p.set_defaults(handler=_bench_build)
    for name, text in (
        ("eval", "search quality: R@1, R@5, MRR, false accepts per query variant"),
        ("bench", "search speed: latency p50/p95 on one core, peak memory, index size"),
    ):
        p = sub.add_parser(
            name,
            help=text,
            description=f"{text}. Generates (once, cached beside the database) a deterministic "
            "query set: spans of 5-15 words with variants exact, lower_nopunct, typo1-3, "
            "drop_word, swap_words, synonym, plus negatives from held-out speeches (those "
            "with half their words, four or more, indexed side by side are reported apart as "
            "near_quote); runs it "
            "through the search in a child process pinned to one CPU, and through brute-force "
            "rapidfuzz partial_ratio over every paragraph on the same queries.",
        )
        p.add_argument("db", metavar="FILE", help="database built by bench-build")
        p.add_argument("--queries", type=int, default=50, metavar="N", help="per variant (50)")
        p.add_argument("--seed", type=int, default=7)
        p.add_argument(
            "--brute-every",
            type=int,
            default=1,
            metavar="K",
            help="brute force on every K-th positive query (1; 0 = skip)",
        )
        p.add_argument("--json", action="store_true", help="print all numbers as JSON")
        p.set_defaults(handler=_evaluate, report=name)

    p = sub.add_parser(
        "eval-human",
        help="search quality on the hand-written queries, per class and corpus",
        description="Run the hand-written evaluation set (bench/data/human_eval: fragments, "
        "rewordings, keywords and run-on recall, plus on-domain negatives) against FILE: "
        "R@1, the precision of the answers given, how often the right passage is among the "
        "suggestions when no answer is given, and false accepts on the negatives. Queries "
        "whose passage FILE does not hold are counted as absent. Tune on dev, report test.",
    )
    p.add_argument("db", metavar="FILE", help="the database to evaluate")
    p.add_argument(
        "--split", choices=("dev", "test", "all"), default="test", help="which half (test)"
    )
    p.add_argument("--json", action="store_true", help="print all numbers (and misses) as JSON")
    p.set_defaults(handler=_evaluate_human)


def _bench_build(args: argparse.Namespace, settings: Settings) -> int:
    from pathlib import Path

    from bench.build import build_scale_database

    out, corpora = Path(args.out), Path(args.corpora)
    if out.exists():
        print(f"verbatim bench-build: {out} exists; choose a new file", file=sys.stderr)
        return EXIT_USAGE
    if not corpora.is_dir():
        print(f"verbatim bench-build: corpora folder not found: {corpora}", file=sys.stderr)
        return EXIT_NOT_FOUND
    summary = asyncio.run(
        build_scale_database(out, corpora, args.paragraphs, args.seed, sys.stderr.isatty())
    )
    print(
        f"{out}: {summary.documents:,} documents, {summary.paragraphs:,} paragraphs "
        f"({summary.window_paragraphs:,} windows), {summary.holdout_documents} held out"
    )
    return EXIT_OK


def _evaluate(args: argparse.Namespace, settings: Settings) -> int:
    from pathlib import Path

    from bench.evaluate import evaluate, format_quality, format_speed

    db = Path(args.db)
    if not db.is_file():
        print(f"verbatim {args.report}: no such database: {db}", file=sys.stderr)
        return EXIT_NOT_FOUND
    ev = asyncio.run(evaluate(db, args.queries, args.seed, args.brute_every))
    if args.json:
        print(json.dumps(ev.as_json(), indent=1))
    else:
        print(format_quality(ev) if args.report == "eval" else format_speed(ev))
    return EXIT_OK


def _evaluate_human(args: argparse.Namespace, settings: Settings) -> int:
    from pathlib import Path

    from bench.human import evaluate_human, format_human

    db = Path(args.db)
    if not db.is_file():
        print(f"verbatim eval-human: no such database: {db}", file=sys.stderr)
        return EXIT_NOT_FOUND
    ev = asyncio.run(evaluate_human(db, args.split))
    print(json.dumps(ev.as_json(), indent=1) if args.json else format_human(ev))
    return EXIT_OK
