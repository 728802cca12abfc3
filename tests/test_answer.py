"""Deciding what a search answers: answers, suggestions, one answer per text."""

from __future__ import annotations

from store.search.answer import (
    CLEAR_GAP,
    FEWER_TELLING_GAP,
    NOISE_LEVEL,
    NOISE_LEVEL_KOREAN,
    SUGGESTIONS,
    TELLING_WORDS,
    TOLD_NOISE_LEVEL,
    TWO_FEWER_TELLING_GAP,
    clear_gap,
    decide,
    distinct_texts,
    noise_level,
    settled,
)
from store.search.ranking import MATCH_THRESHOLD, Scored


def _s(
    pid: int,
    score: float,
    *,
    alignment: float = 0.0,
    telling: int = TELLING_WORDS,
    key: int = 0,
) -> Scored:
    return Scored(
        pid,
        score,
        "loose",
        (),
        100,
        text_key=key or pid,
        recalled=score > alignment,
        alignment=alignment,
        telling=telling,
    )


def _unrelated(a: int, b: int) -> bool:
    return False


def test_word_for_word_matches_are_answers() -> None:
    ranked = [_s(1, 95, alignment=95), _s(2, 85, alignment=85), _s(3, 60)]
    decision = decide(ranked, _unrelated)
    assert [s.paragraph_id for s in decision.answers] == [1, 2]
    assert decision.suggestions == []


def test_a_recall_clearly_ahead_of_everything_else_is_an_answer() -> None:
    top = NOISE_LEVEL + CLEAR_GAP + 1
    decision = decide([_s(7, top), _s(8, NOISE_LEVEL - 5)], _unrelated)
    assert [s.paragraph_id for s in decision.answers] == [7]


def test_a_recall_not_clearly_ahead_is_offered_as_suggestions_only() -> None:
    ranked = [_s(1, 72), _s(2, 65), _s(3, 61), _s(4, 58), _s(5, 20)]
    decision = decide(ranked, _unrelated)
    assert decision.answers == []
    assert [s.paragraph_id for s in decision.suggestions] == [1, 2, 3][:SUGGESTIONS]


def test_a_high_recall_made_of_common_words_is_no_answer() -> None:
    decision = decide([_s(1, 99, telling=1), _s(2, 40)], _unrelated)
    assert decision.answers == [] and [s.paragraph_id for s in decision.suggestions] == [1, 2][:1]
    assert clear_gap(_s(1, 99, telling=TELLING_WORDS - 1)) == CLEAR_GAP + FEWER_TELLING_GAP
    assert clear_gap(_s(1, 99, telling=TELLING_WORDS - 2)) == CLEAR_GAP + TWO_FEWER_TELLING_GAP
    assert clear_gap(_s(1, 99, telling=TELLING_WORDS - 3)) == float("inf")


def test_a_recall_resting_on_two_rare_words_needs_the_widest_gap() -> None:
    two = TELLING_WORDS - 2
    wide = NOISE_LEVEL + CLEAR_GAP + TWO_FEWER_TELLING_GAP
    # just short of the gap above the noise: a suggestion; past it: the answer
    short = decide([_s(1, wide - 1, telling=two), _s(2, 20)], _unrelated)
    assert short.answers == [] and [s.paragraph_id for s in short.suggestions] == [1]
    assert [s.paragraph_id for s in decide([_s(1, wide + 1, telling=two)], _unrelated).answers] == [
        1
    ]
    # the gap is measured from a rival too, when it stands above the noise
    rival = decide(
        [_s(1, 99, telling=two), _s(2, 99 - CLEAR_GAP - TWO_FEWER_TELLING_GAP + 1)], _unrelated
    )
    assert rival.answers == []


def test_more_rare_words_found_lower_the_level_a_gap_answer_must_clear() -> None:
    # 4 rare words: the noise of passages holding them is lower than that of common ones
    top = TOLD_NOISE_LEVEL + CLEAR_GAP + 1
    assert TOLD_NOISE_LEVEL < NOISE_LEVEL
    assert noise_level(_s(1, top, telling=TELLING_WORDS)) == TOLD_NOISE_LEVEL
    assert [s.paragraph_id for s in decide([_s(1, top), _s(2, 20)], _unrelated).answers] == [1]
    # with one rare word fewer the same score is only a suggestion
    fewer = decide([_s(1, top, telling=TELLING_WORDS - 1), _s(2, 20)], _unrelated)
    assert fewer.answers == [] and [s.paragraph_id for s in fewer.suggestions] == [1, 2][:1]
    assert noise_level(_s(1, top, telling=TELLING_WORDS - 1)) == NOISE_LEVEL
    # ... and an answer once it stands the further gap above the noise
    high = NOISE_LEVEL + CLEAR_GAP + FEWER_TELLING_GAP + 1
    three = decide([_s(1, high, telling=TELLING_WORDS - 1), _s(2, 20)], _unrelated)
    assert [s.paragraph_id for s in three.answers] == [1]
    # an unrelated rival within the gap still blocks it
    rival = decide([_s(1, top), _s(2, top - CLEAR_GAP + 1)], _unrelated)
    assert rival.answers == []
    assert noise_level(_s(1, top), korean=True) == NOISE_LEVEL_KOREAN


def test_a_neighbour_of_the_best_paragraph_does_not_count_against_it() -> None:
    ranked = [_s(10, 75), _s(11, 70), _s(40, 45)]
    assert decide(ranked, _unrelated).answers == []
    neighbours = decide(ranked, lambda a, b: {a, b} == {10, 11})
    assert [s.paragraph_id for s in neighbours.answers] == [10]


def test_one_text_stored_twice_is_one_answer_naming_the_other_copy() -> None:
    ranked = [
        _s(3, 90, alignment=90, key=77),
        _s(9, 90, alignment=90, key=77),
        _s(5, 82, alignment=82),
    ]
    distinct, same = distinct_texts(ranked)
    assert [s.paragraph_id for s in distinct] == [3, 5]
    assert same == {3: (9,)}
    decision = decide(ranked, _unrelated)
    assert [s.paragraph_id for s in decision.answers] == [3, 5]
    assert decision.same_text == {3: (9,)}


def test_a_recall_beating_a_word_for_word_answer_is_an_answer_too() -> None:
    ranked = [_s(1, 92, telling=2), _s(2, 84, alignment=84)]
    assert [s.paragraph_id for s in decide(ranked, _unrelated).answers] == [1, 2]


def test_retrieval_settles_only_when_looser_tiers_could_not_change_the_answer() -> None:
    assert settled([_s(1, 90, alignment=90)])
    assert not settled([_s(1, 90), _s(2, 80)])  # a recall this high still needs its gap
    assert settled([_s(1, 95), _s(2, 40)])
    assert not settled([_s(1, MATCH_THRESHOLD - 1), _s(2, MATCH_THRESHOLD - 10)])
    assert not settled([])
    # a recall resting on two rare words may be an answer, but a looser tier may still
    # find the passage the query came from: retrieval goes on
    two = _s(1, 99, telling=TELLING_WORDS - 2)
    assert decide([two, _s(2, 20)], _unrelated).answers == [two]
    assert not settled([two, _s(2, 20)])
