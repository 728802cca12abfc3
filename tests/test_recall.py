"""The recall score: how people remember a passage (pure functions, no database)."""

from __future__ import annotations

from store.search.recall import (
    EXACT,
    FORM,
    SYNONYM,
    TYPO,
    fold_hangul,
    hangul_recall,
    passage_recall,
    recall_score,
    runon_recall,
    stem,
    telling_found,
    telling_words,
    word_match,
    word_weight,
)
from store.text.norm import tokens

PARAGRAPHS = 100_000
MOON = (
    "We choose to go to the Moon in this decade and do the other things, not because "
    "they are easy, but because they are hard, because that goal will serve to organize "
    "and measure the best of our energies and skills."
)
# how many of PARAGRAPHS hold each word (invented, but shaped like a speech collection)
DF = {
    "moon": 40, "decade": 900, "choose": 700, "easy": 1500, "hard": 2500, "energies": 300,
    "skills": 800, "goal": 3000, "organize": 500, "measure": 1200, "pick": 600,
    "difficult": 2400, "because": 20_000, "we": 60_000, "the": 95_000, "to": 90_000,
    "go": 9_000, "not": 40_000, "they": 35_000, "are": 50_000, "it": 45_000, "is": 60_000,
    "of": 94_000, "our": 50_000, "people": 30_000, "peace": 8_000, "and": 93_000,
    "this": 50_000, "in": 92_000, "but": 30_000, "that": 70_000, "a": 80_000,
}  # fmt: skip


def _weights(query: str) -> tuple[list[str], list[float]]:
    words = tokens(query)
    return words, [word_weight(DF.get(w, 0), PARAGRAPHS) for w in words]


def _recall(query: str, passage: str) -> float:
    words, weights = _weights(query)
    return recall_score(words, weights, tokens(passage)).score


def test_rare_words_weigh_more_than_common_ones() -> None:
    assert word_weight(40, PARAGRAPHS) > 3 * word_weight(60_000, PARAGRAPHS)
    assert word_weight(0, PARAGRAPHS) >= word_weight(1, PARAGRAPHS)


def test_a_fragment_with_gaps_scores_high_and_above_the_same_words_out_of_order() -> None:
    fragment = "go to the moon, not because easy, because hard"
    assert _recall(fragment, MOON) >= 90
    scattered = "Hard work is not easy because the moon is far; go because we go to it."
    assert _recall(fragment, MOON) > _recall(fragment, scattered) + 15


def test_a_passage_sharing_only_common_words_scores_low() -> None:
    query = "the goal of our people is peace"
    common_only = "It is the work of our hands and the strength that we have in us."
    assert _recall(query, common_only) < 45
    assert _recall(query, MOON) < 70  # the rare word "peace" is missing there too


def test_word_forms_typos_and_near_synonyms_still_match() -> None:
    assert word_match("trusting", "trusted") == FORM
    assert word_match("organisation", "organizations") == FORM
    assert word_match("colour", "color") == FORM
    assert word_match("said", "told") == SYNONYM
    assert word_match("shall", "will") == SYNONYM
    assert word_match("energeis", "energies") == TYPO
    assert word_match("moon", "moon") == EXACT
    assert word_match("moon", "noon") == 0.0  # too short for a typo to count
    assert stem("organisations") == stem("organization")
    # words in -y and their forms in -ies, -ied, -ier, -iest, four-letter ones too
    for form, word in [("parties", "party"), ("carried", "carry"), ("heavier", "heavy")]:
        assert stem(form) == stem(word) == word and word_match(form, word) == FORM
    assert word_match("envies", "envy") == FORM and word_match("sings", "sing") == FORM
    assert stem("activities") == stem("activity") and stem("parties") != stem("part")
    reworded = "we pick the moon because it is difficult"
    assert _recall(reworded, MOON) > _recall(reworded, "We pick the apples in autumn.") + 20


def test_keywords_in_any_order_near_each_other_count() -> None:
    words, weights = _weights("moon decade choose energies")
    recall = recall_score(words, weights, tokens(MOON))
    assert recall.anywhere == 1.0
    assert recall.score >= 70
    telling = telling_words(DF, PARAGRAPHS)  # in at most 1 % of paragraphs
    assert {"moon", "decade", "choose", "energies"} <= telling and "goal" not in telling
    assert telling_found(words, recall, telling) == 4


def test_matched_positions_are_the_passage_words_standing_for_query_words() -> None:
    words, weights = _weights("choose moon decade")
    passage = tokens(MOON)
    matched = recall_score(words, weights, passage).matched
    assert {passage[i] for i in matched} == {"choose", "moon", "decade"}


def test_korean_spellings_and_spacing_fold_together() -> None:
    assert fold_hangul("력사") == fold_hangul("역사")
    assert fold_hangul("로동") == fold_hangul("노동")
    assert fold_hangul("녀성") == fold_hangul("여성")
    passage = tokens("우리 인민은 력사상 처음으로 세금이 없는 나라에서 살게 되였다.")
    query = tokens("역사상 처음으로 세금 없는 나라")
    close = hangul_recall(query, passage).score
    other = hangul_recall(query, tokens("새해를 맞이하여 모든 동포들에게 인사를 드립니다.")).score
    assert close >= 70 and close > other + 40
    # passage_recall picks the Korean comparison for a Korean query
    assert passage_recall(query, [1.0] * len(query), passage).score == close


def test_a_query_across_a_paragraph_boundary_is_read_on() -> None:
    first = "The harvest this year was the richest the province has ever gathered."
    second = "Now every cooperative farm must prepare its seed and machines for spring."
    words, weights = _weights("richest harvest the province ever gathered, now every farm prepare")
    alone = passage_recall(words, weights, tokens(first)).score
    read_on = runon_recall(words, weights, first, None, second)
    assert read_on.score >= alone + 8
    # the later paragraph holds the smaller part: it is not raised by its neighbour
    assert runon_recall(words, weights, second, first, None).score == (
        passage_recall(words, weights, tokens(second)).score
    )
