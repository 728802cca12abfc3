"""Planning candidate retrieval: which query words to ask the full-text index for.

Pure functions over :class:`Slot` values (a query word, the index words that may
stand for it, and how many paragraphs contain them); :mod:`store.search.engine` runs
the plans against SQLite.  Nothing here touches the database.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from store.search.query import fts_term

RARE_TERMS = 4  # retrieval uses this many of the query's rarest words
COMMON_SHARE = 0.03  # words in more than this share of paragraphs are left to re-ranking
PAIR_BUDGET = 5_000  # postings (rarer word of each pair) the second tier may walk
BOOST_TERMS = 3
BOOST_SHARE = 0.3
SCAN_POOL = 4_000  # at most this many paragraphs in a scan's pool (unranked: cheap)


@dataclass(frozen=True, slots=True)
class Slot:
    """One query word and the index words that may stand for it."""

    word: str
    alternatives: tuple[str, ...]
    df: int
    prefix: bool = False
    pair: bool = False  # a word-pair term (two query words side by side)

    def expression(self) -> str:
        terms = [fts_term(a, self.prefix) for a in self.alternatives]
        return terms[0] if len(terms) == 1 else "(" + " OR ".join(terms) + ")"


def choose_slots(slots: list[Slot], paragraphs: int) -> list[Slot]:
    """The ``RARE_TERMS`` rarest indexed slots (very common words only if nothing else)."""
    ordered = sorted((s for s in slots if s.df > 0), key=lambda s: s.df)
    common = max(1000, int(paragraphs * COMMON_SHARE))
    return [s for s in ordered if s.df <= common][:RARE_TERMS]


def anchor_slots(ordered: Sequence[Slot], budget: int = SCAN_POOL) -> list[Slot]:
    """The first (rarest) of ``ordered`` slots whose postings together fit ``budget``."""
    taken: list[Slot] = []
    total = 0
    for slot in ordered:
        if total + slot.df > budget:
            break
        taken.append(slot)
        total += slot.df
    return taken


@dataclass(frozen=True, slots=True)
class Pool:
    """A scan's candidate pool: an FTS5 expression; ``alone`` the slots whose every
    match is in the pool, ``implied`` those every pooled paragraph has."""

    expression: str
    alone: tuple[Slot, ...] = ()
    implied: tuple[Slot, ...] = ()


def scan_pools(ordered: Sequence[Slot], budget: int = SCAN_POOL) -> list[Pool]:
    """Candidate pools for a scan, loosest first; the first whose matches fit
    ``budget`` is used.  ``ordered``: indexed slots, rarest first.

    The loosest: any of the rare words that fit the budget together, or any two of the
    next three words, so that one or two misspelt or misremembered words cannot lose
    the paragraph; then only the rare words; then any two of the three rarest; then
    all of the four rarest.
    """
    anchors = anchor_slots(ordered, budget)
    rest = list(ordered[len(anchors) : len(anchors) + 3])
    pairs = [all_of(p) for p in itertools.combinations(rest, 2)]
    pools: list[Pool] = []
    if anchors:
        any_rare = " OR ".join(s.expression() for s in anchors)
        if len(anchors) < 3 and pairs:
            pools.append(Pool(" OR ".join([any_rare, *pairs]), tuple(anchors)))
        pools.append(Pool(any_rare, tuple(anchors)))
    else:
        if len(ordered) >= 3:
            pairs = [all_of(p) for p in itertools.combinations(ordered[:3], 2)]
            pools.append(Pool(" OR ".join(pairs)))
        strict = ordered[:RARE_TERMS]
        pools.append(Pool(all_of(strict), implied=tuple(strict)))
    return pools


def slot_weight(slot: Slot, paragraphs: int) -> float:
    """How much finding ``slot`` in a paragraph says: its inverse document frequency."""
    return math.log(max(paragraphs, slot.df + 1) / (slot.df + 1)) + 0.1


def word_pairs(words: Sequence[str]) -> list[str]:
    """Neighbouring query words as ``"a b"`` strings (see :func:`pair_hits`)."""
    return list(dict.fromkeys(f"{a} {b}" for a, b in itertools.pairwise(words) if a != b))


def pair_hits(pairs: Sequence[str], text: str) -> int:
    """How many of the query's word ``pairs`` occur side by side in ``text`` (lower case)."""
    return sum(p in text for p in pairs)


