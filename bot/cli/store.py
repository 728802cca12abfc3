"""Subcommands over the store: ``ingest``, ``stats``, ``show`` and ``bench-ingest``."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from bot.cli.args import MAX_CONTEXT, context_count, paragraph_id
from bot.cli.common import (
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_PARTIAL_FAILURE,
    EXIT_USAGE,
    add_db_argument,
    open_for_reading,
)
from bot.core.citation import citation_text, original_text
from bot.settings import Settings
from store import (
    FORMATS,
    DocumentMeta,
    Paragraph,
    ParseError,
    ingest_paths,
    open_database,
    search_vocab_line,
)

MAX_ERRORS_SHOWN = 20


def register(sub: Any) -> None:
    """Add ingest, stats, show and bench-ingest to the ``verbatim`` parser."""
    p = sub.add_parser(
        "ingest",
        help="add files, folders, globs or URLs of speeches to the database",
        description="Parse and store documents. Formats are detected from the content; "
        "ingesting the same text twice stores it once. A URL (http or https) may be an "
        "article page (its main text is stored), an RSS or Atom feed (its entries; a "
        "second run fetches only the new ones) or a file in a corpus format; each URL "
        "that fails is reported with the reason, and the others are still ingested.",
    )
    p.add_argument(
        "paths",
        nargs="+",
        metavar="PATH|URL",
        help="file, folder (recursive), glob, or http(s) URL of a page, feed or corpus file",
    )
    add_db_argument(p)
    p.add_argument(
        "--format",
        choices=FORMATS,
        help="parse every file with this format (of URLs: those that are not pages or feeds)",
    )
    p.add_argument("--collection", metavar="NAME", help="collection name for every document")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=_ingest)

    p = sub.add_parser("stats", help="documents and paragraphs per collection")
    add_db_argument(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=_stats)

    p = sub.add_parser("show", help="print a paragraph with its neighbours and citation")
    p.add_argument("paragraph_id", type=paragraph_id, metavar="PARAGRAPH_ID")
    add_db_argument(p)
    p.add_argument(
        "--context",
        type=context_count,
        default=1,
        metavar="N",
        help=f"neighbours each side (1; at most {MAX_CONTEXT})",
    )
    p.add_argument("--picture", metavar="FILE.png", help="also write its quote picture (PNG)")
    p.set_defaults(handler=_show)

    p = sub.add_parser(
        "bench-ingest",
        help="benchmark: ingest PATHs into a fresh database and print throughput",
        description="Ingest into a new temporary database (or --db FILE, which should not "
        "exist yet) with a progress bar, then print paragraphs/s, MB/s and the database size.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--db", metavar="FILE", help="keep the database here instead of a temp file")
    p.set_defaults(handler=_bench_ingest)


def _ingest(args: argparse.Namespace, settings: Settings) -> int:
    async def work() -> int:
        async with open_database(settings.db_path) as db:
            try:
                summary = await ingest_paths(
                    db,
                    args.paths,
                    fmt=args.format,
                    collection=args.collection,
                    progress=not args.quiet and sys.stderr.isatty(),
                )
            except ParseError as exc:
                print(f"verbatim ingest: {exc}", file=sys.stderr)
                return EXIT_USAGE
        for origin, reason in summary.errors[:MAX_ERRORS_SHOWN]:
            print(f"failed: {origin}: {reason}", file=sys.stderr)
        if len(summary.errors) > MAX_ERRORS_SHOWN:
            print(f"… and {len(summary.errors) - MAX_ERRORS_SHOWN} more failures", file=sys.stderr)
        print(summary.line())
        if nothing := summary.nothing_found():
            print(f"verbatim ingest: nothing ingested: {nothing}", file=sys.stderr)
            return EXIT_PARTIAL_FAILURE
        named_only_missing = not summary.files and not summary.urls
        if summary.failed and summary.failed == summary.missing and named_only_missing:
            return EXIT_NOT_FOUND  # every path named was mistyped
        return EXIT_PARTIAL_FAILURE if summary.failed else EXIT_OK

    return asyncio.run(work())


def _stats(args: argparse.Namespace, settings: Settings) -> int:
    async def work() -> dict[str, Any]:
        async with open_for_reading(settings, repair=False) as db:  # report, not repair
            return await db.stats()

    stats = asyncio.run(work())
    if args.json:
        print(json.dumps(stats, indent=2, ensure_ascii=False))
        return EXIT_OK
    print(f"database: {stats['database']} ({stats['size_bytes'] / 1e6:.1f} MB)")
    for c in stats["collections"]:
        print(f"  {c['collection']}: {c['documents']} documents, {c['paragraphs']} paragraphs")
    print(f"total: {stats['documents']} documents, {stats['paragraphs']} paragraphs")
    vocab = search_vocab_line(stats["search_vocab_stale_since"], stats["ingest_running"])
    print(f"search vocabulary: {vocab}")
    return EXIT_OK


def _show(args: argparse.Namespace, settings: Settings) -> int:
    async def work() -> tuple[DocumentMeta, Paragraph, list[Paragraph]] | None:
        async with open_for_reading(settings) as db:
            paragraph = await db.get_paragraph(args.paragraph_id)
            if paragraph is None:
                return None
            doc = await db.get_document(paragraph.document_id)
            if doc is None:
                return None
            context = args.context
            window = await db.paragraph_window(doc.id, paragraph.position, context, context)
            return doc, paragraph, window

    found = asyncio.run(work())
    if found is None:
        print(
            f"verbatim show: no paragraph {args.paragraph_id}; "
            "find ids with `verbatim search --json`",
            file=sys.stderr,
        )
        return EXIT_NOT_FOUND
    doc, paragraph, window = found
    for p in window:
        marker = ">>" if p.id == paragraph.id else "  "
        print(f"{marker} [{p.position}] {p.text}\n")
    print(doc.title)
    print(citation_text(doc, paragraph.position))
    if original := original_text(doc):
        print(original)
    if args.picture:  # Pillow and fonts are loaded only when asked for
        from bot.core.picture import picture_citation, picture_footer, render_quote

        citation = picture_citation(doc, paragraph.position)
        png = render_quote(paragraph.text, (), citation, picture_footer())
        try:
            Path(args.picture).write_bytes(png)
        except OSError as exc:
            print(f"verbatim show: cannot write {args.picture}: {exc}", file=sys.stderr)
            return EXIT_PARTIAL_FAILURE
    return EXIT_OK


def _bench_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from bench.ingest import run_ingest_benchmark

    target = Path(args.db) if args.db else None
    if target is not None and target.exists():
        print(f"verbatim bench-ingest: {target} exists; give a new file", file=sys.stderr)
        return EXIT_USAGE
    result = asyncio.run(run_ingest_benchmark(args.paths, target))
    print("\n".join(result.lines()))
    return EXIT_OK if result.documents else EXIT_NOT_FOUND
