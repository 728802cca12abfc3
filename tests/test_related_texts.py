"""Telling one text from another among the best paragraphs (store.search.hits): copies,
a text held whole inside another, and two texts sharing the passage a query matched."""

from __future__ import annotations

from pathlib import Path

from store.db import open_database
from store.models import ParsedDocument
from store.search.hits import near_copies, related_paragraphs, shares_passage
from store.search.ranking import Scored
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


async def test_one_document_repeating_a_passage_further_on_is_one_text(tmp_path: Path) -> None:
    # an article quoting a statement in its lead and again in full, paragraphs apart
    paragraphs = [f"{BEFORE} {PASSAGE}", AFTER, ELSEWHERE, BEFORE, f"{PASSAGE} {AFTER}"]
    async with open_database(tmp_path / "repeat.db") as db:
        await db.insert_documents([(ParsedDocument("Harbour", paragraphs, "h.txt", "text"), "h")])
        ids = sorted((await db.get_paragraphs(range(1, 6))).keys())
        lead, middle, far = ids[0], ids[2], ids[4]
        scored = [Scored(i, 80.0 - n, "loose", (), 100, text_key=i) for n, i in enumerate(ids)]
        related = await related_paragraphs(db, scored, 90.0, ["breakwater", "granite"])
    assert related(lead, far) and related(far, lead)  # the same passage, four apart
    assert related(lead, ids[1])  # neighbours, as before
    assert not related(lead, middle)  # another passage of the same document


KOREAN_PASSAGE = (
    "항구의 로동자들은 사십일만에 방파제를 다시 쌓았으며 기중기가 멈추었을 때에는 "
    "화강석을 손으로 날라 가을 폭풍이 오기 전에 첫 어선들이 새 물길로 돌아오게 하였다. "
    "이 소식은 온 나라의 어촌마다 전해져 사람들에게 큰 힘을 주었다."
)


def test_korean_texts_share_a_passage_where_the_query_words_carry_endings() -> None:
    # the query's 방파제 stands in the texts as 방파제를: its beginning counts
    first = joined_words(f"위원회는 화요일에 모여 한해의 건설사업을 총화하였다. {KOREAN_PASSAGE}")
    second = joined_words(f"{KOREAN_PASSAGE} 대표들은 봄철 씨뿌리기에 쓸 비료문제를 토의하였다.")
    assert shares_passage(first, second, ["방파제", "화강석"])
    other = joined_words("화강석으로 된 기념비가 수도에 세워졌다. " * 3)
    assert not shares_passage(first, other, ["화강석", "방파제"])
