"""Deciding what a search answers: pure functions over scored paragraphs.

Three outcomes (:func:`decide`):

* *answers*: every paragraph whose alignment score (the query found nearly word for
  word) is ``MATCH_THRESHOLD`` or more; and the best paragraph if it stands clearly
  above everything unrelated to it (at least ``CLEAR_GAP`` above the best other
  paragraph and above the level that unrelated passages of the same kind reach,
  ``NOISE_LEVEL``).  A half-remembered rewording scores 60–79 where unrelated
  sentences of the same style stay near 50, so the gap tells them apart where a
  single cut cannot; a recall score (rare words with gaps, other forms) is an answer
  only by that gap, however high (common words scattered through a long paragraph
  can add up to a high recall without saying anything), or where it beats an answer
  found word for word;
* *suggestions*: when nothing is an answer, up to ``SUGGESTIONS`` closest passages
  (scoring ``SUGGEST_LEVEL`` or more), shown as "not sure", never as the answer;
* nothing.

Paragraphs with the same folded text (one text stored in several documents) are one
answer: the first stands for the group, the others are listed as the same text.
Neighbouring paragraphs of one document and near-copies of the best one are not
"something else" when measuring the gap (a run-on query matches two neighbours).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from store.search.ranking import MATCH_THRESHOLD, Scored

CLEAR_GAP = 12.0
TELLING_WORDS = 4  # rare query words (see store.search.recall.TELLING_WEIGHT) a gap answer rests on
FEWER_TELLING_GAP = 10.0  # the further gap asked of a recall resting on one fewer
TWO_FEWER_TELLING_GAP = 13.0  # ... and on two fewer (fewer still: never an answer by the gap)
NOISE_LEVEL = 50.0  # what unrelated passages of the same kind score (English)
TOLD_NOISE_LEVEL = 46.0  # ... when they hold TELLING_WORDS rare query words or more
NOISE_LEVEL_KOREAN = 30.0  # Korean is compared by syllable pairs: lower for everything
SUGGEST_LEVEL = 45.0
SUGGEST_LEVEL_KOREAN = 30.0
SUGGESTIONS = 3
KEEP_LEVEL = 25.0  # candidates scoring less are not kept at all
GOOD_ENOUGH = 85.0  # a paragraph this good from a stricter retrieval tier ends retrieval
SETTLED_MARGIN = 5.0  # ... or one this much further ahead than an answer needs


@dataclass(frozen=True, slots=True)
class Decision:
    """What a search answers: ``answers`` best first (one per text), ``suggestions``
    when there is no answer, for each kept paragraph the ids of other paragraphs with
    the same text, and the weights of the query's words."""

    answers: list[Scored]
    suggestions: list[Scored]
    same_text: dict[int, tuple[int, ...]] = field(default_factory=dict)
    weights: tuple[float, ...] = ()  # of the query's words, for highlighting (set by the engine)


def distinct_texts(ranked: Sequence[Scored]) -> tuple[list[Scored], dict[int, tuple[int, ...]]]:
    """``ranked`` with each text once (its first, best-ranked paragraph) and, for those,
    the ids of the other paragraphs holding the same text."""
    first: dict[int, Scored] = {}
    others: dict[int, list[int]] = {}
    out: list[Scored] = []
    for s in ranked:
        if s.text_key and s.text_key in first:
            others[first[s.text_key].paragraph_id].append(s.paragraph_id)
            continue
        if s.text_key:
            first[s.text_key] = s
            others[s.paragraph_id] = []
        out.append(s)
    return out, {pid: tuple(ids) for pid, ids in others.items() if ids}


def decide(
    ranked: Sequence[Scored],
    related: Callable[[int, int], bool],
    korean: bool = False,
) -> Decision:
    """Answers, or suggestions, from ``ranked`` (best first); ``related(a, b)`` tells
    whether paragraph ``b`` is a neighbour or near-copy of ``a`` (see the module
    docstring)."""
    distinct, same_text = distinct_texts(ranked)
    if not distinct:
        return Decision([], [])
    aligned = [s.score for s in distinct if s.alignment >= MATCH_THRESHOLD]
    # a recall score counts where it beats an answer found word for word
    bar = max(aligned, default=float("inf"))
    answers = [
        s
        for s in distinct
        if s.alignment >= MATCH_THRESHOLD or (s.score >= MATCH_THRESHOLD and s.score >= bar)
    ]
    top = distinct[0]
    noise = noise_level(top, korean)
    bar = top.score - clear_gap(top)  # what another paragraph must stay under
    if top not in answers and noise <= bar:
        # only those above the bar can stand in the way (related() may look texts up)
        blocking = (s for s in distinct[1:] if s.score > bar)
        if not any(not related(top.paragraph_id, s.paragraph_id) for s in blocking):
            answers = [top, *(s for s in answers if s is not top)]
    if answers:
        return Decision(answers, [], same_text)
    level = SUGGEST_LEVEL_KOREAN if korean else SUGGEST_LEVEL
    suggestions = [s for s in distinct[:SUGGESTIONS] if s.score >= level]
    return Decision([], suggestions, same_text)


def clear_gap(top: Scored) -> float:
    """How far the best paragraph must stand above everything else to be an answer
    by the gap: ``CLEAR_GAP`` when it holds ``TELLING_WORDS`` or more rare query words
    (as its recall score found them), more with one or two fewer, never with fewer
    still (a match made of common words alone says little, however complete)."""
    if top.telling >= TELLING_WORDS:
        return CLEAR_GAP
    if top.telling == TELLING_WORDS - 1:
        return CLEAR_GAP + FEWER_TELLING_GAP
    if top.telling == TELLING_WORDS - 2:
        return CLEAR_GAP + TWO_FEWER_TELLING_GAP
    return float("inf")


def noise_level(top: Scored, korean: bool = False) -> float:
    """The score unrelated passages of the same kind reach, which a gap answer must
    clear by its gap: lower for Korean (compared by syllable pairs), and lower for a
    best paragraph holding ``TELLING_WORDS`` rare query words or more (rare words
    found together are hard to come by in a passage the query is not about)."""
    if korean:
        return NOISE_LEVEL_KOREAN
    return TOLD_NOISE_LEVEL if top.telling >= TELLING_WORDS else NOISE_LEVEL


def settled(ranked: Sequence[Scored], korean: bool = False) -> bool:
    """Whether retrieval can stop: the best paragraph so far aligns ``GOOD_ENOUGH``, or
    stands further above the next one (even a neighbour or copy) and the noise level
    than an answer needs, so that looser tiers could not change the answer — never for
    a recall resting on fewer than ``TELLING_WORDS - 1`` rare words (a looser tier may
    find the passage the query came from)."""
    if not ranked:
        return False
    top = ranked[0].score
    if ranked[0].alignment >= GOOD_ENOUGH:
        return True
    if ranked[0].telling < TELLING_WORDS - 1:
        return False  # resting on few rare words: a looser tier may find a better passage
    noise = noise_level(ranked[0], korean)
    second = ranked[1].score if len(ranked) > 1 else 0.0
    return top - max(noise, second) >= clear_gap(ranked[0]) + SETTLED_MARGIN