def all_of(slots: Sequence[Slot]) -> str:
    return "(" + " AND ".join(s.expression() for s in slots) + ")"


def boost_slots(slots: list[Slot], chosen: list[Slot], paragraphs: int) -> list[Slot]:
    """Up to ``BOOST_TERMS`` further, commoner query words: not needed to match, but
    weighed by bm25, so that among many candidates those with more query words win."""
    common = max(1000, int(paragraphs * BOOST_SHARE))
    extra = sorted(
        (s for s in slots if s.df > 0 and s not in chosen and s.df <= common), key=lambda s: s.df
    )
    return extra[:BOOST_TERMS]


def tier_expressions(chosen: list[Slot], boost: Sequence[Slot] = ()) -> list[str]:
    """Retrieval expressions, strictest first.

    1. all but one of the (up to four) rarest words, every choice of the one left out
       (all of them when there are fewer than four): few, precise candidates, and one
       misspelt or misremembered word cannot lose the paragraph;
    2. any two of them, rarest pairs first while their postings fit ``PAIR_BUDGET``
       (any one when there are only two).
    """
    if not chosen:
        return []
    if len(chosen) == 1 and not boost:
        return [chosen[0].expression()]
    if len(chosen) == 1:
        first = chosen[0].expression()
    elif len(chosen) >= 4:
        first = " OR ".join(all_of(c) for c in itertools.combinations(chosen, len(chosen) - 1))
    else:
        first = all_of(chosen)
    if boost:
        first = f"({first}) AND ({' OR '.join(s.expression() for s in [*chosen, *boost])})"
    if len(chosen) == 1:
        return [first]
    if len(chosen) == 2:
        return [first, " OR ".join(s.expression() for s in chosen)]
    pairs = sorted(
        (min(a.df, b.df), n, (a, b)) for n, (a, b) in enumerate(itertools.combinations(chosen, 2))
    )
    taken: list[str] = []
    total = 0
    for cost, _, pair in pairs:
        if taken and total + cost > PAIR_BUDGET:
            break
        taken.append(all_of(pair))
        total += cost
    return [first, " OR ".join(taken)]


WORDS_TIER_TERMS = 6  # the rarest single words asked for by the last tier
WORDS_TIER_SHARE = 0.01  # ... none in more than this share of paragraphs


def rare_words(slots: Sequence[Slot], paragraphs: int) -> list[Slot]:
    """The query's rarest single words for the last retrieval tier (see
    :func:`any_two_of`): at most ``WORDS_TIER_TERMS``, none in more than
    ``WORDS_TIER_SHARE`` of ``paragraphs``."""
    common = max(1000, int(paragraphs * WORDS_TIER_SHARE))
    words = sorted((s for s in slots if 0 < s.df <= common and not s.pair), key=lambda s: s.df)
    return words[:WORDS_TIER_TERMS]


def any_two_of(chosen: Sequence[Slot]) -> str | None:
    """The last retrieval tier: paragraphs holding any two of the query's rarest single
    words ``chosen`` (see :func:`rare_words`; no word pairs), ranked by bm25, so that a
    reworded, fragmentary or keyword query whose rare word pairs all stand elsewhere
    still brings the paragraphs holding most of its rare words (two of them together
    are few, and cheap to rank); ``None`` for fewer than two such words."""
    if len(chosen) < 2:
        return None
    return " OR ".join(all_of(pair) for pair in itertools.combinations(chosen, 2))
