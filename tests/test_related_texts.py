"""Telling one text from another among the best paragraphs (store.search.hits): copies,
a text held whole inside another, and two texts sharing the passage a query matched."""

from __future__ import annotations

from store.search.hits import near_copies, shares_passage
from store.text.norm import joined_words

PASSAGE = (
    "The harbour workers of the eastern coast rebuilt the breakwater within forty days, "
    "hauling granite blocks by hand when the cranes failed, and the first trawlers came "
    "home through the new channel before the autumn storms."
)
BEFORE = "The committee met on Tuesday to review the year's construction projects in full."
AFTER = "Delegates then turned to the supply of fertiliser for the spring sowing season."
ELSEWHERE = (
    "A granite memorial was unveiled in the capital, where speakers praised the "
    "veterans of the war and laid wreaths of flowers at the foot of the monument."
)


def test_a_text_held_whole_in_another_is_a_copy() -> None:
    assert near_copies(joined_words(PASSAGE), joined_words(f"{BEFORE} {PASSAGE} {AFTER}"))
    assert not near_copies(joined_words(PASSAGE), joined_words(ELSEWHERE))


def test_two_texts_around_one_passage_share_it_where_the_query_matched() -> None:
    first = joined_words(f"{BEFORE} {PASSAGE}")
    second = joined_words(f"{PASSAGE} {AFTER}")
    assert not near_copies(first, second)  # neither holds the other, the ends differ
    anchors = ["breakwater", "granite", "trawlers"]  # the query's words, rarest first
    assert shares_passage(first, second, anchors)
    assert shares_passage(second, first, anchors)


def test_a_shared_rare_word_alone_is_not_a_shared_passage() -> None:
    first = joined_words(f"{BEFORE} {PASSAGE}")
    other = joined_words(f"{ELSEWHERE} {AFTER}")
    assert not shares_passage(first, other, ["granite", "breakwater"])
    # nor when the rarest words both hold stand in other passages
    assert not shares_passage(first, other, ["breakwater", "granite"])
    assert not shares_passage(first, joined_words(PASSAGE), ["absent", "words"])
