"""The search engine: :class:`Searcher` finds the paragraphs a quotation comes from.

Two stages.  *Candidate retrieval* asks SQLite's FTS5 index for the best-matching
paragraphs (bm25) on the query's most discriminating words only (the rarest, by
document frequency from the ``search_vocab`` table); words not in the index are
replaced by their nearest vocabulary words (misspellings).  *Re-ranking* scores
the candidates with rapidfuzz (:mod:`store.search.ranking`) off the event loop and
keeps those clearing the "no match" threshold.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import functools
import heapq
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass

from store.db import Database
from store.db.schema import WorkLimitExceeded
from store.models import Hit
from store.search.plan import (
    BOOST_SHARE,
    COMMON_SHARE,
    RARE_TERMS,
    SCAN_POOL,
    Pool,
    Slot,
    all_of,
    boost_slots,
    choose_slots,
    pair_hits,
    scan_pools,
    slot_weight,
    tier_expressions,
    word_pairs,
)
from store.search.query import ParsedQuery, fts_term, parse_query
from store.search.ranking import DETAILED_CANDIDATES, Scored, rank
from store.search.terms import QueryTerms
from store.text.norm import has_hangul

CANDIDATES = 100  # paragraphs fetched from FTS5 for re-ranking
GOOD_ENOUGH = 85.0  # a hit this good from a stricter tier ends retrieval
SEARCH_SECONDS = 2.0  # the database work one search may do before it is stopped
TOO_MUCH_WORK = (
    "That search asked for too much work (very common words or many phrases): "
    "try fewer words, or rarer ones."
)
PHRASE_NOTICE = "No paragraph has the words in quotes exactly; showing the closest matches."
MAX_SCAN_PARAGRAPHS = 5_000  # a filter this selective is searched exhaustively
SCAN_POOL_SHARE = 250  # ... and at most one in this many of all paragraphs
LOOSE_POOL_STRETCH = 2  # the loosest pool (see scan_pools) may hold this many times more
SCAN_FROM = 250_000  # paragraphs from which scans replace bm25 first (below, bm25 is cheap)
SCAN_SLOTS = 8  # further query words counted in each pooled paragraph
SCAN_TEXTS = 60  # best-counted paragraphs whose text is fetched for the word-pair check
SCAN_TEXTS_TIED = 400  # ... or, from a pool of all the rarest words, as many as tie
BM25_BUDGET = 20_000  # a retrieval expression with more matches is not ranked by bm25
PAIR_WEIGHT = 2.0  # a query word pair found side by side counts like a rare word
SCAN_FIRST = 20  # scanned candidates ranked first; the rest only if none of them is good
STOCK_PHRASE_PAIRS = 3  # all-common-word queries need this many word pairs in the index


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
        self._terms = QueryTerms(db)

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
        filters = filters or SearchFilters()
        notice = parsed.notice
        try:
            async with self._db.time_limit(SEARCH_SECONDS):
                scored = await self.score(parsed, filters, offset + limit)
                if not scored and parsed.phrases:
                    scored = await self.score(
                        dataclasses.replace(parsed, phrases=()), filters, offset + limit
                    )
                    if scored:
                        notice = " ".join(n for n in (notice, PHRASE_NOTICE) if n)
        except WorkLimitExceeded:
            return SearchResult(parsed.text, [], notice, TOO_MUCH_WORK)
        page = scored[offset : offset + limit]
        return SearchResult(parsed.text, await self._hits(page), notice)

    async def score(self, parsed: ParsedQuery, filters: SearchFilters, wanted: int) -> list[Scored]:
        """Retrieve and re-rank candidates for a parsed query: every match, best first."""
        await self._terms.ensure_vocab()
        conditions = {k: v for k, v in asdict(filters).items() if v is not None and v != ""}
        cap = MAX_SCAN_PARAGRAPHS + 1
        if conditions and await self._db.count_filtered_paragraphs(cap, **conditions) < cap:
            candidates = await self._db.filtered_paragraphs(MAX_SCAN_PARAGRAPHS, **conditions)
            return await self._rank(parsed, candidates, wanted)
        count = max(CANDIDATES, 2 * wanted)
        seen: set[int] = set()
        best: list[Scored] = []
        complete = False
        slots = await self._terms.slots(parsed, self._pair_cap())
        large = self._terms.paragraphs >= SCAN_FROM  # bm25 gets dear: scan first, bound bm25
        if large and not conditions and not parsed.phrases:
            scan = await self._scan(parsed, slots, count)
            if scan is not None:
                scanned, complete = scan
                seen.update(c[0] for c in scanned)
                first = max(SCAN_FIRST, wanted)  # the best-ordered few, then the rest
                best = await self._rank(parsed, scanned[:first], wanted)
                if not best or best[0].score < GOOD_ENOUGH:
                    best = sorted(
                        [*best, *await self._rank(parsed, scanned[first:], wanted)],
                        key=lambda s: (-s.score, s.length, s.paragraph_id),
                    )
                if best and best[0].score >= GOOD_ENOUGH:
                    return best
        tiers = self._tiers(parsed, slots)
        if complete:  # the scan saw every paragraph with a rare word: only spelling variants
            tiers = [t for t in tiers if not isinstance(t, str)]
        for tier in tiers:
            expression = tier if isinstance(tier, str) else await tier()
            if expression is None:
                continue
            if large and await self._db.fts_count(expression, BM25_BUDGET + 1) > BM25_BUDGET:
                continue  # too many matches to rank by bm25 within the time allowed
            found = await self._db.fts_candidates(expression, count, **conditions)
            fresh = [c for c in found if c[0] not in seen]
            seen.update(c[0] for c in fresh)
            if fresh:
                best = sorted(
                    [*best, *await self._rank(parsed, fresh, wanted)],
                    key=lambda s: (-s.score, s.length, s.paragraph_id),
                )
            if best and best[0].score >= GOOD_ENOUGH:
                break
        return best

    async def _rank(
        self, parsed: ParsedQuery, candidates: list[tuple[int, str]], wanted: int = 0
    ) -> list[Scored]:
        if not candidates:
            return []
        loop = asyncio.get_running_loop()
        job = functools.partial(
            rank,
            parsed.words,
            candidates,
            parsed.phrases,
            parsed.excluded,
            detailed=max(DETAILED_CANDIDATES, wanted),  # deeper pages (inline paging)
            page=wanted,
        )
        return await loop.run_in_executor(self._executor, job)

    async def _scan(
        self, parsed: ParsedQuery, slots: list[Slot], count: int
    ) -> tuple[list[tuple[int, str]], bool] | None:
        """Candidates without bm25 (see :func:`scan_pools`): the paragraphs of a pool,
        ordered by the inverse document frequency of the query words each has, then by
        the query word pairs found side by side; and whether the pool held every
        paragraph with a rare query word (then the bm25 tiers would find nothing more).

        When even the strictest pool is too large, its first :meth:`_pool_size` paragraphs
        (words that common together make a stock phrase, found in any of them), or no
        candidates when every query word is common and so are all of them together (a
        query still being typed, such as "of the": nothing clear matches).  ``None`` when
        no query word is in the index."""
        ordered = sorted((s for s in slots if s.df > 0), key=lambda s: s.df)
        if not ordered:
            return None
        # every word common and fewer than three of its pairs in the index (such as "of
        # the"): nothing but a long-enough stock phrase can pick few paragraphs
        common = (
            min((s.df for s in ordered if not s.pair), default=0)
            > max(1000, self._terms.paragraphs * COMMON_SHARE)
            and sum(s.pair for s in ordered) < STOCK_PHRASE_PAIRS
        )
        ids: list[int] = []
        pool = Pool("")
        budget = limit = self._pool_size()
        pools = scan_pools(ordered, budget)
        for n, pool in enumerate(pools[-1:] if common else pools):
            # the loosest pool may be larger: it is the one that survives odd words
            limit = budget * LOOSE_POOL_STRETCH if n == 0 and not common else budget
            ids = await self._db.fts_rowids(pool.expression, limit + 1)
            if len(ids) <= limit:
                break
        if common and len(ids) > budget:
            return [], True
        ids = ids[:budget] if len(ids) > limit else ids
        if not ids:
            return [], self._covers_rare_words(pool, ordered, budget)
        weight = dict.fromkeys(ids, 0.0)
        telling = max(1000, self._terms.paragraphs * BOOST_SHARE)
        for slot in ordered[:SCAN_SLOTS]:
            if slot in pool.implied or slot.df > telling:
                continue
            w = slot_weight(slot, self._terms.paragraphs)
            alone = slot in pool.alone
            expression = (
                slot.expression() if alone else f"({pool.expression}) AND {slot.expression()}"
            )
            for pid in await self._db.fts_rowids(expression, len(ids), ids[-1]):
                if pid in weight:
                    weight[pid] += w
        most = SCAN_TEXTS_TIED if pool.implied else SCAN_TEXTS
        best = heapq.nsmallest(most, weight, key=lambda pid: (-weight[pid], pid))
        if len(best) > SCAN_TEXTS:  # beyond SCAN_TEXTS only those as good as the last
            last = weight[best[SCAN_TEXTS - 1]]
            best = best[:SCAN_TEXTS] + [p for p in best[SCAN_TEXTS:] if weight[p] >= last]
        texts = await self._db.paragraph_texts(best)
        pairs = word_pairs(parsed.words)
        order = sorted(
            texts,
            key=lambda c: (-(weight[c[0]] + PAIR_WEIGHT * pair_hits(pairs, c[1].lower())), c[0]),
        )
        return order[:count], self._covers_rare_words(pool, ordered, budget)

    @staticmethod
    def _covers_rare_words(pool: Pool, ordered: list[Slot], budget: int) -> bool:
        """Whether ``pool`` held every paragraph with any query word (or word pair) rare
        enough to have been a pool's anchor: then bm25 would find nothing new."""
        return bool(pool.alone) and all(s in pool.alone for s in ordered if s.df <= budget)

    async def corrections(self, word: str) -> list[tuple[str, int]]:
        """Index words within a small edit distance of ``word``, most frequent first."""
        return await self._terms.corrections(word)

    def _pair_cap(self) -> int:
        """How far word pairs are counted: all a scan needs to know (its loosest pool)."""
        return LOOSE_POOL_STRETCH * self._pool_size() + 1

    def _pool_size(self) -> int:
        """How many paragraphs a scan's pool may hold (fewer in small collections)."""
        return max(500, min(SCAN_POOL, self._terms.paragraphs // SCAN_POOL_SHARE))

    def _tiers(
        self, parsed: ParsedQuery, slots: list[Slot]
    ) -> list[str | Callable[[], Awaitable[str | None]]]:
        phrases = " AND ".join(
            "(" + " + ".join(fts_term(w, has_hangul(w)) for w in phrase) + ")"
            for phrase in parsed.phrases
        )
        chosen = choose_slots(slots, self._terms.paragraphs)
        if not chosen and slots:
            # only common words: paragraphs with all of the four rarest (few, and cheap
            # to rank: bm25 cost grows with the matches of every term in the expression)
            ordered = sorted((s for s in slots if s.df > 0), key=lambda s: s.df)
            common = [all_of(ordered[:RARE_TERMS])] if ordered else []
            return [f"{phrases} AND {c}" if phrases else c for c in common] or (
                [phrases] if phrases else []
            )
        boost = boost_slots(slots, chosen, self._terms.paragraphs)
        tiers: list[str | Callable[[], Awaitable[str | None]]] = [*tier_expressions(chosen, boost)]
        if len(chosen) <= 2:  # with more, the pairs tier already survives one odd word
            tiers.append(functools.partial(self._variants_expression, chosen, boost))
        if phrases:
            return [f"{phrases} AND ({t})" for t in tiers if isinstance(t, str)] or [phrases]
        return tiers

    async def _variants_expression(self, chosen: list[Slot], boost: list[Slot]) -> str | None:
        """Last resort: the rare words or their spelling variants (colour/color,
        realise/realize, programme/program); ``None`` if there are no variants."""
        expanded = [await self._terms.expand(s) for s in chosen if not s.prefix]
        if not expanded or all(a == b for a, b in zip(expanded, chosen, strict=False)):
            return None
        anything = " OR ".join(s.expression() for s in expanded)
        ranked = " OR ".join(s.expression() for s in [*expanded, *boost])
        return f"({anything}) AND ({ranked})" if boost else anything

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
