"""From scored paragraphs to what a search shows: related paragraphs and hits.

:func:`related_paragraphs` looks up the best-scored paragraphs so that
:func:`store.search.answer.decide` can tell one text from another (neighbours in one
document, near-copies of a text and a passage repeated, in one document or several,
count as one);
:func:`build_hits` turns the paragraphs shown into :class:`~store.models.Hit` values,
with their document, the other documents holding the same text, and the words to
highlight.  Used by :class:`store.search.engine.Searcher`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable, Sequence

from rapidfuzz import fuzz

from store.db import Database
from store.models import Hit, Paragraph
from store.search.answer import Decision
from store.search.query import ParsedQuery
from store.search.ranking import Scored, hit_spans
from store.text.norm import has_hangul, joined_words

RELATED_CHECKED = 40  # best paragraphs looked up to tell neighbours and near-copies apart
RELATED_REACH = 30.0  # ... those scoring at most this much below the best
NEAR_COPY = 90.0  # rapidfuzz ratio from which two paragraphs are copies of one text
COPY_ENDS = 400  # characters at each end compared to tell copies
COPY_MIN = 120  # ... or of an opening, at least this many
SAME_OPENING = 95.0
SHARED_REACH = 150  # characters each side of the query's rarest word compared between texts
SHARED_MIN = 100  # ... of which two texts must share at least this many on one side
SHARED_TRIES = 6  # places (of the rarest query words both hold) compared at most


def near_copies(a: str, b: str) -> bool:
    """Whether two paragraphs, given as their folded words (``joined_words``), carry
    one text: one holds the other whole (a speech reprinted inside a longer article),
    or they are copies with small differences (lengths within a tenth, their first and
    last ``COPY_ENDS`` characters alike)."""
    shorter, longer = sorted((a, b), key=len)
    if shorter and f" {shorter} " in f" {longer} ":
        return True
    # the same sentences paragraphed otherwise: the shorter one's opening stands in the
    # longer nearly as it is
    head = shorter[:COPY_ENDS]
    if len(head) >= COPY_MIN and fuzz.partial_ratio(head, longer, score_cutoff=SAME_OPENING):
        return True
    if abs(len(a) - len(b)) > 0.1 * max(len(a), len(b)):
        return False
    return (
        fuzz.ratio(a[:COPY_ENDS], b[:COPY_ENDS], score_cutoff=NEAR_COPY) > 0
        and fuzz.ratio(a[-COPY_ENDS:], b[-COPY_ENDS:], score_cutoff=NEAR_COPY) > 0
    )


def shares_passage(a: str, b: str, anchors: Sequence[str]) -> bool:
    """Whether two texts, given as their folded words, carry the same passage where a
    query matched them (two articles quoting one statement, each with other paragraphs
    around it): a place of one of ``anchors`` (query words, rarest first; the first
    ``SHARED_TRIES`` places of those both texts hold) stands in the other with the
    ``SHARED_REACH`` characters before or after it nearly as they are (at least
    ``SHARED_MIN`` of them: a passage may begin or end near the word)."""
    return _passage_in(a, b, anchors) or _passage_in(b, a, anchors)


def _passage_in(a: str, b: str, anchors: Sequence[str]) -> bool:
    padded, other = f" {a} ", f" {b} "
    places: list[tuple[str, ...]] = []  # the stretches beside each place, in order
    for word in anchors:
        if len(places) >= SHARED_TRIES:
            break
        # a Korean word carries its endings (화학혁명 in 화학혁명이다): its beginning counts
        token = f" {word}" if has_hangul(word) else f" {word} "
        if token not in other:
            continue
        at = padded.find(token)
        while at >= 0 and len(places) < SHARED_TRIES:
            end = at + len(word) + 1
            sides = (padded[max(0, at - SHARED_REACH) : end], padded[at : end + SHARED_REACH])
            places.append(tuple(side.strip() for side in sides if len(side.strip()) >= SHARED_MIN))
            at = padded.find(token, end)
    # the same words as they are first (cheap), then nearly so; a Korean stretch may
    # begin or end inside a word (its ending)
    if any(
        (side in other) if has_hangul(side) else (f" {side} " in other)
        for sides in places
        for side in sides
    ):
        return True
    # (rapidfuzz gives up early on a stretch that cannot reach the cutoff: 0 then)
    return any(
        fuzz.partial_ratio(side, b, score_cutoff=SAME_OPENING) > 0
        for sides in places
        for side in sides
    )


def unrelated(a: int, b: int) -> bool:
    """``related`` where :func:`store.search.answer.decide` will not ask (no gap answer
    is possible): no two paragraphs are one text."""
    return False


async def related_paragraphs(
    db: Database,
    scored: list[Scored],
    reach: float = RELATED_REACH,
    anchors: Sequence[str] = (),
) -> Callable[[int, int], bool]:
    """Whether two of the best of ``scored`` (by paragraph id; those within ``reach`` of
    the best, at most ``RELATED_CHECKED``) are one text: neighbours in one document, or
    paragraphs of one document or two that are near-copies (see :func:`near_copies`) or
    share the passage around the rarest of the query words ``anchors`` (see
    :func:`shares_passage`)."""
    within = [s.paragraph_id for s in scored if s.score >= scored[0].score - reach]
    near = await db.get_paragraphs(within[:RELATED_CHECKED]) if scored else {}
    folded: dict[int, str] = {}

    def words_of(paragraph: Paragraph) -> str:
        if paragraph.id not in folded:
            folded[paragraph.id] = joined_words(paragraph.text)
        return folded[paragraph.id]

    def related(a: int, b: int) -> bool:
        first, second = near.get(a), near.get(b)
        if first is None or second is None:
            return False
        if first.document_id == second.document_id and abs(first.position - second.position) <= 1:
            return True  # neighbours; further apart, one document may repeat a passage
        a_words, b_words = words_of(first), words_of(second)
        return near_copies(a_words, b_words) or shares_passage(a_words, b_words, anchors)

    return related


async def build_hits(
    db: Database,
    executor: concurrent.futures.Executor,
    parsed: ParsedQuery,
    decision: Decision,
    page: list[Scored],
) -> list[Hit]:
    """The hits for ``page``: paragraph, document, the other documents holding the same
    text, and the words to highlight (worked out here, in ``executor``, for shown hits
    only)."""
    if not page:
        return []
    same_text = decision.same_text
    ids = [s.paragraph_id for s in page]
    paragraphs = await db.get_paragraphs([*ids, *(o for i in ids for o in same_text.get(i, ()))])
    documents = await db.get_documents([p.document_id for p in paragraphs.values()])
    shown = [(s, paragraphs[s.paragraph_id]) for s in page if s.paragraph_id in paragraphs]

    def all_spans() -> list[tuple[tuple[int, int], ...]]:
        return [hit_spans(s, parsed.words, decision.weights, p.text) for s, p in shown]

    spans = await asyncio.get_running_loop().run_in_executor(executor, all_spans)
    hits: list[Hit] = []
    for (s, paragraph), marked in zip(shown, spans, strict=True):
        document = documents.get(paragraph.document_id)
        if document is None:
            continue
        elsewhere = [paragraphs.get(o) for o in same_text.get(s.paragraph_id, ())]
        also = dict.fromkeys(p.document_id for p in elsewhere if p and p.document_id != document.id)
        also_in = tuple(documents[d] for d in also if d in documents)
        hits.append(Hit(paragraph, document, s.score, s.confidence, marked, also_in))
    return hits
