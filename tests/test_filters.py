"""Filters typed into a query (store.search.filters): the rules, and properties over any text."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from store import Searcher, SearchFilters, open_database
from store.search.filters import (
    DATE_PROBLEM,
    FILTER_HELP,
    MAX_VALUE_CHARS,
    describe,
    resolve_collection,
    split_filters,
)

# ---- the rules, one by one


def test_all_four_filters_among_words_phrases_and_exclusions() -> None:
    got = split_filters(
        'from:2012 servant to:2013-06 by:"Kim Jong Un" in:kcna "of the people" -army'
    )
    assert got.text == 'servant "of the people" -army'
    assert got.filters == SearchFilters(
        collection="kcna", speaker="Kim Jong Un", date_from="2012", date_to="2013-06"
    )
    assert got.problems == ()
    assert got.applied
    assert [t.key for t in got.tokens] == ["from", "to", "by", "in"]


def test_no_filter_leaves_the_text_exactly_as_typed() -> None:
    raw = '  We shall  "fight on" -beaches\n'
    got = split_filters(raw)
    assert got.text == raw
    assert got.filters == SearchFilters() and not got.applied and got.problems == ()


@pytest.mark.parametrize("value", ["2012", "2012-03", "2012-03-01"])
def test_dates_partial_or_full(value: str) -> None:
    got = split_filters(f"words from:{value} to:{value}")
    assert (got.filters.date_from, got.filters.date_to) == (value, value)
    assert got.problems == ()


def test_dates_are_normalised_to_two_digit_months_and_days() -> None:
    got = split_filters("from:2012-3-1 to:２０１３")  # full-width digits from a phone keyboard
    assert (got.filters.date_from, got.filters.date_to) == ("2012-03-01", "2013")


@pytest.mark.parametrize("value", ["20x2", "12", "2012/06", "2012-", "june", "2012-06-30-1"])
def test_malformed_date_is_explained(value: str) -> None:
    got = split_filters(f"servant from:{value}")
    assert got.problems == ("from: takes a date like 2012, 2012-06 or 2012-06-30",)
    assert got.filters.date_from is None
    assert got.text == "servant"


def test_impossible_dates_are_explained() -> None:
    assert split_filters("to:2012-13").problems == (
        "to:2012-13 is not a date: there is no month 13",
    )
    assert split_filters("to:2013-02-29").problems == (
        "to:2013-02-29 is not a date: February has 28 days",
    )
    assert split_filters("to:2012-02-29").problems == ()  # a leap year


def test_to_earlier_than_from_is_a_problem() -> None:
    assert split_filters("from:2014 to:2013-06").problems == (
        "to:2013-06 is earlier than from:2014",
    )
    assert split_filters("from:2013-07-01 to:2013-06").problems
    # overlapping partial dates are a real range
    assert split_filters("from:2013-06 to:2013").problems == ()
    assert split_filters("from:2013 to:2013-01-01").problems == ()


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("by: the people", "by: needs a speaker's name"),
        ('by:"" x', "by: needs a speaker's name"),
        ("in:", "in: needs a collection name"),
        ("from: x", DATE_PROBLEM.format(key="from")),
        ("x to:", DATE_PROBLEM.format(key="to")),
    ],
)
def test_known_key_with_empty_value_is_a_problem(raw: str, problem: str) -> None:
    (got,) = split_filters(raw).problems
    assert got.startswith(problem)


def test_quoted_speaker_straight_or_curly() -> None:
    assert split_filters('by:"Kim Jong Un" x').filters.speaker == "Kim Jong Un"
    assert split_filters("x by:“Kim Jong Un”").filters.speaker == "Kim Jong Un"
    assert split_filters("by:“Kim Jong Un”").text == ""


def test_unpaired_quote_in_a_value_is_dropped() -> None:
    got = split_filters('words by:"Kim')
    assert got.filters.speaker == "Kim" and got.text == "words"


def test_keys_in_any_case() -> None:
    got = split_filters("From:2012 BY:Kim In:kcna words")
    assert got.filters == SearchFilters(collection="kcna", speaker="Kim", date_from="2012")
    assert got.text == "words"


@pytest.mark.parametrize(
    "raw",
    [
        "Note: this is not a filter",
        "at 10:30 foo:bar",
        "xby:Kim nofrom:2012",
        "http://in:8080/x",
        "(from:2012)",
        "--from:2012",
        "bys:Kim into:x",
    ],
)
def test_other_words_with_colons_are_text(raw: str) -> None:
    got = split_filters(raw)
    assert got.text == raw and got.tokens == () and got.problems == ()


def test_inside_a_quoted_phrase_nothing_is_a_filter() -> None:
    got = split_filters('"from:2012 by:Kim" words')
    assert got.text == '"from:2012 by:Kim" words' and got.tokens == ()


def test_trailing_punctuation_is_not_part_of_the_value() -> None:
    got = split_filters("by:Kim, from:2012. in:kcna! words")
    assert got.filters == SearchFilters(collection="kcna", speaker="Kim", date_from="2012")
    assert got.text == "words"


def test_negated_filter_is_a_problem_not_an_exclusion() -> None:
    got = split_filters("-by:Kim words")
    assert got.text == "words"
    assert got.filters.speaker is None
    assert got.problems == ("-by:Kim cannot exclude: a filter only narrows a search down",)


def test_repeated_filter_is_a_problem() -> None:
    got = split_filters("by:Kim by:Lee words")
    assert got.problems == ("by: can be given only once",)
    assert got.filters.speaker == "Kim"


def test_too_long_value_is_a_problem() -> None:
    got = split_filters("by:" + "k" * (MAX_VALUE_CHARS + 1))
    assert got.problems == (f"by: is too long (at most {MAX_VALUE_CHARS} characters)",)


def test_in_keeps_the_raw_value() -> None:
    assert split_filters("in:KC words").filters.collection == "KC"


def test_filter_help_names_every_key() -> None:
    for key in ("from:", "to:", "by:", "in:"):
        assert key in FILTER_HELP


# ---- on the bundled sample speech (the README's example)


async def test_readme_example_on_the_sample(sample_db: Path) -> None:
    async with open_database(sample_db) as db:
        searcher = Searcher(db)
        got = split_filters("in:sample servants of the people")
        result = await searcher.search(got.text, filters=got.filters)
        assert result.hits and {h.document.collection for h in result.hits} == {"sample"}
        assert result.hits[0].position == 21
        # the sample's date has no year: outside every from:/to: range
        dated = split_filters("servants of the people from:2012")
        assert (await searcher.search(dated.text, filters=dated.filters)).hits == []
        other = split_filters("in:kcna servants of the people")
        assert (await searcher.search(other.text, filters=other.filters)).hits == []


# ---- describe and resolve_collection


def test_describe() -> None:
    filters = SearchFilters(collection="kcna", speaker="Kim", date_from="2012", date_to="2013-06")
    assert describe(filters) == "from 2012 · to June 2013 · by Kim · in kcna"
    assert describe(SearchFilters()) == ""
    assert describe(SearchFilters(date_from="2012-03-01")) == "from 1 March 2012"
    assert describe(SearchFilters(document_id=7, language="ko")) == "document 7 · language ko"
    assert describe(SearchFilters(date_to="garbage")) == "to garbage"


def test_resolve_collection() -> None:
    names = ["kcna", "kjv", "sample", "un_debate"]
    assert resolve_collection("sample", names) == ("sample", None)
    assert resolve_collection("SAM", names) == ("sample", None)
    assert resolve_collection("un", names) == ("un_debate", None)
    assert resolve_collection("k", names) == (
        None,
        "in:k could be kcna, kjv: type more of the name",
    )
    name, problem = resolve_collection("rodong", names)
    assert name is None and problem and "kcna, kjv, sample, un_debate" in problem
    assert resolve_collection("x", []) == (None, "in:x: there are no collections yet")
    assert resolve_collection("kc", ["kcna", "KCNA"]) == (
        None,
        "in:kc could be KCNA, kcna: type more of the name",
    )
    assert resolve_collection("Kcna", ["kcna", "KCNA"]) == ("KCNA", None)


# ---- properties over any input

_FILTER_START = re.compile(r"-?(from|to|by|in):", re.IGNORECASE | re.ASCII)
_QUOTES = '"“”„'
_char = st.characters(exclude_categories=["Cs"], exclude_characters=_QUOTES).filter(
    lambda c: not c.isspace()
)
_words = st.text(_char, min_size=1, max_size=12).filter(lambda w: not _FILTER_START.match(w))
_spaces = st.sampled_from([" ", "  ", "\t", "\n", " \u3000 "])
_dates = st.builds(
    lambda y, m, d, n: "-".join([f"{y:04d}", f"{m:02d}", f"{d:02d}"][:n]),
    st.integers(1, 9999),
    st.integers(1, 12),
    st.integers(1, 28),
    st.integers(1, 3),
)
_names = st.text(_char, min_size=1, max_size=20)
_keys = st.sampled_from(["from", "to", "by", "in"]).flatmap(
    lambda k: st.sampled_from([k, k.upper(), k.capitalize()])
)


@st.composite
def _filter_tokens(draw: st.DrawFn, quoted: bool = True) -> str:
    key = draw(_keys)
    value = draw(st.one_of(_dates, _names, st.just("")))
    if quoted and draw(st.booleans()):
        value = '"' + value + " " + draw(_names) + '"'
    return ("-" if draw(st.booleans()) else "") + f"{key}:{value}"


_phrases = st.lists(st.one_of(_words, _filter_tokens(quoted=False)), max_size=4).map(
    lambda parts: '"' + " ".join(parts) + '"'
)


@given(st.text())
def test_never_raises_on_any_text(raw: str) -> None:
    got = split_filters(raw)
    describe(got.filters)
    assert isinstance(got.text, str)
    for token in got.tokens:
        assert raw[token.start : token.end].lower().lstrip("-").startswith(token.key + ":")


@given(
    st.lists(
        st.tuples(st.one_of(_words, _phrases, _filter_tokens()), _spaces),
        max_size=12,
    )
)
def test_round_trip_filters_out_text_kept(parts: list[tuple[str, str]]) -> None:
    raw = "".join(part + space for part, space in parts)
    got = split_filters(raw)
    is_filter = [bool(_FILTER_START.match(p)) for p, _ in parts]
    kept = [p for (p, _), f in zip(parts, is_filter, strict=True) if not f]
    # every non-filter part stays, in order; no filter token leaks into the text
    assert got.text.split() == " ".join(kept).split()
    assert len(got.tokens) == sum(is_filter)
    typed = [p for (p, _), f in zip(parts, is_filter, strict=True) if f]
    assert [raw[t.start : t.end] for t in got.tokens] == typed


@given(
    st.fixed_dictionaries(
        {},
        optional={"from": _dates, "to": _dates, "by": _names, "in": _names},
    ),
    st.lists(st.one_of(_words, _phrases), max_size=5),
    st.randoms(use_true_random=False),
)
def test_valid_filters_are_read_back(
    chosen: dict[str, str], words: list[str], rng: random.Random
) -> None:
    filters = [f'{k}:"{v}"' if k in ("by", "in") else f"{k}:{v}" for k, v in chosen.items()]
    parts = words + filters
    rng.shuffle(parts)
    got = split_filters(" ".join(parts))
    expected = SearchFilters(
        collection=chosen.get("in", "").strip() or None,
        speaker=chosen.get("by", "").strip() or None,
        date_from=chosen.get("from"),
        date_to=chosen.get("to"),
    )
    assert got.filters == expected
    reversed_range = (
        "from" in chosen and "to" in chosen and chosen["from"][: len(chosen["to"])] > chosen["to"]
    )
    assert bool(got.problems) == reversed_range
    assert got.text.split() == " ".join(p for p in parts if p in words).split()
