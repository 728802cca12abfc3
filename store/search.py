"""Search: find the paragraph a half-remembered quotation comes from.

Two stages.  *Candidate retrieval* asks SQLite's FTS5 index for the best-matching
paragraphs (bm25) on the query's most discriminating words only (the rarest, by
document frequency from the ``search_vocab`` table); words not in the index are
replaced by their nearest vocabulary words (misspellings).  *Re-ranking* scores
the candidates with rapidfuzz (:mod:`store.ranking`) off the event loop and keeps
those clearing the "no match" threshold.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
from dataclasses import asdict, dataclass

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from store.db import Database
from store.models import Hit
from store.query import ParsedQuery, fts_term, parse_query
from store.ranking import Scored, rank
from store.textnorm import has_hangul

CANDIDATES = 100  # paragraphs fetched from FTS5 for re-ranking
MIN_TERMS = 3  # always use at least this many query words for retrieval (if there are)
MAX_TERMS = 6
DF_BUDGET = 20_000  # beyond MIN_TERMS, add words only while their postings stay this small
MAX_SCAN_PARAGRAPHS = 5_000  # a filter this selective is searched exhaustively
MAX_CORRECTIONS = 3


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """Restrict a search; dates are ISO 8601, partial allowed (``2024``, ``2024-03``)."""

    collection: str | None = None
    document_id: int | None = None
    speaker: str | None = None
    language: str | None = None
    date_from: str | None = None
    date_to: str | None = None


@dataclass(frozen=True, slots=True)
class SearchResult:
    """What a search found: hits best first, plus a notice or an error for the user."""

    query: str
    hits: list[Hit]
    notice: str | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class _Slot:
    """One query word and the index words that may stand for it."""

    word: str
    alternatives: tuple[str, ...]
    df: int
    prefix: bool = False

    def expression(self) -> str:
        terms = [fts_term(a, self.prefix) for a in self.alternatives]
        return terms[0] if len(terms) == 1 else "(" + " OR ".join(terms) + ")"


def choose_slots(slots: list[_Slot]) -> list[_Slot]:
    """The rarest slots: at least ``MIN_TERMS``, more while postings stay in budget."""
    chosen: list[_Slot] = []
    total = 0
    for slot in sorted((s for s in slots if s.df > 0), key=lambda s: s.df):
        if len(chosen) >= MAX_TERMS:
            break
        if len(chosen) >= MIN_TERMS and total + slot.df > DF_BUDGET:
            break
        chosen.append(slot)
        total += slot.df
    return chosen


class Searcher:
    """Runs searches against one open :class:`Database`.

    rapidfuzz work runs in ``executor`` (default: a small thread pool of its own), so
    the event loop keeps serving other chats meanwhile.
    """

    def __init__(self, db: Database, executor: concurrent.futures.Executor | None = None) -> None:
        self._db = db
        self._executor = executor or concurrent.futures.ThreadPoolExecutor(
            max_workers=2, thread_name_prefix="verbatim-search"
        )
        self._vocab_checked = False

    async def search(
        self,
        query: str,
        *,
        limit: int = 10,
        offset: int = 0,
        filters: SearchFilters | None = None,
    ) -> SearchResult:
        """Search for ``query``; hits ``offset .. offset+limit`` of those clearing the threshold."""
        parsed = parse_query(query)
        if parsed.error:
            return SearchResult(parsed.text, [], parsed.notice, parsed.error)
        limit, offset = max(limit, 0), max(offset, 0)
        scored = await self.score(parsed, filters or SearchFilters(), offset + limit)
        page = scored[offset : offset + limit]
        return SearchResult(parsed.text, await self._hits(page), parsed.notice)

    async def score(self, parsed: ParsedQuery, filters: SearchFilters, wanted: int) -> list[Scored]:
        """Retrieve and re-rank candidates for a parsed query: every match, best first."""
        await self._ensure_vocab()
        conditions = {k: v for k, v in asdict(filters).items() if v is not None and v != ""}
        candidates: list[tuple[int, str]]
        cap = MAX_SCAN_PARAGRAPHS + 1
        if conditions and await self._db.count_filtered_paragraphs(cap, **conditions) < cap:
            candidates = await self._db.filtered_paragraphs(MAX_SCAN_PARAGRAPHS, **conditions)
        else:
            expression = await self.expression(parsed)
            if expression is None:
                return []
            candidates = await self._db.fts_candidates(
                expression, max(CANDIDATES, 2 * wanted), **conditions
            )
        if not candidates:
            return []
        loop = asyncio.get_running_loop()
        job = functools.partial(rank, parsed.words, candidates, parsed.phrases, parsed.excluded)
        return await loop.run_in_executor(self._executor, job)

    async def expression(self, parsed: ParsedQuery) -> str | None:
        """The FTS5 expression for candidate retrieval, or ``None`` if no word is indexed."""
        words = list(dict.fromkeys(parsed.words))
        phrase_words = {w for p in parsed.phrases for w in p}
        df = await self._db.term_frequencies(words)
        slots: list[_Slot] = []
        for word in words:
            if word in phrase_words:
                continue
            if has_hangul(word):
                slots.append(_Slot(word, (word,), 1, prefix=True))
            elif df.get(word, 0) > 0:
                slots.append(_Slot(word, (word,), df[word]))
            else:
                fixes = await self.corrections(word)
                if fixes:
                    slots.append(_Slot(word, tuple(t for t, _ in fixes), sum(d for _, d in fixes)))
        parts = [
            "(" + " + ".join(fts_term(w, has_hangul(w)) for w in phrase) + ")"
            for phrase in parsed.phrases
        ]
        chosen = choose_slots(slots)
        if chosen:
            parts.append("(" + " OR ".join(s.expression() for s in chosen) + ")")
        return " AND ".join(parts) if parts else None

    async def corrections(self, word: str) -> list[tuple[str, int]]:
        """Index words within a small edit distance of ``word``, most frequent first."""
        n = len(word)
        if n < 3:
            return []
        max_edits = 1 if n <= 5 else 2
        affix = 2 if n <= 5 else 3
        neighbours = await self._db.vocab_neighbours(word, affix, n - max_edits, n + max_edits)
        if not neighbours:
            return []
        frequency = dict(neighbours)
        found = process.extract(
            word,
            list(frequency),
            scorer=Levenshtein.distance,
            score_cutoff=max_edits,
            limit=None,
        )
        found.sort(key=lambda f: (f[1], -frequency[f[0]]))
        return [(term, frequency[term]) for term, _, _ in found[:MAX_CORRECTIONS]]

    async def _ensure_vocab(self) -> None:
        if self._vocab_checked:
            return
        if await self._db.search_vocab_is_empty() and await self._db.has_paragraphs():
            await self._db.rebuild_search_vocab()
        self._vocab_checked = True

    async def _hits(self, page: list[Scored]) -> list[Hit]:
        if not page:
            return []
        paragraphs = await self._db.get_paragraphs([s.paragraph_id for s in page])
        documents = await self._db.get_documents([p.document_id for p in paragraphs.values()])
        hits: list[Hit] = []
        for s in page:
            paragraph = paragraphs.get(s.paragraph_id)
            document = documents.get(paragraph.document_id) if paragraph else None
            if paragraph and document:
                hits.append(Hit(paragraph, document, s.score, s.confidence, s.spans))
        return hits
