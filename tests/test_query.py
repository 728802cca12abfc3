"""Query parsing and sanitising: phrases, exclusions, caps, hostile input."""

from __future__ import annotations

import pytest

from store.search.query import COMMON_ONLY, MAX_QUERY_CHARS, fts_term, parse_query


def test_plain_words_are_folded_in_order() -> None:
    q = parse_query("  We SHALL  fight… on the Beaches ")
    assert q.text == "We SHALL fight… on the Beaches"
    assert q.words == ("we", "shall", "fight", "on", "the", "beaches")
    assert q.phrases == () and q.excluded == frozenset() and q.error is None


def test_phrases_and_exclusions() -> None:
    q = parse_query('“landing grounds” fight -beaches -"x" "on the')
    # the unclosed quote before "on the" is just a character
    assert q.phrases == (("landing", "grounds"),)
    assert q.excluded == {"beaches", "x"}
    assert q.words == ("landing", "grounds", "fight", "on", "the")


def test_hyphenated_word_is_not_an_exclusion() -> None:
    q = parse_query("well-being of all")
    assert q.excluded == frozenset()
    assert q.words == ("well", "being", "of", "all")


@pytest.mark.parametrize(
    "raw",
    ['NEAR(a b, 2) AND "c', "a* OR b:c ^d {x}", "🙂🙂 peace 🙂", "\x00\x07tab\there\x1b[0m"],
)
def test_operators_and_control_characters_are_just_text(raw: str) -> None:
    q = parse_query(raw)
    assert q.error is None
    assert all(w.isalnum() for w in q.words)
    assert "\x00" not in q.text and "\x1b" not in q.text


@pytest.mark.parametrize("raw", ["", "   ", '""', "!!! ??? ***", "🙂", "-only -excluded"])
def test_nothing_searchable_gives_a_message(raw: str) -> None:
    q = parse_query(raw)
    assert q.words == ()
    assert q.error


def test_long_query_is_capped_with_a_notice() -> None:
    q = parse_query("peace and prosperity " * 500)
    assert len(q.text) <= MAX_QUERY_CHARS
    assert q.notice and str(len(q.text)) in q.notice
    assert q.text.endswith(("peace", "and", "prosperity"))


def test_fts_term_quotes_safely() -> None:
    assert fts_term('a"b') == '"a""b"'
    assert fts_term("조국", prefix=True) == '"조국"*'


@pytest.mark.parametrize("raw", ["the", "of the", "AND", "NOT", "It is", "a -war"])
def test_only_common_words_get_a_message_not_an_arbitrary_paragraph(raw: str) -> None:
    parsed = parse_query(raw)
    assert parsed.words == () and parsed.error == COMMON_ONLY


@pytest.mark.parametrize(
    "raw", ['"of the"', "of the people", "to be or not to be", "war", "조국의"]
)
def test_common_words_in_quotes_with_others_or_many_are_searched(raw: str) -> None:
    parsed = parse_query(raw)
    assert parsed.error is None and parsed.words
