"""Alignment (store.search.alignment): whole words, and a cutoff that loses nothing."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from store.search.alignment import align

words = st.lists(
    st.sampled_from(["in", "part", "party", "parties", "secretary", "secretaries", "rdt", "infra"]),
    min_size=1,
    max_size=12,
)


@given(query=words, text=words, cutoff=st.sampled_from([0.0, 50.0, 69.2, 80.0, 95.0]))
@example(query=["in", "part"], text=["infra", "part", "rdt", "party", "in"], cutoff=80.0)
@example(query=["in", "secretary", "artye"], text=["infra", "parties", "secretaries"], cutoff=69.2)
def test_a_cutoff_gives_the_score_or_nothing(
    query: list[str], text: list[str], cutoff: float
) -> None:
    # rank asks with the floor a match needs as cutoff: it must get the same score as
    # without one whenever that score reaches the cutoff, and 0 otherwise
    q, joined = " ".join(query), " ".join(text)
    full = align(q, query, joined)[0]
    assert align(q, query, joined, cutoff)[0] == (full if full >= cutoff else 0.0)


def test_a_korean_ending_is_not_widened_into() -> None:
    # "icbm" stands whole before the Korean ending of 을: an exact match
    assert align("icbm", ["icbm"], "북한 icbm을 발사했다")[0] == 100.0
    # a Latin query's last word inside a longer Latin word is no exact match
    assert align("country and in", ["country", "and", "in"], "country and infrastructure")[0] < 90
