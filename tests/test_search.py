"""Searcher against a small real database in tmp_path: contract, filters, Korean, hostile input."""

from __future__ import annotations

import concurrent.futures
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

import store.search.engine as search_module
import store.search.hits as hits_module
from store.db import Database, open_database
from store.models import ParsedDocument, PartialDate
from store.search.engine import Searcher, SearchFilters

SPEECH = [
    "We shall go on to the end, we shall fight in France, we shall fight on the seas and "
    "oceans, we shall fight with growing confidence and growing strength in the air.",
    "We shall defend our Island, whatever the cost may be, we shall fight on the beaches, "
    "we shall fight on the landing grounds.",
    "The colour of the “flag” — red—and blue — was chosen by the people’s committee.",
]
ADDRESS = [
    "The United Nations must remain the centre of harmonising the actions of nations.",
    "Thank you.",
]
KOREAN = [
    "우리는 조국의 통일을 위하여 모두 힘차게 나아가자.",
    "인민들의 행복을 위하여 복무하자.",
    "올해는 １０.４선언발표 ５돐이 되는 해이다.",
]


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    async with open_database(tmp_path / "search.db") as database:
        docs = [
            ParsedDocument(
                "Blood, toil",
                SPEECH,
                "speech.txt",
                "text",
                speaker="Winston Churchill",
                date=PartialDate(1940, 6, 4),
                place="London",
                collection="speeches",
            ),
            ParsedDocument(
                "General debate",
                ADDRESS,
                "un.txt",
                "text",
                speaker="A Delegate",
                date=PartialDate(2024, 9, 24),
                collection="un",
                language="en",
            ),
            ParsedDocument(
                "신년사",
                KOREAN,
                "ko.txt",
                "text",
                date=PartialDate(2019, 1, 1),
                collection="ko",
                language="ko",
            ),
        ]
        await database.insert_documents([(d, f"hash{i}") for i, d in enumerate(docs)])
        yield database


async def test_typo_query_finds_the_paragraph_with_citation_and_spans(db: Database) -> None:
    result = await Searcher(db).search("we shal fihgt on the beachs")
    assert result.error is None and result.hits
    hit = result.hits[0]
    assert hit.paragraph.text == SPEECH[1]
    assert hit.document.title == "Blood, toil" and (hit.position, hit.total) == (2, 3)
    assert hit.confidence in ("close", "loose") and 75 <= hit.score < 100
    marked = [hit.paragraph.text[a:b] for a, b in hit.spans]
    assert marked and marked[0].startswith("we shall fight on the beaches")


async def test_exact_quote_is_exact(db: Database) -> None:
    result = await Searcher(db).search("The colour of the flag, red and blue")
    hit = result.hits[0]
    assert hit.paragraph.text == SPEECH[2]
    assert hit.confidence == "exact" and hit.score == 100


async def test_misspelt_rare_word_is_corrected_against_the_vocabulary(db: Database) -> None:
    searcher = Searcher(db)
    assert [t for t, _ in await searcher.corrections("harmonsing")] == ["harmonising"]
    # a swap of two neighbouring letters is one edit
    assert [t for t, _ in await searcher.corrections("hamronising")] == ["harmonising"]
    result = await searcher.search("harmonsing actons")
    assert result.hits and result.hits[0].paragraph.text == ADDRESS[0]


async def test_unrelated_sentence_returns_nothing(db: Database) -> None:
    result = await Searcher(db).search(
        "the ministry approved the annual fishing quota for trawlers"
    )
    assert result.hits == [] and result.error is None


async def test_short_paragraph_is_not_matched_by_a_long_query(db: Database) -> None:
    result = await Searcher(db).search("thank you very much mister president for the invitation")
    assert result.hits == []


@pytest.mark.parametrize(
    "query",
    [
        "NEAR(fight beaches)",
        'fight* AND "beaches',
        "text: fight OR beaches",
        "(((",
        "🙂 fight 🙂",
        "fight\x00\x1b beaches",
        "^fight -",
        '""""',
        "NOT AND OR",
    ],
)
async def test_fts_syntax_never_crashes(db: Database, query: str) -> None:
    result = await Searcher(db).search(query)
    assert result.error is not None or isinstance(result.hits, list)


async def test_empty_query_gives_an_error_message(db: Database) -> None:
    result = await Searcher(db).search("  ?!  ")
    assert result.hits == [] and result.error


async def test_very_long_query_is_capped_with_notice(db: Database) -> None:
    result = await Searcher(db).search(SPEECH[1] + " " + "x" * 10_000)
    assert result.notice and len(result.query) <= 300 and result.error is None
    assert result.hits and result.hits[0].paragraph.text == SPEECH[1]


