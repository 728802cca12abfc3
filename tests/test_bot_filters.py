"""Filters typed into a query (``from:`` ``to:`` ``by:`` ``in:``), offline: /q, plain
messages, inline queries and their pages, "other matches", the card's citation, the
explanation of a malformed filter, /help's example and /sources' speakers.

The database (``speeches_db``) holds the bundled sample and three made-up speeches by two
speakers, in two collections, dated 2001, 2002 and 2003: every hit of a filtered search
is checked against its document's collection, speaker and date.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from conftest import SPEECHES_QUERY as QUERY
from fake_bot_api import TOKEN, ApiCall, FakeTelegram, OfflineBot, RecordingRequest

from bot.core import browsing
from bot.core.filtering import NO_WORDS
from bot.core.service import highlight_spans
from bot.core.views import TIP_FILTERS, Card, NoMatch, Problem
from bot.telegram.app import build_application, running
from bot.telegram.render import inline as inline_render
from store.models import DocumentMeta
from store.search.filters import FILTER_HELP

_IDS = itertools.count(1)


class Bot(OfflineBot):
    async def say(self, text: str) -> dict[str, Any]:
        calls = await self.feed("message", self.fake.message(text))
        assert [c.method for c in calls] == ["sendMessage"], calls
        return calls[0].params

    async def press(self, data: str) -> list[ApiCall]:
        message = self.fake.sent[-1]
        return await self.feed("callback_query", self.fake.callback_query(data, message=message))

    async def ask(self, query: str, offset: str = "") -> dict[str, Any]:
        payload = {
            "id": f"iq-{next(_IDS)}",
            "from": self.fake.user(),
            "query": query,
            "offset": offset,
        }
        calls = await self.feed("inline_query", payload)
        assert [c.method for c in calls] == ["answerInlineQuery"], calls
        return calls[0].params

    async def document_of(self, paragraph_id: int) -> DocumentMeta:
        paragraph = await self.service.db.get_paragraph(paragraph_id)
        assert paragraph is not None
        document = await self.service.db.get_document(paragraph.document_id)
        assert document is not None
        return document


@pytest.fixture
async def bot(speeches_db: Path) -> AsyncIterator[Bot]:
    fake = FakeTelegram()
    app = build_application(TOKEN, speeches_db, request=RecordingRequest(fake), rate_limit=False)
    async with running(app):
        yield Bot(app, fake)


def buttons(params: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["text"]: b for row in params["reply_markup"]["inline_keyboard"] for b in row}


def paragraph_of(params: dict[str, Any]) -> int:
    return int(buttons(params)["🔗 Link"]["url"].split("start=p_")[1])


async def test_inline_pages_keep_the_filter_and_every_hit_is_inside_it(bot: Bot) -> None:
    unfiltered = await bot.ask(QUERY)
    assert unfiltered["next_offset"] == "10"  # 30 paragraphs match without the filter
    first = await bot.ask(f"{QUERY} by:alice")
    second = await bot.ask(f"{QUERY} by:alice", first["next_offset"])
    third = await bot.ask(f"{QUERY} by:alice", second["next_offset"] or "20")
    results = first["results"] + second["results"] + third["results"]
    ids = [inline_render.parse_result_id(r["id"]) for r in results]
    assert len(ids) == len(set(ids)) == 20 and third["results"] == []
    for paragraph_id in ids:
        assert paragraph_id is not None
        assert (await bot.document_of(paragraph_id)).speaker == "Alice Keeper"
    assert "Filters: by alice" in results[0]["input_message_content"]["message_text"]

    narrow = await bot.ask(f"from:2002 {QUERY} in:harb")  # a start of one collection's name
    assert len(narrow["results"]) == 10 and narrow["next_offset"] == ""
    for result in narrow["results"]:
        paragraph_id = inline_render.parse_result_id(result["id"])
        assert paragraph_id is not None
        document = await bot.document_of(paragraph_id)
        assert document.collection == "harbour" and document.date is not None
        assert document.date.year is not None and document.date.year >= 2002
        assert "Filters: from 2002 · in harbour" in result["input_message_content"]["message_text"]


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        (f"{QUERY} from:2002-13", "from:2002-13 is not a date: there is no month 13"),
        (f"{QUERY} to:2001 from:2003", "to:2001 is earlier than from:2003"),
        (f"{QUERY} -by:alice", "cannot exclude"),
        (f"{QUERY} in:nowhere", "no such collection; there are coast, harbour, sample"),
        (f"{QUERY} in:", "in: needs a collection name"),
        ("by:alice from:2001", NO_WORDS),
    ],
)
async def test_a_malformed_filter_is_explained_inline_and_in_chat(
    bot: Bot, query: str, problem: str
) -> None:
    params = await bot.ask(query)
    [result] = params["results"]
    assert result["id"] == inline_render.PROBLEM_ID
    text = result["input_message_content"]["message_text"]
    assert problem in text and FILTER_HELP in text
    answer = (await bot.say(f"/q {query}"))["text"]
    assert problem in answer and FILTER_HELP in answer and "Harbour Address" not in answer


async def test_q_and_other_matches_keep_the_filters(bot: Bot) -> None:
    card = await bot.say(f"/q {QUERY} in:coast")
    assert "Harbour Address 2003" in card["text"] and "Filters: in coast" in card["text"]
    seen = {paragraph_of(card)}
    for _ in range(9):
        calls = await bot.press(buttons(bot.fake.sent[-1])["🔎 Other matches"]["callback_data"])
        edited = calls[0].params
        assert calls[0].method == "editMessageText", calls
        assert "Harbour Address 2003" in edited["text"] and "Filters: in coast" in edited["text"]
        seen.add(paragraph_of(edited))
        bot.fake.sent[-1].update(reply_markup=edited["reply_markup"])
    assert len(seen) == 10
    for paragraph_id in seen:
        assert (await bot.document_of(paragraph_id)).collection == "coast"
    assert "🔎 Other matches" not in buttons(bot.fake.sent[-1])  # the tenth was the last

    plain = await bot.say(f"to:2001-12 {QUERY}")  # a plain private message
    assert "Harbour Address 2001" in plain["text"] and "Filters: to December 2001" in plain["text"]


async def test_help_shows_a_filter_that_works_on_the_sample(bot: Bot) -> None:
    help_text = (await bot.say("/help"))["text"]
    example = re.search(r"<code>/q (in:sample [^<]+)</code>", help_text)
    assert example is not None and example[1] == "in:sample servants of the people"
    assert "<code>by:NAME</code>" in help_text and "<code>from:2012</code>" in help_text
    card = await bot.say(f"/q {example[1]}")
    assert "¶ 21 of 32" in card["text"] and "Filters: in sample" in card["text"]
    outcome = await bot.service.search("servants of the people from:2012")
    assert isinstance(outcome, NoMatch)  # the sample has no year: outside every date range
    assert outcome.suggestions[0] == TIP_FILTERS.format("from 2012")


async def test_sources_lists_collections_and_speakers_with_counts(bot: Bot) -> None:
    text = (await bot.say("/sources"))["text"]
    assert "<i>Collections</i> · filter with <code>in:NAME</code>" in text
    assert "• harbour: 2 documents, 20 paragraphs" in text
    assert "• sample: 1 document, 32 paragraphs" in text
    assert "<i>Speakers</i> · filter with <code>by:NAME</code>" in text
    assert text.index("• Alice Keeper: 2 documents") < text.index("• Bob Pilot: 1 document")


async def test_highlighting_leaves_the_filters_out(bot: Bot) -> None:
    outcome = await bot.service.search("in:sample servants of the people")
    assert isinstance(outcome, Card) and outcome.filters == "in sample"
    text = outcome.paragraph.text
    spans = highlight_spans(text, "in:sample servants of the people")
    assert spans and spans == highlight_spans(text, "servants of the people")
    assert highlight_spans(text, "in:sample") == ()
    problem = await bot.service.search("servants from:20x2")
    assert isinstance(problem, Problem) and "from: takes a date" in problem.message


async def test_sources_pages_run_through_collections_speakers_and_documents(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(browsing, "SOURCES_PAGE_SIZE", 4)
    pages = [await bot.service.sources(n) for n in range(3)]
    assert [p.pages for p in pages] == [3, 3, 3]  # 3 collections, 2 speakers, 4 documents
    assert [[c["collection"] for c in p.collections] for p in pages] == [
        ["coast", "harbour", "sample"],
        [],
        [],
    ]
    assert [p.speakers for p in pages] == [[("Alice Keeper", 2)], [("Bob Pilot", 1)], []]
    assert [len(p.documents) for p in pages] == [0, 3, 1]
    titles = [d.title for p in pages for d in p.documents]
    assert len(set(titles)) == 4 and (await bot.service.sources(99)).page == 2
