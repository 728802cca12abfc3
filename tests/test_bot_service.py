"""The bot's service layer over the bundled sample speech (no Telegram involved)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

import store.db.app_state
from bot.core import citation, views
from bot.core import service as svc
from bot.core.browsing import example_phrase
from bot.core.service import VerbatimService
from bot.core.views import Card, CardPage, NoMatch, NotSure, Problem
from store import SearchResult
from store.db import open_database
from store.ingest import ingest_paths, sample_path
from store.search.query import FUNCTION_WORDS, MAX_QUERY_CHARS


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[VerbatimService]:
    async with open_database(tmp_path / "s.db") as db:
        await ingest_paths(db, [sample_path()], progress=False)
        yield await VerbatimService.create(db)


async def test_search_gives_a_card_with_neighbours_and_a_stored_query(
    service: VerbatimService,
) -> None:
    card = await service.search("  heart of a   mother ")
    assert isinstance(card, Card)
    assert card.query == "heart of a mother" and card.rank == 0 and card.is_anchor
    assert await service.db.get_query(card.query_id) == "heart of a mother"
    window = await service.db.paragraph_window(card.document.id, card.paragraph.position)
    assert (card.prev_id, card.next_id) == (window[0].id, window[2].id)
    assert card.confidence in ("exact", "close", "loose") and card.spans


async def test_search_page_pages_through_hits(service: VerbatimService) -> None:
    first = await service.search_page("primary party committees", offset=0, limit=2)
    assert isinstance(first, CardPage) and [c.rank for c in first.cards] == [0, 1]
    assert first.next_offset == 2 and all(c.has_more for c in first.cards)
    second = await service.search_page("primary party committees", offset=2, limit=2)
    assert isinstance(second, CardPage) and second.query_id == first.query_id
    assert {c.paragraph.id for c in first.cards}.isdisjoint(c.paragraph.id for c in second.cards)
    assert [c.rank for c in second.cards] == [2, 3]
    best = await service.match(first.query_id, 1)
    assert isinstance(best, Card) and best.paragraph.id == first.cards[1].paragraph.id
    assert await service.search_page("   ") == views.EMPTY_QUERY


async def test_no_match_empty_and_long_queries(service: VerbatimService) -> None:
    none = await service.search("xylophone quasar")
    assert isinstance(none, NoMatch) and any("fewer words" in s for s in none.suggestions)
    assert isinstance(await service.search(" \n "), Problem)
    query, notice = svc.normalize_query("word " * 1000)
    assert len(query) <= MAX_QUERY_CHARS and not query.endswith(" ") and notice


async def test_paragraph_navigation_and_end_of_document(service: VerbatimService) -> None:
    card = await service.search("heart of a mother")
    assert isinstance(card, Card)
    assert card.next_id is not None
    moved = await service.paragraph(card.next_id, anchor_id=card.anchor_id, query_id=card.query_id)
    assert isinstance(moved, Card) and not moved.is_anchor and moved.spans == ()
    back = await service.paragraph(card.anchor_id, anchor_id=card.anchor_id, query_id=card.query_id)
    assert isinstance(back, Card) and back.spans  # highlighted again
    last = await service.db.paragraph_window(card.document.id, 32, 0, 0)
    end = await service.paragraph(last[0].id)
    assert isinstance(end, Card) and end.next_id is None and end.prev_id is not None
    assert await service.paragraph(10**9) == views.PARAGRAPH_GONE
    assert await service.match(10**9, 0) == views.QUERY_GONE


def test_highlight_spans_tolerate_typos() -> None:
    text = "Serve the people with the heart of a mother."
    spans = svc.highlight_spans(text, "the peple with the hart")
    assert [text[s:e] for s, e in spans] == ["the people with the heart"]
    assert svc.highlight_spans(text, "") == ()


async def test_back_to_the_match_highlights_what_the_search_highlighted(
    service: VerbatimService,
) -> None:
    card = await service.search("servent the peple with the heart of a mothr")
    assert isinstance(card, Card) and card.spans
    assert card.next_id is not None
    back = await service.paragraph(
        card.paragraph.id, anchor_id=card.paragraph.id, query_id=card.query_id
    )
    assert isinstance(back, Card)
    assert back.spans == card.spans


def count_searches(
    service: VerbatimService, monkeypatch: pytest.MonkeyPatch
) -> list[dict[str, object]]:
    """From now on, the options of every search the service runs, in order."""
    searches: list[dict[str, object]] = []
    search = service.searcher.search

    async def counted(query: str, **kw: Any) -> SearchResult:
        searches.append(kw)
        return await search(query, **kw)

    monkeypatch.setattr(service.searcher, "search", counted)
    return searches


async def test_one_search_per_press_on_another_suggestion(
    service: VerbatimService, monkeypatch: pytest.MonkeyPatch
) -> None:
    outcome = await service.search("mother heart servant people")  # no answer: suggestions
    assert isinstance(outcome, NotSure) and len(outcome.suggestions) >= 2
    searches = count_searches(service, monkeypatch)
    second = await service.match(outcome.query_id, 1)  # "other passages" pressed
    assert isinstance(second, Card) and second.suggested and second.rank == 1
    assert second.paragraph.id == outcome.suggestions[1].paragraph.id
    assert len(searches) == 1
    back = await service.paragraph(  # back to the suggested card from its neighbour
        second.paragraph.id, anchor_id=second.paragraph.id, query_id=second.query_id, rank=1
    )
    assert isinstance(back, Card) and back.suggested and len(searches) == 2
    past = await service.match(outcome.query_id, len(outcome.suggestions))
    assert past == views.NO_MORE and len(searches) == 3


async def test_a_deep_other_match_is_searched_from_its_own_rank(
    service: VerbatimService, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = await service.search("secretaries of primary party committees")  # many answers
    assert isinstance(first, Card)
    whole = await service.searcher.search("secretaries of primary party committees", limit=20)
    searches = count_searches(service, monkeypatch)
    sixth = await service.match(first.query_id, 6)
    assert isinstance(sixth, Card) and sixth.paragraph.id == whole.hits[6].paragraph.id
    assert [(s["offset"], s["limit"]) for s in searches] == [(6, 2)]  # not 8 hits built


async def test_other_matches_past_the_last_answer_are_no_more(service: VerbatimService) -> None:
    card = await service.search("heart of a mother")
    assert isinstance(card, Card)
    assert await service.match(card.query_id, 999) == views.NO_MORE


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("p_12", 12),
        ("p_", None),
        ("p_-1", None),
        ("p_１２", None),
        ("x_12", None),
        ("p_1" * 9, None),
    ],
)
def test_deep_link_parsing(payload: str, expected: int | None) -> None:
    assert citation.parse_deep_link(payload) == expected
    if expected is not None:
        assert citation.deep_link_payload(expected) == payload


async def test_examples_and_sources_and_stats(service: VerbatimService) -> None:
    examples = await service.examples()
    assert len(examples) == 3 and all(len(e.split()) == 5 for e in examples)
    view = await service.sources(page=7)  # clamped to the last page
    assert (view.page, view.pages, view.total, len(view.documents)) == (0, 1, 1, 1)
    stats = await service.stats()
    assert (stats.documents, stats.paragraphs) == (1, 32)


async def test_sources_and_stats_read_only_the_counts_per_collection(
    service: VerbatimService, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = (await service.db.stats())["collections"]

    async def heavy() -> None:
        raise AssertionError("db.stats() stats files and takes the ingest lock")

    monkeypatch.setattr(service.db, "stats", heavy)
    view = await service.sources(page=0)
    assert view.total == 1 and view.collections == expected
    stats = await service.stats()
    assert (stats.documents, stats.paragraphs, stats.collections) == (1, 32, expected)


async def test_old_queries_are_forgotten(
    service: VerbatimService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store.db.app_state, "KEEP_BOT_QUERIES", 10)
    monkeypatch.setattr(secrets, "randbelow", lambda n: 0)  # prune on every call
    ids = [await service.db.remember_query(f"query {n}") for n in range(30)]
    assert await service.db.get_query(ids[19]) is None
    assert await service.db.get_query(ids[20]) == "query 20"
    assert await service.db.remember_query("query 29") == ids[29]  # refreshing keeps the id


def test_an_example_begins_and_ends_with_a_word_of_substance() -> None:
    text = "And the lighthouse keepers of the harbour counted the turns of the beam."
    for _ in range(20):  # random places, but never "of the harbour counted the"
        phrase = example_phrase(text, 4)
        assert phrase is not None and len(phrase.split()) == 4
        first, *_, last = phrase.split()
        assert first not in FUNCTION_WORDS and last not in FUNCTION_WORDS, phrase
    assert example_phrase("of the and", 2) in ("of the", "the and")  # none: still a phrase
    assert example_phrase("two words", 3) is None
