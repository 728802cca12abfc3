"""Retrieval does not lose a passage to changed word forms: when nothing at all was
found, the last tier asks again with the other forms of the query's rare words."""

from __future__ import annotations

from pathlib import Path

from store.db import open_database
from store.models import ParsedDocument
from store.search.engine import Searcher
from store.search.plan import Slot, any_two_of, rare_words
from store.search.terms import QueryTerms

TARGET = (
    "Their town became the envy of the whole coast while its fishermen shouldered a "
    "burden no other harbour carried."
)
OTHERS = [
    "Nobody envies a tax collector in a lean year.",
    "The sources of the river were mapped at last; each source had a name.",
    "The burdens of the war years fell on the farmers of the valley.",
    "The heavier ships stayed in port until the storm had passed.",
    "A new school opened in the village in the spring.",
]


async def test_other_forms_of_the_rare_words_bring_the_passage(tmp_path: Path) -> None:
    async with open_database(tmp_path / "forms.db") as db:
        docs = [ParsedDocument("Coast", [TARGET, *OTHERS], "coast.txt", "text")]
        await db.insert_documents([(d, f"h{i}") for i, d in enumerate(docs)])
        searcher = Searcher(db)
        # the query's forms stand in other paragraphs (so they are no misspellings);
        # the passage holds fishermen as it is, envy and burden in other forms
        result = await searcher.search("fishermen envies burdens")
        found = [h.paragraph.text for h in [*result.hits, *result.suggestions]]
        assert found and found[0] == TARGET
        # other forms of a word in the vocabulary; none looked up for short words
        terms = QueryTerms(db)
        forms = await terms.with_forms(Slot("envies", ("envies",), 1))
        assert set(forms.alternatives) == {"envies", "envy"} and forms.df == 2
        assert await terms.with_forms(Slot("odd", ("odd",), 1)) == Slot("odd", ("odd",), 1)
        # the stem spells our as or (sources: sorc); the forms are found all the same
        sources = await terms.with_forms(Slot("sources", ("sources",), 1))
        assert set(sources.alternatives) == {"sources", "source"}


def test_the_last_tier_asks_for_any_two_of_the_rarest_words() -> None:
    slots = [Slot(w, (w,), df) for w, df in [("rare", 3), ("odd", 5), ("the", 900), ("x", 0)]]
    chosen = rare_words(slots, 1000)
    assert [s.word for s in chosen] == ["rare", "odd", "the"]
    assert any_two_of(chosen[:1]) is None
    assert any_two_of(chosen[:2]) == '("rare" AND "odd")'
    three = any_two_of(chosen)
    assert three is not None and three.count(" OR ") == 2  # three pairs
