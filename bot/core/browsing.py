"""Browsing what the bot knows: /sources (collections, speakers and documents, paged),
/stats, and the example queries of /help.

:class:`Browsing` is a part of :class:`~bot.core.service.VerbatimService` (which
inherits it), kept in a module of its own; it answers with the values of
:mod:`bot.core.views`.  The collections and speakers of /sources are what people type
after ``in:`` and ``by:`` (:mod:`bot.core.filtering`).
"""

from __future__ import annotations

import random
import re

from bot.core.views import SourcesView, StatsView
from store import Database
from store.search.query import FUNCTION_WORDS

SOURCES_PAGE_SIZE = 10  # lines (collections, speakers, documents) per page of /sources
SAMPLE_COLLECTION = "sample"  # the bundled sample speech's collection
SAMPLE_FILTER_EXAMPLE = "in:sample servants of the people"  # finds ¶ 21 of the sample

_WORD = re.compile(r"\w+(?:['’]\w+)*")


def _overlap(start: int, end: int, low: int, high: int) -> tuple[int, int]:
    """The part of items ``start..end-1`` that falls in list ``low..high-1``: (offset in
    that list, how many)."""
    first, last = max(start, low), min(end, high)
    return first - low, max(0, last - first)


class Browsing:
    """Sources, stats and examples over ``db`` (set by :class:`VerbatimService`)."""

    db: Database
    epoch: str

    async def sources(self, page: int) -> SourcesView:
        """Page ``page`` (0-based, clamped) of /sources: the collections with their
        counts, then the speakers with theirs (most documents first), then the documents."""
        collections = await self.db.collection_stats()
        total = sum(int(c["documents"]) for c in collections)
        speakers = await self.db.count_speakers()
        lines = len(collections) + speakers + total
        pages = max(1, -(-lines // SOURCES_PAGE_SIZE))
        page = min(max(page, 0), pages - 1)
        start, end = page * SOURCES_PAGE_SIZE, (page + 1) * SOURCES_PAGE_SIZE
        shown = collections[start:end]
        low = len(collections)
        offset, count = _overlap(start, end, low, low + speakers)
        names = await self.db.speaker_counts(offset, count) if count else []
        offset, count = _overlap(start, end, low + speakers, lines)
        docs = await self.db.list_documents(offset=offset, limit=count) if count else []
        return SourcesView(docs, page, pages, total, self.epoch, shown, names)

    async def stats(self) -> StatsView:
        """Document and paragraph counts, overall and per collection."""
        collections = await self.db.collection_stats()  # not db.stats(): files, locks
        documents = sum(int(c["documents"]) for c in collections)
        paragraphs = sum(int(c["paragraphs"]) for c in collections)
        return StatsView(documents, paragraphs, collections)

    async def examples(self, count: int = 3, words: int = 5) -> list[str]:
        """Short phrases taken from random paragraphs, to show what a query looks like."""
        found: list[str] = []
        for _ in range(count * 3):
            if len(found) >= count:
                break
            paragraph = await self.db.random_paragraph(min_chars=120)
            if paragraph is None:
                break
            phrase = example_phrase(paragraph.text, words)
            if phrase and phrase not in found:
                found.append(phrase)
        return found

    async def filter_example(self, words: int = 5) -> str | None:
        """A filtered query that finds something here: on the bundled sample
        ``in:sample servants of the people``, else ``in:<collection>`` and words of one of
        its paragraphs; ``None`` for an empty database."""
        if SAMPLE_COLLECTION in await self.db.collection_names():
            return SAMPLE_FILTER_EXAMPLE
        for _ in range(3):
            paragraph = await self.db.random_paragraph(min_chars=120)
            if paragraph is None:
                return None
            document = await self.db.get_document(paragraph.document_id)
            phrase = example_phrase(paragraph.text, words)
            if document is not None and phrase:
                name = document.collection
                return f'in:"{name}" {phrase}' if " " in name else f"in:{name} {phrase}"
        return None


def example_phrase(text: str, words: int) -> str | None:
    """``words`` consecutive words of ``text`` from a random place, in lower case: one
    that begins and ends with a word of substance wherever the text has one ("sung was
    awarded the order", not "il sung was awarded the")."""
    tokens = [t.lower() for t in _WORD.findall(text)]
    if len(tokens) < words:
        return None
    starts = list(range(len(tokens) - words + 1))
    random.shuffle(starts)
    for start in starts:
        phrase = tokens[start : start + words]
        if phrase[0] not in FUNCTION_WORDS and phrase[-1] not in FUNCTION_WORDS:
            return " ".join(phrase)
    return " ".join(tokens[starts[0] : starts[0] + words])
