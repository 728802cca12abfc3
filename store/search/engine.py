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
from dataclasses import asdict, dataclass, field

from rapidfuzz import fuzz

from store.db import Database
from store.db.schema import WorkLimitExceeded
from store.models import Hit
from store.search.answer import KEEP_LEVEL, Decision, decide, settled
from store.search.plan import (
    BOOST_SHARE,
    COMMON_SHARE,
    RARE_TERMS,
    SCAN_POOL,
    Pool,
    Slot,
    all_of,
    any_rare_words,
    boost_slots,
    choose_slots,
    pair_hits,
    scan_pools,
    slot_weight,
    tier_expressions,
    word_pairs,
)
from store.search.query import ParsedQuery, fts_term, parse_query
from store.search.ranking import DETAILED_CANDIDATES, Scored, hit_spans, rank
from store.search.recall import query_weights, runon_recall, telling_found, telling_words
from store.search.terms import QueryTerms
from store.text.norm import has_hangul, joined_words

CANDIDATES = 100  # paragraphs fetched from FTS5 for re-ranking
RECALL_TIER_CANDIDATES = 40  # paragraphs the last tier (rare words, any) brings
RUNON_CANDIDATES = 2  # best paragraphs read again with a neighbour when none is an answer
RELATED_CHECKED = 10  # best paragraphs looked up to tell neighbours and near-copies apart
NEAR_COPY = 90.0  # rapidfuzz ratio from which two paragraphs are copies of one text
COPY_ENDS = 400  # characters at each end compared to tell copies
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


