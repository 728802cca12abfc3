"""``verbatim search``: find a quotation from the command line (text or ``--json``).

Prints the answers only; with ``--suggest``, when there is no answer, also the closest
passages, each marked as a suggestion ("not sure"), never as an answer.

The search quality and speed tools (``eval``, ``eval-human``, ``bench``, ``bench-build``) are in
:mod:`bot.cli.bench`.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import re
import sys
from typing import Any

from bot.cli.args import MAX_HITS, document_id, hit_count
from bot.cli.common import EXIT_OK, EXIT_USAGE, add_db_argument, open_for_reading
from bot.core.citation import also_in_text, citation_text, original_text
from bot.core.filtering import filter_problem, split_query
from bot.core.views import Problem
from bot.settings import Settings
from store import Database, Hit, Searcher, SearchFilters, SearchResult
from store.search.filters import resolve_collection

NO_MATCH = "No paragraph matches closely enough."
NOT_SURE = "Not sure — no paragraph matches closely enough. Closest passages (suggestions):"


def register(sub: Any) -> None:
    """Add ``search`` to the ``verbatim`` parser."""
    p = sub.add_parser(
        "search",
        help="find the paragraphs a (half-remembered) quotation comes from",
        description='Fuzzy search. "exact phrase" in quotes must appear; -word excludes a '
        "word. Prints the answers best first, or says that no paragraph matches well enough; "
        "with --suggest it then also prints the closest passages, marked as suggestions.",
    )
    p.add_argument("query", nargs="+", metavar="QUERY", help="words of the quotation")
    add_db_argument(p)
    p.add_argument(
        "--limit",
        type=hit_count,
        default=5,
        metavar="N",
        help=f"at most N hits (5; {MAX_HITS} at most)",
    )
    p.add_argument("--json", action="store_true", help="print a JSON array of hits")
    p.add_argument(
        "--suggest",
        action="store_true",
        help='when nothing is an answer, also print the closest passages as "not sure" '
        'suggestions (JSON: every hit gets "suggestion": true or false)',
    )
    p.add_argument("--collection", metavar="NAME", help="only this collection")
    p.add_argument("--document", type=document_id, metavar="ID", help="only this document")
    p.add_argument("--speaker", metavar="NAME", help="only speakers whose name contains NAME")
    p.add_argument("--language", metavar="CODE", help="only documents in this language (en, ko)")
    p.add_argument(
        "--from", dest="date_from", metavar="DATE", help="from this date (YYYY[-MM[-DD]])"
    )
    p.add_argument("--to", dest="date_to", metavar="DATE", help="up to this date, inclusive")
    p.set_defaults(handler=_search)


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
        "url": doc.url,
        "url_is_index": doc.url_is_index,
        "also_in": [
            {
                "document_id": other.id,
                "title": other.title,
                "date": other.date.iso() if other.date else None,
                "collection": other.collection,
            }
            for other in hit.also_in
        ],
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


def _format_hit(n: int, hit: Hit, color: bool, *, suggestion: bool = False) -> str:
    mark = ("\x1b[1;33m", "\x1b[0m") if color else ("[", "]")
    also = f"\n   {also_in_text(hit.also_in)}" if hit.also_in else ""
    if original := original_text(hit.document):
        also += f"\n   {original}"
    # a suggestion's score (a recall may reach 97 and still not stand clear of a rival
    # passage) would read as confidence: "not sure" says what it is
    quality = "not sure (suggestion)" if suggestion else f"{hit.score:.0f} {hit.confidence}"
    return (
        f"{n}. {quality} | {hit.document.title} | "
        f"{citation_text(hit.document, hit.position)} | id {hit.paragraph.id}\n"
        f"   {highlight(hit.paragraph.text, hit.spans, mark)}{also}"
    )


def _as_json(result: SearchResult, suggest: bool) -> str:
    """The JSON array: the answers; with ``suggest``, then the suggestions, every hit
    marked ``"suggestion": true`` or ``false``."""
    if not suggest:
        return json.dumps([hit_to_json(h) for h in result.hits], ensure_ascii=False, indent=1)
    marked = [{**hit_to_json(h), "suggestion": False} for h in result.hits]
    marked += [{**hit_to_json(h), "suggestion": True} for h in result.suggestions]
    return json.dumps(marked, ensure_ascii=False, indent=1)


def _as_text(result: SearchResult, suggest: bool) -> str:
    color = sys.stdout.isatty()
    if result.hits:
        return "\n\n".join(_format_hit(n, h, color) for n, h in enumerate(result.hits, 1))
    if not (suggest and result.suggestions):
        return NO_MATCH
    offered = (
        _format_hit(n, h, color, suggestion=True) for n, h in enumerate(result.suggestions, 1)
    )
    return NOT_SURE + "\n\n" + "\n\n".join(offered)


_DATE_FLAG = re.compile(r"[0-9]{4}(?:-[0-9]{1,2}(?:-[0-9]{1,2})?)?", re.ASCII)


def _date_flags(args: argparse.Namespace) -> str | None:
    """The date flags as the query filters ``from:``/``to:`` (checked there as /q checks
    them: month 13, an end before the start), to go before the query, where no quote
    typed in it can reach them; ``None`` when a flag is no date at all."""
    dates = []
    for key, value in (("from", args.date_from), ("to", args.date_to)):
        if value is not None:
            if not _DATE_FLAG.fullmatch(value):
                return None
            dates.append(f"{key}:{value}")
    return " ".join(dates)


async def _filters(db: Database, args: argparse.Namespace) -> tuple[str, SearchFilters] | str:
    """The words to search and the filters, from the query (``by:Kennedy``, ``in:``,
    ``from:``, ``to:``) and the flags, checked as /q checks them; or what is wrong."""
    dates = _date_flags(args)
    if dates is None:
        return "--from and --to take a date like 2012, 2012-06 or 2012-06-30"
    split = await split_query(db, f"{dates} {' '.join(args.query)}".strip())
    if isinstance(split, Problem):
        return split.message
    filters = dataclasses.replace(split.filters, document_id=args.document, language=args.language)
    if args.collection is not None:
        if filters.collection is not None:
            return "in: is given twice: in the query and as --collection"
        name, problem = resolve_collection(args.collection, await db.collection_names())
        if problem is not None:
            return filter_problem((problem,)).message
        filters = dataclasses.replace(filters, collection=name)
    if args.speaker is not None:
        if filters.speaker is not None:
            return "by: is given twice: in the query and as --speaker"
        filters = dataclasses.replace(filters, speaker=args.speaker)
    return split.words, filters


def _search(args: argparse.Namespace, settings: Settings) -> int:
    async def work() -> int:
        async with open_for_reading(settings) as db:
            # filters typed in the query (by:Kennedy) or given as flags: read as /q does
            found = await _filters(db, args)
            if isinstance(found, str):
                if args.json:
                    print("[]")
                print(f"verbatim search: {found}", file=sys.stderr)
                return EXIT_USAGE
            words, filters = found
            result = await Searcher(db).search(words, limit=args.limit, filters=filters)
        if result.notice:
            print(result.notice, file=sys.stderr)
        if result.error:
            if args.json:
                print("[]")
            print(f"verbatim search: {result.error}", file=sys.stderr)
            return EXIT_USAGE
        print(_as_json(result, args.suggest) if args.json else _as_text(result, args.suggest))
        if result.suggestions and not args.suggest:
            count = len(result.suggestions)
            print(
                f"({count} close passage{'s' if count > 1 else ''}, not sure enough to be an "
                "answer: --suggest shows them)",
                file=sys.stderr,
            )
        return EXIT_OK

    return asyncio.run(work())
