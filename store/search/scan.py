"""The scan: candidates of a large collection without bm25.

In a large collection, ranking every match of a common word by bm25 costs more than a
search may spend.  A scan instead asks the full-text index, unranked, for the
paragraphs of a *pool* (the paragraphs with the query's rarest words; see
:func:`store.search.plan.scan_pools`), counts in each the further query words it holds
(weighted by their rarity) and the query's word pairs found side by side, and hands the
best-counted few to re-ranking.  :class:`store.search.engine.Searcher` decides when to
scan (from ``SCAN_FROM`` paragraphs) and ranks what the scan returns.
"""

from __future__ import annotations

import heapq

from store.db import Database
from store.search.plan import (
    BOOST_SHARE,
    COMMON_SHARE,
    SCAN_POOL,
    Pool,
    Slot,
    pair_hits,
    scan_pools,
    slot_weight,
    word_pairs,
)
from store.search.query import ParsedQuery

SCAN_POOL_SHARE = 250  # a pool holds at most one in this many of all paragraphs
LOOSE_POOL_STRETCH = 2  # the loosest pool (see scan_pools) may hold this many times more
SCAN_SLOTS = 8  # further query words counted in each pooled paragraph
SCAN_TEXTS = 60  # best-counted paragraphs whose text is fetched for the word-pair check
SCAN_TEXTS_TIED = 400  # ... or, from a pool of all the rarest words, as many as tie
PAIR_WEIGHT = 2.0  # a query word pair found side by side counts like a rare word
STOCK_PHRASE_PAIRS = 3  # all-common-word queries need this many word pairs in the index


def pool_size(paragraphs: int) -> int:
    """How many paragraphs a scan's pool may hold (fewer in small collections)."""
    return max(500, min(SCAN_POOL, paragraphs // SCAN_POOL_SHARE))


def pair_cap(paragraphs: int) -> int:
    """How far word pairs are counted: all a scan needs to know (its loosest pool)."""
    return LOOSE_POOL_STRETCH * pool_size(paragraphs) + 1


async def scan(
    db: Database, paragraphs: int, parsed: ParsedQuery, slots: list[Slot], count: int
) -> tuple[list[tuple[int, str]], bool] | None:
    """Candidates without bm25 (see :func:`scan_pools`) from a collection of
    ``paragraphs`` paragraphs: the paragraphs of a pool, ordered by the inverse document
    frequency of the query words each has, then by the query word pairs found side by
    side; and whether the pool held every paragraph with a rare query word (then the
    bm25 tiers would find nothing more).

    When even the strictest pool is too large, its first :func:`pool_size` paragraphs
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
        min((s.df for s in ordered if not s.pair), default=0) > max(1000, paragraphs * COMMON_SHARE)
        and sum(s.pair for s in ordered) < STOCK_PHRASE_PAIRS
    )
    ids: list[int] = []
    pool = Pool("")
    budget = limit = pool_size(paragraphs)
    pools = scan_pools(ordered, budget)
    for n, pool in enumerate(pools[-1:] if common else pools):
        # the loosest pool may be larger: it is the one that survives odd words
        limit = budget * LOOSE_POOL_STRETCH if n == 0 and not common else budget
        ids = await db.fts_rowids(pool.expression, limit + 1)
        if len(ids) <= limit:
            break
    if common and len(ids) > budget:
        return [], True
    ids = ids[:budget] if len(ids) > limit else ids
    if not ids:
        return [], covers_rare_words(pool, ordered, budget)
    weight = dict.fromkeys(ids, 0.0)
    telling = max(1000, paragraphs * BOOST_SHARE)
    for slot in ordered[:SCAN_SLOTS]:
        if slot in pool.implied or slot.df > telling:
            continue
        w = slot_weight(slot, paragraphs)
        alone = slot in pool.alone
        expression = slot.expression() if alone else f"({pool.expression}) AND {slot.expression()}"
        for pid in await db.fts_rowids(expression, len(ids), ids[-1]):
            if pid in weight:
                weight[pid] += w
    most = SCAN_TEXTS_TIED if pool.implied else SCAN_TEXTS
    best = heapq.nsmallest(most, weight, key=lambda pid: (-weight[pid], pid))
    if len(best) > SCAN_TEXTS:  # beyond SCAN_TEXTS only those as good as the last
        last = weight[best[SCAN_TEXTS - 1]]
        best = best[:SCAN_TEXTS] + [p for p in best[SCAN_TEXTS:] if weight[p] >= last]
    texts = await db.paragraph_texts(best)
    pairs = word_pairs(parsed.words)
    order = sorted(
        texts,
        key=lambda c: (-(weight[c[0]] + PAIR_WEIGHT * pair_hits(pairs, c[1].lower())), c[0]),
    )
    return order[:count], covers_rare_words(pool, ordered, budget)


def covers_rare_words(pool: Pool, ordered: list[Slot], budget: int) -> bool:
    """Whether ``pool`` held every paragraph with any query word (or word pair) rare
    enough to have been a pool's anchor: then bm25 would find nothing new."""
    return bool(pool.alone) and all(s in pool.alone for s in ordered if s.df <= budget)