def near_copies(first: str, second: str) -> bool:
    """Whether two paragraphs are copies of one text with small differences: lengths
    within a tenth, and their first and last ``COPY_ENDS`` folded characters alike."""
    a, b = joined_words(first), joined_words(second)
    if abs(len(a) - len(b)) > 0.1 * max(len(a), len(b)):
        return False
    return (
        fuzz.ratio(a[:COPY_ENDS], b[:COPY_ENDS]) >= NEAR_COPY
        and fuzz.ratio(a[-COPY_ENDS:], b[-COPY_ENDS:]) >= NEAR_COPY
    )


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
    """What a search found: answers best first (``hits``), or ``suggestions`` when none
    is clear enough, plus a notice or an error for the user."""

    query: str
    hits: list[Hit]
    notice: str | None = None
    error: str | None = None
    # when nothing is an answer: the closest passages, to offer as "not sure" (first page)
    suggestions: list[Hit] = field(default_factory=list)


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
        wanted = offset + limit
        try:
            async with self._db.time_limit(SEARCH_SECONDS):
                decision = await self.decide(parsed, filters, wanted)
                if not decision.answers and parsed.phrases:
                    loose = await self.decide(
                        dataclasses.replace(parsed, phrases=()), filters, wanted
                    )
                    if loose.answers:
                        decision = loose
                        notice = " ".join(n for n in (notice, PHRASE_NOTICE) if n)
        except WorkLimitExceeded:
            return SearchResult(parsed.text, [], notice, TOO_MUCH_WORK)
        page = await self._hits(parsed, decision, decision.answers[offset : offset + limit])
        suggested = [] if offset else await self._hits(parsed, decision, decision.suggestions)
        return SearchResult(parsed.text, page, notice, suggestions=suggested)

    async def decide(self, parsed: ParsedQuery, filters: SearchFilters, wanted: int) -> Decision:
        """Retrieve, re-rank and decide (:func:`store.search.answer.decide`): the answers
        (at least ``wanted`` when there are so many) or suggestions for a parsed query."""
        scored, weights, telling = await self.score(parsed, filters, wanted)
        korean = any(has_hangul(w) for w in parsed.words)
        decision = await self._decide(scored, korean)
        if scored and not decision.answers:  # perhaps a quotation across two paragraphs
            read_on = await self._read_on(parsed, weights, None if korean else telling, scored)
            if read_on != scored:
                decision = await self._decide(read_on, korean)
        return dataclasses.replace(decision, weights=weights)

    async def _decide(self, scored: list[Scored], korean: bool) -> Decision:
        near = await self._db.get_paragraphs([s.paragraph_id for s in scored[:RELATED_CHECKED]])

        def related(a: int, b: int) -> bool:
            first, second = near.get(a), near.get(b)
            if first is None or second is None:
                return False
            if first.document_id == second.document_id:
                return abs(first.position - second.position) <= 1
            return near_copies(first.text, second.text)

        return decide(scored, related, korean)

    async def _read_on(
        self,
        parsed: ParsedQuery,
        weights: tuple[float, ...],
        telling: frozenset[str] | None,
        scored: list[Scored],
    ) -> list[Scored]:
        """The best few paragraphs scored again together with a neighbour, for a query
        that runs across a paragraph boundary (see :func:`runon_recall`)."""
        top = scored[:RUNON_CANDIDATES]
        ids = {i for s in top for i in (s.paragraph_id - 1, s.paragraph_id, s.paragraph_id + 1)}
        paragraphs = await self._db.get_paragraphs(sorted(ids))
        jobs = []
        for s in top:
            own = paragraphs.get(s.paragraph_id)
            if own is None:
                continue
            around = [paragraphs.get(s.paragraph_id + d) for d in (-1, 1)]
            before, after = (
                p.text if p is not None and p.document_id == own.document_id else None
                for p in around
            )
            jobs.append((s, own.text, before, after))
        loop = asyncio.get_running_loop()
        rescored = {
            s.paragraph_id: await loop.run_in_executor(
                self._executor,
                functools.partial(runon_recall, parsed.words, weights, text, before, after),
            )
            for s, text, before, after in jobs
        }
        better = [
            dataclasses.replace(
                s,
                score=found.score,
                recalled=True,
                telling=max(s.telling, telling_found(parsed.words, found, telling)),
            )
            if (found := rescored.get(s.paragraph_id)) is not None and found.score > s.score
            else s
            for s in scored
        ]
        return sorted(better, key=lambda s: (-s.score, s.length, s.paragraph_id))

    async def score(
        self, parsed: ParsedQuery, filters: SearchFilters, wanted: int
    ) -> tuple[list[Scored], tuple[float, ...], frozenset[str]]:
        """Retrieve and re-rank candidates for a parsed query: every paragraph scoring
        ``KEEP_LEVEL`` or more, best first; the weights of the query's words, and those
        of its words that tell passages apart."""
        await self._terms.ensure_vocab()
        slots, frequencies = await self._terms.slots(parsed, self._pair_cap())
        paragraphs = max(self._terms.paragraphs, 1)
        weights = query_weights(parsed.words, frequencies, paragraphs)
        telling = telling_words(frequencies, paragraphs)
        found = await self._retrieve(parsed, filters, wanted, slots, weights, telling)
        return found, weights, telling

    async def _retrieve(
        self,
        parsed: ParsedQuery,
        filters: SearchFilters,
        wanted: int,
        slots: list[Slot],
        weights: tuple[float, ...],
        telling: frozenset[str],
    ) -> list[Scored]:
        conditions = {k: v for k, v in asdict(filters).items() if v is not None and v != ""}
        cap = MAX_SCAN_PARAGRAPHS + 1
        if conditions and await self._db.count_filtered_paragraphs(cap, **conditions) < cap:
            candidates = await self._db.filtered_paragraphs(MAX_SCAN_PARAGRAPHS, **conditions)
            return await self._rank(parsed, candidates, wanted, weights, telling)
        count = max(CANDIDATES, 2 * wanted)
        korean = any(has_hangul(w) for w in parsed.words)
        seen: set[int] = set()
        best: list[Scored] = []
        complete = False
        large = self._terms.paragraphs >= SCAN_FROM  # bm25 gets dear: scan first, bound bm25
        if large and not conditions and not parsed.phrases:
            scan = await self._scan(parsed, slots, count)
            if scan is not None:
                scanned, complete = scan
                seen.update(c[0] for c in scanned)
                first = max(SCAN_FIRST, wanted)  # the best-ordered few, then the rest
                best = await self._rank(parsed, scanned[:first], wanted, weights, telling)
                if not settled(best, korean):
                    best = sorted(
                        [
                            *best,
                            *await self._rank(parsed, scanned[first:], wanted, weights, telling),
                        ],
                        key=lambda s: (-s.score, s.length, s.paragraph_id),
                    )
                if settled(best, korean):
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
                    [*best, *await self._rank(parsed, fresh, wanted, weights, telling)],
                    key=lambda s: (-s.score, s.length, s.paragraph_id),
                )
            if settled(best, korean):
                return best
        if complete:  # the scan saw every paragraph with any rare word
            return best
        return await self._recall_tier(parsed, slots, weights, telling, best, seen, conditions)

    async def _recall_tier(
        self,
        parsed: ParsedQuery,
        slots: list[Slot],
        weights: tuple[float, ...],
        telling: frozenset[str],
        best: list[Scored],
        seen: set[int],
        conditions: dict[str, str | int],
    ) -> list[Scored]:
        """The last tier (see :func:`any_rare_words`): the paragraphs with most of the
        query's rare words, scored by recall alone (a paragraph holding the query nearly
        word for word was found by the stricter tiers already)."""
        expression = any_rare_words(slots, self._terms.paragraphs)
        if expression is None:
            return best
        if parsed.phrases:
            expression = f"{self._phrase_expression(parsed)} AND ({expression})"
        large = self._terms.paragraphs >= SCAN_FROM
        if large and await self._db.fts_count(expression, BM25_BUDGET + 1) > BM25_BUDGET:
            return best
        found = await self._db.fts_candidates(expression, RECALL_TIER_CANDIDATES, **conditions)
        fresh = [c for c in found if c[0] not in seen]
        if not fresh:
            return best
        recalled = await self._rank(parsed, fresh, 0, weights, telling, align=False)
        return sorted([*best, *recalled], key=lambda s: (-s.score, s.length, s.paragraph_id))

    async def _rank(
        self,
        parsed: ParsedQuery,
        candidates: list[tuple[int, str]],
        wanted: int,
        weights: tuple[float, ...],
        telling: frozenset[str],
        align: bool = True,
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
            threshold=KEEP_LEVEL,
            detailed=max(DETAILED_CANDIDATES, wanted),  # deeper pages (inline paging)
            page=0,  # spans are worked out for the hits shown (see _hits)
            weights=weights,
            align=align,
            telling=telling,
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
        phrases = self._phrase_expression(parsed)
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

    @staticmethod
    def _phrase_expression(parsed: ParsedQuery) -> str:
        """The FTS5 expression that the quoted phrases must all match ('' for none)."""
        return " AND ".join(
            "(" + " + ".join(fts_term(w, has_hangul(w)) for w in phrase) + ")"
            for phrase in parsed.phrases
        )

    async def _variants_expression(self, chosen: list[Slot], boost: list[Slot]) -> str | None:
        """Last resort: the rare words or their spelling variants (colour/color,
        realise/realize, programme/program); ``None`` if there are no variants."""
        expanded = [await self._terms.expand(s) for s in chosen if not s.prefix]
        if not expanded or all(a == b for a, b in zip(expanded, chosen, strict=False)):
            return None
        anything = " OR ".join(s.expression() for s in expanded)
        ranked = " OR ".join(s.expression() for s in [*expanded, *boost])
        return f"({anything}) AND ({ranked})" if boost else anything

    async def _hits(self, parsed: ParsedQuery, decision: Decision, page: list[Scored]) -> list[Hit]:
        """The hits for ``page``: paragraph, document, the other documents holding the same
        text, and the words to highlight (worked out here, for shown hits only)."""
        if not page:
            return []
        same_text = decision.same_text
        ids = [s.paragraph_id for s in page]
        paragraphs = await self._db.get_paragraphs(
            [*ids, *(o for i in ids for o in same_text.get(i, ()))]
        )
        documents = await self._db.get_documents([p.document_id for p in paragraphs.values()])
        shown = [(s, paragraphs[s.paragraph_id]) for s in page if s.paragraph_id in paragraphs]

        def all_spans() -> list[tuple[tuple[int, int], ...]]:
            return [hit_spans(s, parsed.words, decision.weights, p.text) for s, p in shown]

        spans = await asyncio.get_running_loop().run_in_executor(self._executor, all_spans)
        hits: list[Hit] = []
        for (s, paragraph), marked in zip(shown, spans, strict=True):
            document = documents.get(paragraph.document_id)
            if document is None:
                continue
            elsewhere = [paragraphs.get(o) for o in same_text.get(s.paragraph_id, ())]
            also = dict.fromkeys(
                p.document_id for p in elsewhere if p and p.document_id != document.id
            )
            also_in = tuple(documents[d] for d in also if d in documents)
            hits.append(Hit(paragraph, document, s.score, s.confidence, marked, also_in))
        return hits
