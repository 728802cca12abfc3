"""Inline-mode subcommand: ``bench-inline`` (see :mod:`bot.telegram.inline_bench`)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from bot.cli.common import EXIT_NOT_FOUND, EXIT_OK, EXIT_USAGE, add_db_argument
from bot.settings import Settings


def register(sub: Any) -> None:
    """Add ``bench-inline`` to the ``verbatim`` parser."""
    p = sub.add_parser(
        "bench-inline",
        help="time the inline handler path (update -> answerInlineQuery payload)",
        description="Feed inline-query updates built from the database's own text to the "
        "bot's Application (Bot API answered in-process) and print p50/p95/max latency per "
        "scenario: first page, next page, empty query, typing word by word. By default "
        "the process is pinned to one CPU. The database gets the benchmark's queries and "
        "chosen results recorded: point --db at a copy if that matters.",
    )
    add_db_argument(p)
    p.add_argument("--queries", type=int, default=200, metavar="N", help="timed queries (200)")
    p.add_argument("--warmup", type=int, default=20, metavar="N", help="untimed first (20)")
    p.add_argument("--seed", type=int, default=11, help="query sampling seed (11)")
    p.add_argument(
        "--typing-gap", type=float, default=40.0, metavar="MS", help="ms between keystrokes (40)"
    )
    p.add_argument("--all-cores", action="store_true", help="do not pin to one CPU")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(handler=_bench_inline)


def _bench_inline(args: argparse.Namespace, settings: Settings) -> int:
    from bot.telegram.inline_bench import format_report, pin_to_one_core, run_bench

    if args.queries < 1 or args.warmup < 0 or args.typing_gap < 0:
        print("verbatim bench-inline: --queries must be ≥ 1, others ≥ 0", file=sys.stderr)
        return EXIT_USAGE
    if not settings.db_path.is_file():
        print(f"verbatim bench-inline: no database at {settings.db_path}", file=sys.stderr)
        return EXIT_NOT_FOUND
    cpu = "all CPUs" if args.all_cores else pin_to_one_core()
    report = asyncio.run(
        run_bench(
            settings.db_path,
            queries=args.queries,
            seed=args.seed,
            warmup=args.warmup,
            typing_gap=args.typing_gap,
        )
    )
    report["cpu"] = cpu
    print(json.dumps(report, indent=2) if args.json else format_report(report))
    return EXIT_OK
