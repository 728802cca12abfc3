"""Scoring a passage the way people remember it: pure functions, no database.

People who half-remember a quotation keep its rare, striking words and their order,
drop the words between them, change word forms and swap in near-synonyms.  The
*recall score* (0–100) reflects that:

* every query word carries a weight, its inverse document frequency in the
  collection (:func:`word_weight`): rare words count for much, function words for
  little, so a passage sharing only common words scores low;
* a query word is found in the passage as itself, as another form of the same word
  (trust/trusted/trusting, organisation/organization), with a typo, or as a common
  near-synonym (:func:`word_match`), each worth a little less than the word itself;
* *ordered* coverage: the weight of the best chain of query words found in the
  passage in the query's order, gaps allowed (memory leaves gaps), a little less for
  each passage word skipped;
* *anywhere* coverage: the weight of the query words found near that chain in any
  order (keyword recall).

Korean endings and spacing vary too much for whole words, so a Korean query is
compared by syllable pairs instead (:func:`hangul_recall`), with the two spelling
systems' initial-sound difference folded (력사/역사, 로동/노동).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from store.text.norm import has_hangul, tokens

EXACT, FORM, TYPO, SYNONYM = 1.0, 0.92, 0.85, 0.8
TYPO_SIMILARITY = 80.0  # rapidfuzz ratio from which two words count as one mistyped
MAX_GAP = 12  # passage words between two chained query words at most
GAP_COST = 0.012  # share of the mean word weight lost per passage word skipped
ORDER_SHARE = 0.55  # the ordered chain's share of the recall score
NEAR_WORDS = 60  # "anywhere" looks this many words either side of the chain
MAX_POSITIONS = 64  # places of one word considered (its first ones)
TELLING_SHARE = 0.01  # a word in at most this share of paragraphs (or in one) tells them apart

_SUFFIXES = (
    "isations", "izations", "isation", "ization", "ations", "ation", "ments", "ment",
    "ingly", "ings", "ing", "edly", "ness", "ities", "ity", "ies", "ied", "ier", "iest",
    "ises", "izes", "ised", "ized", "ise", "ize", "ers", "er", "est", "ed", "es", "ly", "s",
)  # fmt: skip

# Near-synonyms and word swaps people make when they recall a sentence (each group
# both ways): general English and the political register of speeches, written from
# how people paraphrase, not from any evaluation query.
_SYNONYM_GROUPS = """said told stated declared | will shall would | world earth globe
| difficult hard tough | big large great huge | begin start commence | end finish conclude
| fight struggle battle combat | glorious splendid brilliant | nearly almost
| people population citizens | nation country state | enemy enemies foe | war warfare
| help aid assist support | build construct | strong powerful mighty | weak feeble
| goal aim objective target | way path road | land territory soil | answer reply response
| army troops forces military | freedom liberty | job work labour labor
| child children kids | show display demonstrate | make create produce | rich wealthy
| poor needy | fast quick rapid swift | buy purchase | get obtain acquire | ask request
| think believe | want wish desire | use utilize employ | small little tiny
| important significant vital crucial | idea thought notion | try attempt endeavour endeavor
| keep maintain preserve | destroy ruin wreck | leader chief head | happy glad joyful
| speak talk | look see watch | danger peril threat | safe secure | pick choose select
| protect defend guard | honor honour respect | task mission duty | plan programme program
| upon on | among amongst | while whilst | toward towards | must shall | can could may
| whole entire | every each"""


def _synonym_table() -> dict[str, frozenset[str]]:
    table: dict[str, set[str]] = {}
    for group in _SYNONYM_GROUPS.split("|"):
        words = group.split()
        for w in words:
            table.setdefault(w, set()).update(x for x in words if x != w)
    return {w: frozenset(s) for w, s in table.items()}


SYNONYMS = _synonym_table()


def telling_words(frequencies: Mapping[str, int], paragraphs: int) -> frozenset[str]:
    """The words that tell passages apart: in at most ``TELLING_SHARE`` of
    ``paragraphs``, or in a single one (small collections)."""
    most = max(1, int(paragraphs * TELLING_SHARE))
    return frozenset(w for w, df in frequencies.items() if 0 < df <= most)


def telling_found(
    query_words: Sequence[str], recall: Recall, telling: frozenset[str] | None
) -> int:
    """How many distinct telling query words ``recall`` found (with ``telling`` None,
    every word it found counts: Korean is compared by syllable pairs)."""
    found = {query_words[i] for i in recall.found}
    return len(found if telling is None else found & telling)


def word_weight(df: int, paragraphs: int) -> float:
    """A query word's weight: its inverse document frequency among ``paragraphs``
    (a word in no paragraph weighs as much as the rarest)."""
    n = max(paragraphs, 1)
    return math.log((n + 1) / (min(df, n) + 0.5)) + 0.05


def query_weights(
    query_words: Sequence[str], frequencies: Mapping[str, int], paragraphs: int
) -> tuple[float, ...]:
    """Weights of ``query_words`` from their paragraph counts (absent: the rarest)."""
    return tuple(word_weight(frequencies.get(w, 0), paragraphs) for w in query_words)


_Y_SUFFIXES = frozenset({"ies", "ied", "ier", "iest"})  # endings of a word in -y


@functools.lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """A light English stem: a common inflection or derivation ending off, ``our``
    spelt ``or``, ``-ies``/``-ied``/``-ier``/``-iest`` back to ``-y``
    (``organisations`` → ``organ``, ``colour`` → ``color``, ``parties`` → ``party``).
    Short words and words of other scripts are returned as they are."""
    if not word.isascii() or len(word) <= 4:
        return word
    w = word.replace("our", "or") if len(word) > 5 else word
    for suffix in _SUFFIXES:
        if not w.endswith(suffix):
            continue
        base = w[: -len(suffix)]
        if suffix in _Y_SUFFIXES and len(base) >= 3:
            w = base + "y"  # parties, carried, heavier, envies: party, carry, heavy, envy
            break
        if len(base) >= 4:
            w = base
            break
    if w.endswith("e") and len(w) > 4:
        w = w[:-1]
    return w


def word_match(query_word: str, passage_word: str) -> float:
    """How well ``passage_word`` stands for ``query_word``: 1 for the word itself, a
    little less for another form, a near-synonym or a typo, 0 when it does not."""
    if query_word == passage_word:
        return EXACT
    if len(query_word) >= 4 and len(passage_word) >= 4 and stem(query_word) == stem(passage_word):
        return FORM
    if passage_word in SYNONYMS.get(query_word, ()):
        return SYNONYM
    if (
        len(query_word) >= 4
        and len(passage_word) >= 4
        and fuzz.ratio(query_word, passage_word) >= TYPO_SIMILARITY
    ):
        return TYPO
    return 0.0


@dataclass(frozen=True, slots=True)
class Recall:
    """How a passage covers a query: the recall score (0–100), its two parts and the
    passage words that stand for query words."""

    score: float
    ordered: float = 0.0
    anywhere: float = 0.0
    matched: tuple[int, ...] = ()
    found: frozenset[int] = frozenset()  # indices of the query words found


NO_RECALL = Recall(0.0)


def _places(
    query_word: str,
    where: Mapping[str, list[int]],
    stems: dict[str, list[str]],
    long_words: list[str],
) -> dict[int, float]:
    """Passage positions that stand for ``query_word``, with how well they do."""
    found = {i: EXACT for i in where.get(query_word, ())[:MAX_POSITIONS]}

    def add(words: Sequence[str], quality: float) -> None:
        for w in words:
            for i in where[w][:MAX_POSITIONS]:
                found.setdefault(i, quality)

    if len(query_word) > 4:
        add([w for w in stems.get(stem(query_word), ()) if w != query_word], FORM)
    add([w for w in SYNONYMS.get(query_word, ()) if w in where], SYNONYM)
    if not found and len(query_word) >= 4:
        close = process.extract(
            query_word,
            long_words,
            scorer=fuzz.ratio,
            score_cutoff=TYPO_SIMILARITY,
            limit=3,
        )
        add([w for w, _, _ in close], TYPO)
    return found


def recall_score(
    query_words: Sequence[str], weights: Sequence[float], passage_words: Sequence[str]
) -> Recall:
    """Score how ``passage_words`` (folded) cover ``query_words`` (folded, in order),
    query word ``i`` weighing ``weights[i]`` (see :func:`word_weight`)."""
    total = sum(weights)
    if not query_words or not passage_words or total <= 0:
        return NO_RECALL
    where: dict[str, list[int]] = {}
    for i, w in enumerate(passage_words):
        where.setdefault(w, []).append(i)
    heads = {q[:3] for q in query_words if len(q) > 4}  # a stem keeps a word's head
    stems: dict[str, list[str]] = {}
    for w in where:
        if len(w) > 4 and w[:3] in heads:
            stems.setdefault(stem(w), []).append(w)
    long_words = [w for w in where if len(w) >= 4]  # those a typo may stand for
    cache: dict[str, dict[int, float]] = {}
    matches: list[tuple[int, int, float]] = []
    for qi, q in enumerate(query_words):
        if q not in cache:
            cache[q] = _places(q, where, stems, long_words)
        matches.extend((pos, qi, weights[qi] * quality) for pos, quality in cache[q].items())
    if not matches:
        return NO_RECALL
    matches.sort()
    chain, first, last = _best_chain(matches, total / len(query_words))
    ordered = max(0.0, chain[0]) / total
    lo, hi = first - NEAR_WORDS, last + NEAR_WORDS
    near: dict[int, tuple[float, int]] = {}
    for pos, qi, value in matches:
        if lo <= pos <= hi and value > near.get(qi, (0.0, 0))[0]:
            near[qi] = (value, pos)
    anywhere = sum(v for v, _ in near.values()) / total
    score = 100.0 * (ORDER_SHARE * ordered + (1 - ORDER_SHARE) * anywhere)
    matched = tuple(sorted(set(chain[1]) | {pos for _, pos in near.values()}))
    found = frozenset(near)
    return Recall(round(min(score, 100.0), 1), ordered, anywhere, matched, found)


def _best_chain(
    matches: Sequence[tuple[int, int, float]], mean_weight: float
) -> tuple[tuple[float, list[int]], int, int]:
    """The heaviest chain of ``(position, query index, value)`` matches with both
    increasing, consecutive links at most ``MAX_GAP`` passage words apart, each passage
    word skipped beyond the query words skipped costing ``GAP_COST`` of a mean word:
    ``((value, positions), first position, last position)``."""
    best: list[float] = []
    back: list[int] = []
    start = 0
    for k, (pos, qi, value) in enumerate(matches):
        while matches[start][0] < pos - MAX_GAP - 1:
            start += 1
        top, link = value, -1
        for j in range(start, k):
            pj, qj, _ = matches[j]
            if pj >= pos or qj >= qi:
                continue
            skipped = (pos - pj - 1) - (qi - qj - 1)
            value_here = best[j] + value - GAP_COST * mean_weight * max(0, skipped)
            if value_here > top:
                top, link = value_here, j
        best.append(top)
        back.append(link)
    end = max(range(len(matches)), key=best.__getitem__)
    positions: list[int] = []
    k = end
    while k >= 0:
        positions.append(matches[k][0])
        k = back[k]
    positions.reverse()
    return (best[end], positions), positions[0], positions[-1]


# ---------------------------------------------------------------- Korean

_HANGUL_BASE, _VOWELS, _FINALS = 0xAC00, 21, 28
_RIEUL, _NIEUN, _IEUNG = 5, 2, 11  # initial-consonant indices of ㄹ, ㄴ, ㅇ
_Y_VOWELS = frozenset({2, 3, 6, 7, 12, 17, 20})  # ㅑ ㅒ ㅕ ㅖ ㅛ ㅠ ㅣ


def fold_hangul(text: str) -> str:
    """Korean syllables with the northern and southern spellings' initial-sound
    difference folded (력사 / 역사, 로동 / 노동, 녀성 / 여성): ㄹ and ㄴ before ㅑㅕㅖㅛㅠㅣ
    become ㅇ, other ㄹ become ㄴ, wherever the syllable stands."""
    out = []
    for ch in text:
        code = ord(ch) - _HANGUL_BASE
        if 0 <= code < 11172:
            initial, rest = divmod(code, _VOWELS * _FINALS)
            vowel = rest // _FINALS
            if initial == _RIEUL:
                initial = _IEUNG if vowel in _Y_VOWELS else _NIEUN
            elif initial == _NIEUN and vowel in _Y_VOWELS:
                initial = _IEUNG
            ch = chr(_HANGUL_BASE + initial * _VOWELS * _FINALS + rest)
        out.append(ch)
    return "".join(out)


def _pairs(text: str) -> list[str]:
    return [text[i : i + 2] for i in range(len(text) - 1)]


def hangul_recall(query_words: Sequence[str], passage_words: Sequence[str]) -> Recall:
    """Korean recall (0–100): the share of the query's syllable pairs (spaces ignored,
    spellings folded) found in the passage, blended with how well the query aligns
    with its best stretch.  ``matched``: the passage words holding a query pair."""
    query = fold_hangul("".join(w for w in query_words if has_hangul(w)))
    folded = [fold_hangul(w) for w in passage_words]
    passage = "".join(folded)
    wanted = _pairs(query)
    if not wanted or not passage:
        return NO_RECALL
    have = set(_pairs(passage))
    found = sum(p in have for p in wanted) / len(wanted)
    if len(passage) >= len(query):
        aligned = fuzz.partial_ratio(query, passage) / 100.0
    else:
        aligned = fuzz.ratio(query, passage) / 100.0
    wanted_set = set(wanted)
    matched = tuple(
        i for i, w in enumerate(folded) if has_hangul(w) and wanted_set.intersection(_pairs(w))
    )
    score = round(100.0 * (0.6 * found + 0.4 * aligned), 1)
    # compared by syllable pairs, not words: every query word counts as found
    return Recall(score, aligned, found, matched, found=frozenset(range(len(query_words))))


def passage_recall(
    query_words: Sequence[str], weights: Sequence[float], passage_words: Sequence[str]
) -> Recall:
    """:func:`hangul_recall` for a query with Korean words, else :func:`recall_score`."""
    if any(has_hangul(w) for w in query_words):
        return hangul_recall(query_words, passage_words)
    return recall_score(query_words, weights, passage_words)


JOIN_GAIN = 8.0  # a paragraph read with its neighbour must gain this much to count as a run-on


def runon_recall(
    query_words: Sequence[str],
    weights: Sequence[float],
    text: str,
    before: str | None,
    after: str | None,
) -> Recall:
    """The recall of ``text`` for a query that may run across a paragraph boundary:
    read together with the paragraph ``before`` or ``after`` it, when that scores at
    least ``JOIN_GAIN`` more than either alone and this paragraph holds the larger
    part; else ``text``'s own recall."""
    own = tokens(text)
    alone = passage_recall(query_words, weights, own)
    best = alone
    for other in (before, after):
        if not other:
            continue
        other_words = tokens(other)
        joined = [*other_words, *own] if other is before else [*own, *other_words]
        both = passage_recall(query_words, weights, joined)
        theirs = passage_recall(query_words, weights, other_words)
        if both.score >= max(alone.score, theirs.score) + JOIN_GAIN and alone.score >= theirs.score:
            best = both if both.score > best.score else best
    return best
