"""Search subcommands: ``search``, and the search quality/speed tools ``eval``, ``bench``
and ``bench-build`` (see :mod:`store.bench`)."""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
from typing import Any

from bot.citation import citation_text
from bot.cli import EXIT_NOT_FOUND, EXIT_OK, EXIT_USAGE, add_db_argument
from bot.settings import Settings
from store import Hit, Searcher, SearchFilters

_ISO_DATE = re.compile(r"^\d{4}(?:-\d{2}(?:-\d{2})?)?$")


def register(sub: Any) -> None:
    """Add ``search`` (and the search benchmark commands) to the ``verbatim`` parser."""
    p = sub.add_parser(
        "search",
        help="find the paragraphs a (half-remembered) quotation comes from",
        description='Fuzzy search. "exact phrase" in quotes must appear; -word excludes a '
        "word. Prints the hits best first, or nothing when no paragraph matches well enough.",
    )
    p.add_argument("query", nargs="+", metavar="QUERY", help="words of the quotation")
    add_db_argument(p)
    p.add_argument("--limit", type=int, default=5, metavar="N", help="at most N hits (5)")
    p.add_argument("--json", action="store_true", help="print a JSON array of hits")
    p.add_argument("--collection", metavar="NAME", help="only this collection")
    p.add_argument("--document", type=int, metavar="ID", help="only this document")
    p.add_argument("--speaker", metavar="NAME", help="only speakers whose name contains NAME")
    p.add_argument("--language", metavar="CODE", help="only documents in this language (en, ko)")
    p.add_argument(
        "--from", dest="date_from", metavar="DATE", help="from this date (YYYY[-MM[-DD]])"
    )
    p.add_argument("--to", dest="date_to", metavar="DATE", help="up to this date, inclusive")
    p.set_defaults(handler=_search)
    register_bench(sub)


def hit_to_json(hit: Hit) -> dict[str, Any]:
    """One hit as the JSON object ``verbatim search --json`` prints."""
    doc = hit.document
    return {
        "paragraph_id": hit.paragraph.id,
        "document_id": doc.id,
        "title": doc.title,
        "date": doc.date.iso() if doc.date else None,
        "place": doc.place,
        "speaker": doc.speaker,
        "collection": doc.collection,
        "position": hit.position,
        "total": hit.total,
        "text": hit.paragraph.text,
        "score": hit.score,
        "confidence": hit.confidence,
        "spans": [[start, end] for start, end in hit.spans],
    }


def highlight(text: str, spans: tuple[tuple[int, int], ...], mark: tuple[str, str]) -> str:
    """``text`` with each span wrapped in the ``mark`` pair."""
    out: list[str] = []
    last = 0
    for start, end in spans:
        out += [text[last:start], mark[0], text[start:end], mark[1]]
        last = end
    out.append(text[last:])
    return "".join(out)


def _format_hit(n: int, hit: Hit, color: bool) -> str:
    mark = ("\x1b[1;33m", "\x1b[0m") if color else ("[", "]")
    return (
        f"{n}. {hit.score:.0f} {hit.confidence} | {hit.document.title} | "
        f"{citation_text(hit.document, hit.position)} | id {hit.paragraph.id}\n"
        f"   {highlight(hit.paragraph.text, hit.spans, mark)}"
    )


def _filters(args: argparse.Namespace) -> SearchFilters | str:
    for name in ("date_from", "date_to"):
        value = getattr(args, name)
        if value is not None and not _ISO_DATE.match(value):
            return f"--{name[5:]} must be a date like 2024, 2024-03 or 2024-03-01, not {value!r}"
    return SearchFilters(
        collection=args.collection,
        document_id=args.document,
        speaker=args.speaker,
        language=args.language,
        date_from=args.date_from,
        date_to=args.date_to,
    )


def _search(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli_store import open_for_reading

    filters = _filters(args)
    if isinstance(filters, str):
        print(f"verbatim search: {filters}", file=sys.stderr)
        return EXIT_USAGE
    if args.limit < 1:
        print("verbatim search: --limit must be at least 1", file=sys.stderr)
        return EXIT_USAGE

    async def work() -> int:
        async with open_for_reading(settings) as db:
            result = await Searcher(db).search(
                " ".join(args.query), limit=args.limit, filters=filters
            )
        if result.notice:
            print(result.notice, file=sys.stderr)
        if result.error:
            if args.json:
                print("[]")
            print(f"verbatim search: {result.error}", file=sys.stderr)
            return EXIT_USAGE
        if args.json:
            print(json.dumps([hit_to_json(h) for h in result.hits], ensure_ascii=False, indent=1))
        elif not result.hits:
            print("No paragraph matches closely enough.")
        else:
            color = sys.stdout.isatty()
            print("\n\n".join(_format_hit(n, h, color) for n, h in enumerate(result.hits, 1)))
        return EXIT_OK

    return asyncio.run(work())


def register_bench(sub: Any) -> None:
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
