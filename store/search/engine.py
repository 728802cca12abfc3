"""The search engine: :class:`Searcher` finds the paragraphs a quotation comes from.

Two stages.  *Candidate retrieval* asks SQLite's FTS5 index (bm25) for the query's most
discriminating words only (the rarest, by document frequency from ``search_vocab``);
words not in the index stand for their nearest vocabulary words (misspellings).
*Re-ranking* scores the candidates with rapidfuzz (:mod:`store.search.ranking`) off the
event loop, keeping those scoring ``KEEP_LEVEL`` or more; :func:`store.search.answer.decide`
tells answers from suggestions (a last tier retrieves by the rarest words alone).  From
``SCAN_FROM`` paragraphs retrieval starts with a scan without bm25 (:mod:`store.search.scan`);
:mod:`store.search.hits` tells related paragraphs apart and assembles the hits shown.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import functools
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field

from store.db import Database
from store.db.schema import WorkLimitExceeded
from store.models import Hit
from store.search.answer import KEEP_LEVEL, Decision, clear_gap, decide, noise_level, settled
from store.search.hits import RELATED_REACH, build_hits, related_paragraphs, unrelated
from store.search.plan import (
    RARE_TERMS,
    Slot,
    all_of,
    any_two_of,
    boost_slots,
    choose_slots,
    rare_words,
    tier_expressions,
)
from store.search.query import ParsedQuery, fts_term, parse_query
from store.search.ranking import DETAILED_CANDIDATES, MATCH_THRESHOLD, Scored, best_first, rank
from store.search.recall import Recall, query_weights, runon_recall, telling_found, telling_words
from store.search.scan import pair_cap, scan
from store.search.terms import QueryTerms
from store.text.norm import has_hangul

CANDIDATES = 100  # paragraphs fetched from FTS5 for re-ranking
RECALL_TIER_CANDIDATES = 40  # paragraphs the last tier (rare words, any) brings
SEEN_REASKED = 200  # ... its forms reading asks for this many more, past those seen
RUNON_CANDIDATES = 2  # best paragraphs read again with a neighbour when none is an answer
SEARCH_SECONDS = 2.0  # the database work one search may do before it is stopped
TOO_MUCH_WORK = (
    "That search asked for too much work (very common words or many phrases): "
    "try fewer words, or rarer ones."
)
PHRASE_NOTICE = "No paragraph has the words in quotes exactly; showing the closest matches."
MAX_SCAN_PARAGRAPHS = 5_000  # a filter this selective is searched exhaustively
SCAN_FROM = 250_000  # paragraphs from which scans replace bm25 first (below, bm25 is cheap)
BM25_BUDGET = 20_000  # a retrieval expression with more matches is not ranked by bm25
SCAN_FIRST = 20  # scanned candidates ranked first; the rest only if none of them is good


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """Restrict a search; dates are ISO 8601, partial allowed (``2024``, ``2024-03``)."""

    collection: str | None = None
    document_id: int | None = None
    speaker: str | None = None
    language: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    # only paragraphs stored after this id (/watch: the new ones); not a user's filter
    after_paragraph_id: int | None = None


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
        """Search for ``query``: the answers ``offset .. offset+limit`` (see
        :func:`store.search.answer.decide`), or on the first page, when there is none,
        the closest passages as suggestions."""
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
        answers = decision.answers[offset : offset + limit]
        suggestions = [] if offset else decision.suggestions  # suggested on the first page
        page = await build_hits(self._db, self._executor, parsed, decision, answers)
        suggested = await build_hits(self._db, self._executor, parsed, decision, suggestions)
        return SearchResult(parsed.text, page, notice, suggestions=suggested)

    async def decide(self, parsed: ParsedQuery, filters: SearchFilters, wanted: int) -> Decision:
        """Retrieve, re-rank and decide (:func:`store.search.answer.decide`): the answers
        (at least ``wanted`` when there are so many) or suggestions for a parsed query."""
        scored, weights, telling = await self.score(parsed, filters, wanted)
        korean = any(has_hangul(w) for w in parsed.words)
        anchors = [w for _, w in sorted(zip(weights, parsed.words, strict=True), reverse=True)]
        decision = await self._decide(scored, korean, anchors)
        if scored and not decision.answers:  # perhaps a quotation across two paragraphs
            read_on = await self._read_on(parsed, weights, None if korean else telling, scored)
            if read_on != scored:
                decision = await self._decide(read_on, korean, anchors)
        return dataclasses.replace(decision, weights=weights)

    async def _decide(self, scored: list[Scored], korean: bool, anchors: list[str]) -> Decision:
        reach = clear_gap(scored[0]) if scored else 0.0  # only rivals within it can matter
        related: Callable[[int, int], bool]
        if (
            not scored
            or scored[0].alignment >= MATCH_THRESHOLD
            or scored[0].score < noise_level(scored[0], korean) + reach  # (inf: never)
        ):
            related = unrelated  # no gap answer to weigh: nothing to look up
        else:
            related = await related_paragraphs(self._db, scored, min(reach, RELATED_REACH), anchors)
        # telling texts apart compares them (rapidfuzz): off the event loop
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, decide, scored, related, korean)

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

        def read_on_all() -> dict[int, Recall]:
            return {
                s.paragraph_id: runon_recall(parsed.words, weights, text, before, after)
                for s, text, before, after in jobs
            }

        rescored = await asyncio.get_running_loop().run_in_executor(self._executor, read_on_all)
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
        return best_first(better)

    async def score(
        self, parsed: ParsedQuery, filters: SearchFilters, wanted: int
    ) -> tuple[list[Scored], tuple[float, ...], frozenset[str]]:
        """Retrieve and re-rank candidates for a parsed query: every paragraph scoring
        ``KEEP_LEVEL`` or more, best first; the weights of the query's words, and those
        of its words that tell passages apart."""
        await self._terms.ensure_vocab()
        slots, frequencies = await self._terms.slots(parsed, pair_cap(self._terms.paragraphs))
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
            scan_found = await scan(self._db, self._terms.paragraphs, parsed, slots, count)
            if scan_found is not None:
                scanned, complete = scan_found
                seen.update(c[0] for c in scanned)
                first = max(SCAN_FIRST, wanted)  # the best-ordered few, then the rest
                best = await self._rank(parsed, scanned[:first], wanted, weights, telling)
                if not settled(best, korean):
                    rest = await self._rank(parsed, scanned[first:], wanted, weights, telling)
                    best = best_first([*best, *rest])
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
                best = best_first(
                    [*best, *await self._rank(parsed, fresh, wanted, weights, telling)]
                )
            if settled(best, korean):
                return best
        # a complete scan saw every paragraph with any rare word (as written, not its forms)
        chosen = rare_words(slots, self._terms.paragraphs)
        scores = (weights, telling)
        return await self._recall_tier(parsed, chosen, scores, best, seen, conditions, not complete)

    async def _recall_tier(
        self,
        parsed: ParsedQuery,
        chosen: list[Slot],
        scores: tuple[tuple[float, ...], frozenset[str]],
        best: list[Scored],
        seen: set[int],
        conditions: dict[str, str | int],
        ask_plain: bool = True,
    ) -> list[Scored]:
        """The last tiers (see :func:`any_two_of`): the paragraphs with most of the
        query's rare words ``chosen`` (unless ``ask_plain`` is false), scored by recall
        alone with the query's ``scores`` (weights, telling words); then, if nothing at all
        was found, those with most of them in any of their forms (envy, envied for
        envies), past the paragraphs ``seen`` already."""
        if ask_plain:
            found = await self._rare_words_tier(
                parsed, chosen, RECALL_TIER_CANDIDATES, seen, conditions
            )
            best = best_first([*best, *await self._rank(parsed, found, 0, *scores, align=False)])
        if best:  # (every reading costs: the forms only where nothing at all was found)
            return best
        forms = [await self._terms.with_forms(s) for s in chosen]
        if forms == chosen:
            return best
        limit = RECALL_TIER_CANDIDATES + min(len(seen), SEEN_REASKED)
        found = await self._rare_words_tier(parsed, forms, limit, seen, conditions)
        return best_first(await self._rank(parsed, found, 0, *scores, align=False))

    async def _rare_words_tier(
        self,
        parsed: ParsedQuery,
        chosen: list[Slot],
        limit: int,
        seen: set[int],
        conditions: dict[str, str | int],
    ) -> list[tuple[int, str]]:
        """The unseen of the ``limit`` paragraphs (bm25) holding any two of ``chosen``."""
        expression = any_two_of(chosen)
        if expression is None:
            return []
        if parsed.phrases:
            expression = f"{self._phrase_expression(parsed)} AND ({expression})"
        large = self._terms.paragraphs >= SCAN_FROM
        if large and await self._db.fts_count(expression, BM25_BUDGET + 1) > BM25_BUDGET:
            return []
        found = await self._db.fts_candidates(expression, limit, **conditions)
        fresh = [c for c in found if c[0] not in seen]
        seen.update(c[0] for c in fresh)
        return fresh

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
            page=0,  # spans are worked out for the hits shown (see build_hits)
            weights=weights,
            align=align,
            telling=telling,
        )
        return await loop.run_in_executor(self._executor, job)

    async def corrections(self, word: str) -> list[tuple[str, int]]:
        """Index words within a small edit distance of ``word``, most frequent first."""
        return await self._terms.corrections(word)

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