async def test_phrase_and_exclusion(db: Database) -> None:
    searcher = Searcher(db)
    hits = (await searcher.search('"fight in france" we shall fight on the')).hits
    assert [h.paragraph.text for h in hits] == [SPEECH[0]]
    # no paragraph has the quoted words: close matches are shown, with a notice saying so
    germany = await searcher.search('"fight in germany" we shall fight on the')
    assert germany.notice and "quotes" in germany.notice
    assert all(h.confidence != "exact" for h in germany.hits)
    # when the phrase exists, paragraphs without it are not shown
    assert (await searcher.search('"fight in france" we shall fight on the beaches')).hits[
        0
    ].paragraph.text == SPEECH[0]
    # a quoted phrase no paragraph has (a typo inside the quotes) falls back to fuzzy words
    fallback = await searcher.search('we shall "fihgt in France", we shall fight on the seas')
    assert [h.paragraph.text for h in fallback.hits] == [SPEECH[0]]
    assert fallback.notice and "quotes" in fallback.notice
    # an excluded word keeps out the paragraph that has it, answers and suggestions alike
    excluded = await searcher.search("we shall fight on the seas and oceans -oceans")
    shown = [h.paragraph.text for h in [*excluded.hits, *excluded.suggestions]]
    assert shown and not any("oceans" in t for t in shown)


async def test_filters(db: Database) -> None:
    searcher = Searcher(db)
    query = "we shall fight on the beaches"
    assert (await searcher.search(query, filters=SearchFilters(collection="un"))).hits == []
    assert (await searcher.search(query, filters=SearchFilters(collection="speeches"))).hits
    assert (await searcher.search(query, filters=SearchFilters(speaker="churchill"))).hits
    assert (await searcher.search(query, filters=SearchFilters(date_from="1941"))).hits == []
    assert (await searcher.search(query, filters=SearchFilters(date_to="1940-06"))).hits
    assert (await searcher.search(query, filters=SearchFilters(date_to="1940-05"))).hits == []
    doc = SearchFilters(document_id=2)
    assert (await searcher.search(query, filters=doc)).hits == []
    un = await searcher.search("united nations centre", filters=SearchFilters(language="EN"))
    assert un.hits and un.hits[0].document.id == 2


async def test_limit_and_offset_page_through_hits(db: Database) -> None:
    searcher = Searcher(db)
    all_hits = (await searcher.search("we shall fight", limit=10)).hits
    assert len(all_hits) >= 2
    second = (await searcher.search("we shall fight", limit=1, offset=1)).hits
    assert [h.paragraph.id for h in second] == [all_hits[1].paragraph.id]


async def test_korean_query_finds_korean_paragraph(db: Database) -> None:
    searcher = Searcher(db)
    result = await searcher.search("조국의 통일")
    assert result.hits and result.hits[0].paragraph.text == KOREAN[0]
    text = result.hits[0].paragraph.text
    assert [text[a:b] for a, b in result.hits[0].spans] == ["조국의 통일을"]
    result = await searcher.search("인민들의 행복을 위하여")
    assert result.hits[0].paragraph.text == KOREAN[1]
    # full-width digits in the text match ASCII digits typed (and the other way round)
    for query in ("10.4선언발표 5돐이", "１０.４선언발표 ５돐이 되는"):
        found = await searcher.search(query)
        assert found.hits and found.hits[0].paragraph.text == KOREAN[2], query


async def test_uses_the_given_executor(db: Database) -> None:
    class Counting(concurrent.futures.ThreadPoolExecutor):
        calls = 0

        def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def]
            Counting.calls += 1
            return super().submit(fn, *args, **kwargs)

    with Counting(max_workers=1) as pool:
        await Searcher(db, pool).search("we shall fight on the beaches")
    # scoring the candidates, telling the texts apart (decide), the spans of the hits shown
    assert Counting.calls == 3


async def test_vocabulary_is_rebuilt_for_an_old_database(db: Database) -> None:
    await db.conn.execute("DELETE FROM search_vocab")
    result = await Searcher(db).search("harmonsing actons")
    assert result.hits and result.hits[0].paragraph.text == ADDRESS[0]
    assert (await db.term_frequencies(["shall"]))["shall"] == 2


async def test_korean_words_are_scanned_in_a_large_collection(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_module, "SCAN_FROM", 0)  # searched as a large collection

    async def no_bm25(*args: object, **kwargs: object) -> list[tuple[int, str]]:
        raise AssertionError("the scan should have found it without bm25")

    monkeypatch.setattr(db, "fts_candidates", no_bm25)
    searcher = Searcher(db)
    result = await searcher.search("조국의 통일")  # prefixes: 통일 matches 통일을
    assert result.hits and result.hits[0].paragraph.text == KOREAN[0]
    result = await searcher.search("인민들의 행복을 위하여")
    assert result.hits and result.hits[0].paragraph.text == KOREAN[1]


async def test_related_texts_are_looked_up_only_where_a_gap_answer_is_possible(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    looked_up: list[int] = []
    original = hits_module.related_paragraphs  # the engine calls it by its own name

    async def counting(*args: Any, **kwargs: Any) -> Any:
        looked_up.append(1)
        return await original(*args, **kwargs)

    monkeypatch.setattr(search_module, "related_paragraphs", counting)
    searcher = Searcher(db)
    # rare words of one paragraph, no sentence: a recall far above the noise, by the gap
    keywords = await searcher.search("france oceans confidence strength air")
    assert [h.paragraph.text for h in keywords.hits] == [SPEECH[0]] and looked_up
    looked_up.clear()
    # two rare words of one paragraph: a recall too low for the gap two words ask for,
    # offered as a suggestion without looking anything up
    weak = await searcher.search("island beaches in the sun")
    assert weak.hits == [] and [h.paragraph.text for h in weak.suggestions] == [SPEECH[1]]
    assert looked_up == []
