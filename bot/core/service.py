"""The service layer between Telegram handlers and the store.

Handlers (chat commands, inline mode, the terminal ``verbatim chat``) call these
methods and get plain values back (the :mod:`bot.core.views` types :class:`Card`,
:class:`NotSure`, :class:`NoMatch`, :class:`Problem`, :class:`Gone`, ...), which renderers
import from there; :mod:`bot.telegram.render` turns them into Telegram HTML.  Nothing here
knows about Telegram updates, so the same behaviour is shared by every surface.

Answers come in tiers: a card when the search has an answer; when it has none but some
passages come close, :class:`NotSure` with one to three of them as suggested cards (never
as the answer); otherwise :class:`NoMatch` with tips.  Filters typed among the words
(``from:2012 in:kcna``) are split off by :mod:`bot.core.filtering` and applied; a card
names them.  :meth:`VerbatimService.picture` says what a quote picture shows.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging

from bot.core.browsing import Browsing
from bot.core.citation import parse_deep_link, parse_picture_link
from bot.core.filtering import FilteredQuery, split_query, words_of
from bot.core.picture import picture_citation, picture_footer, picture_key
from bot.core.queries import WRITE_ERRORS, QueryMemory
from bot.core.views import (
    EMPTY_QUERY,
    NO_MORE,
    PARAGRAPH_GONE,
    QUERY_GONE,
    Card,
    CardPage,
    Gone,
    NoMatch,
    NotSure,
    Problem,
    QuotePicture,
    SearchOutcome,
    no_match_tips,
)
from store import (
    Database,
    DocumentMeta,
    Hit,
    Paragraph,
    QuoteSearch,
    Searcher,
    match_spans,
    parse_query,
)
from store.search.query import MAX_QUERY_CHARS
from store.state import QueryState

MAX_SUGGESTIONS = 3  # "not sure": at most this many of the closest passages are offered

log = logging.getLogger(__name__)


def normalize_query(text: str) -> tuple[str, str | None]:
    """Collapse whitespace and cap the length; returns ``(query, notice or None)``.

    The cap is the search's own (:data:`store.query.MAX_QUERY_CHARS`), so the search never
    cuts a query the bot passes it: the bot's notice is the only one users see.
    """
    query = " ".join(text.split())
    if len(query) <= MAX_QUERY_CHARS:
        return query, None
    cut = query[:MAX_QUERY_CHARS]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut, f"Your text was long, so I searched its first {len(cut)} characters."


def quote_picture(
    paragraph: Paragraph,
    document: DocumentMeta,
    spans: tuple[tuple[int, int], ...],
    bot_username: str | None,
) -> QuotePicture:
    """What the quote picture of a paragraph shows (its citation, the footer naming the
    bot) and its cache key."""
    citation = picture_citation(document, paragraph.position)
    footer = picture_footer(bot_username)
    key = picture_key(paragraph.text, spans, citation, footer)
    return QuotePicture(paragraph, document, spans, citation, footer, key)


def _join(*notices: str | None) -> str | None:
    return " ".join(n for n in notices if n) or None


def highlight_spans(text: str, query: str) -> tuple[tuple[int, int], ...]:
    """Spans of the words of ``text`` that match ``query``, as the search marks them.

    Used when a card returns to the matched paragraph after ◀ ▶ navigation, where the
    search's own spans are no longer at hand; the same scoring code finds the same words.
    Filters in ``query`` (``in:kcna``) are not words of the passage: they are left out.
    """
    words = parse_query(words_of(query)).words
    return match_spans(words, text) if words else ()


class VerbatimService(Browsing):
    """Search, context navigation, other matches, random, quote pictures, and (from
    :class:`~bot.core.browsing.Browsing`) sources, stats and examples over one corpus
    database; the queries that buttons refer to and the inline choices are kept in the
    shared ``state`` (by default the corpus database's own file)."""

    def __init__(
        self, db: Database, searcher: QuoteSearch, epoch: str, state: QueryState | None = None
    ) -> None:
        self.db = db
        self.searcher = searcher
        self.epoch = epoch
        self.state: QueryState = db if state is None else state
        self.queries = QueryMemory(self.state)

    @classmethod
    async def create(
        cls, db: Database, searcher: QuoteSearch | None = None, state: QueryState | None = None
    ) -> VerbatimService:
        """Build the service for an open database (reads the state's epoch).

        ``searcher`` defaults to one :class:`Searcher` on ``db``; the bot passes a
        :class:`~store.search_pool.SearcherPool` so that searches run side by side.
        ``state`` defaults to ``db`` (see :mod:`store.state`).
        """
        epoch = await (db if state is None else state).bot_epoch()
        return cls(db, searcher or Searcher(db), epoch, state)

    # ------------------------------------------------------------------ search

    async def search(self, text: str) -> SearchOutcome:
        """The best match for what the user remembers; when nothing is an answer, the
        closest passages as suggestions (:class:`NotSure`); else why there is none."""
        prepared = await self._prepare(text, store=True)
        if isinstance(prepared, Problem):
            return prepared
        query, notice, split, query_id = prepared
        result = await self.searcher.search(split.words, limit=2, filters=split.filters)
        if result.error:
            return Problem(result.error)
        notices = _join(notice, result.notice)
        if result.hits:
            more = len(result.hits) > 1
            cards = await self._cards(query, split, query_id, 0, result.hits[:1], more)
            return dataclasses.replace(cards[0], notice=notices)
        if result.suggestions:
            offered = result.suggestions[:MAX_SUGGESTIONS]
            cards = await self._cards(query, split, query_id, 0, offered, False, suggested=True)
            return NotSure(query, query_id, tuple(cards), notices)
        return NoMatch(query, no_match_tips(split.words, split.described), notice)

    async def match(self, query_id: int, rank: int) -> Card | Problem | Gone:
        """Hit number ``rank`` of a stored query (for "other matches"); when the query
        has no answers, suggestion number ``rank`` (a card marked ``suggested``)."""
        query = await self.queries.text(query_id)
        if query is None:
            return QUERY_GONE
        return await self._ranked(query, query_id, rank)

    async def _ranked(self, query: str, query_id: int, rank: int) -> Card | Problem | Gone:
        split = await split_query(self.db, query)  # stored with its filters: the same search
        if isinstance(split, Problem):
            return split
        # One search: hits ``rank`` and ``rank + 1`` are the card and whether there is
        # another.  Suggestions come only with the first page (offset 0), and there are at
        # most MAX_SUGGESTIONS: a rank below that is searched from the top (a few hits
        # more), a deeper one from its own offset (only answers go that deep).
        start = 0 if rank < MAX_SUGGESTIONS else rank
        result = await self.searcher.search(
            split.words, limit=rank + 2 - start, offset=start, filters=split.filters
        )
        if result.error:
            return Problem(result.error)
        if result.hits:
            hits = result.hits[rank - start : rank - start + 2]
            if not hits:
                return NO_MORE
            more = len(hits) > 1
            return (await self._cards(query, split, query_id, rank, hits[:1], more))[0]
        offered = result.suggestions[:MAX_SUGGESTIONS]
        if rank >= len(offered):
            return NO_MORE
        more = rank + 1 < len(offered)
        hit = offered[rank : rank + 1]
        return (await self._cards(query, split, query_id, rank, hit, more, suggested=True))[0]

    async def search_page(
        self, text: str, *, offset: int = 0, limit: int = 10
    ) -> CardPage | Problem:
        """Hits ``offset .. offset+limit-1`` of a search as cards (for inline mode's paging);
        a first page without answers carries the suggestions, if any.  Nothing is written:
        inline queries come one per keystroke (see :mod:`bot.core.queries`)."""
        prepared = await self._prepare(text, store=False)
        if isinstance(prepared, Problem):
            return prepared
        query, notice, split, query_id = prepared
        result = await self.searcher.search(
            split.words, limit=limit + 1, offset=offset, filters=split.filters
        )
        if result.error:
            return Problem(result.error)
        more = len(result.hits) > limit
        cards = await self._cards(query, split, query_id, offset, result.hits[:limit], more)
        suggestions: list[Card] = []
        if not cards and result.suggestions:
            offered = result.suggestions[:MAX_SUGGESTIONS]
            suggestions = await self._cards(
                query, split, query_id, 0, offered, False, suggested=True
            )
        return CardPage(
            query=query,
            query_id=query_id,
            cards=cards,
            offset=offset,
            next_offset=offset + limit if more else None,
            notice=_join(notice, result.notice),
            suggestions=suggestions,
        )

    async def _prepare(
        self, text: str, *, store: bool
    ) -> tuple[str, str | None, FilteredQuery, int] | Problem:
        """What a search starts from: the query (whitespace folded, capped) with its
        notice, its filters split off, and its id (stored now if ``store``, else only
        derived); or why there is nothing to search."""
        query, notice = normalize_query(text)
        if not query:
            return EMPTY_QUERY
        split = await split_query(self.db, query)
        if isinstance(split, Problem):
            return split
        # stored for the card's buttons to refer to (id 0 when the state cannot be
        # written: see :meth:`bot.core.queries.QueryMemory.remember`)
        query_id = await (self.queries.remember if store else self.queries.query_id)(query)
        return query, notice, split, query_id

    async def _cards(
        self,
        query: str,
        split: FilteredQuery,
        query_id: int,
        first_rank: int,
        hits: list[Hit],
        more: bool,
        *,
        suggested: bool = False,
    ) -> list[Card]:
        neighbours = await self.db.neighbour_ids([h.paragraph.id for h in hits])
        return [
            Card(
                paragraph=hit.paragraph,
                document=hit.document,
                epoch=self.epoch,
                prev_id=neighbours.get(hit.paragraph.id, (None, None))[0],
                next_id=neighbours.get(hit.paragraph.id, (None, None))[1],
                spans=hit.spans,
                confidence=hit.confidence,
                query=query,
                query_id=query_id,
                rank=first_rank + n,
                anchor_id=hit.paragraph.id,
                has_more=more or n < len(hits) - 1,
                also_in=hit.also_in,
                suggested=suggested,
                filters=split.described,
            )
            for n, hit in enumerate(hits)
        ]

    # ------------------------------------------------------------------ paragraphs

    async def paragraph(
        self, paragraph_id: int, *, anchor_id: int = 0, query_id: int = 0, rank: int = 0
    ) -> Card | Gone:
        """A paragraph as a card (context navigation, deep links), or why it is gone.

        When it is the matched paragraph of a stored query (back to the match, or a
        suggestion opened from "not sure"), it is shown as the search found it — its
        confidence, or marked as a suggestion — if the search still ranks it ``rank``;
        else with the query's words highlighted again.
        """
        paragraph = await self.db.get_paragraph(paragraph_id)
        if paragraph is None:
            return PARAGRAPH_GONE
        document = await self.db.get_document(paragraph.document_id)
        if document is None:
            return PARAGRAPH_GONE
        query = await self.queries.text(query_id)
        spans: tuple[tuple[int, int], ...] = ()
        if query and paragraph.id == anchor_id:
            found = await self._ranked(query, query_id, rank)
            if isinstance(found, Card) and found.paragraph.id == paragraph.id:
                return found
            spans = highlight_spans(paragraph.text, query)
        prev_id, next_id = (await self.db.neighbour_ids([paragraph.id])).get(
            paragraph.id, (None, None)
        )
        return Card(
            paragraph=paragraph,
            document=document,
            epoch=self.epoch,
            prev_id=prev_id,
            next_id=next_id,
            spans=spans,
            query=query,
            query_id=query_id if query else 0,
            rank=rank,
            anchor_id=anchor_id or paragraph.id,
            has_more=query is not None,
        )

    async def deep_link(self, payload: str) -> Card | Gone | None:
        """Open a ``p_<id>`` start parameter; ``None`` if the payload is not a deep link."""
        paragraph_id = parse_deep_link(payload)
        if paragraph_id is None:
            return None
        return await self.paragraph(paragraph_id)

    async def picture(
        self, paragraph_id: int, query_id: int, bot_username: str | None
    ) -> QuotePicture | Gone:
        """What the quote picture of a paragraph shows: with the words of the stored query
        ``query_id`` (0: none) marked as its card marks them, which picks the stretch of a
        long paragraph; ``bot_username`` is named in the footer."""
        paragraph = await self.db.get_paragraph(paragraph_id)
        document = await self.db.get_document(paragraph.document_id) if paragraph else None
        if paragraph is None or document is None:
            return PARAGRAPH_GONE
        query = await self.queries.text(query_id)
        spans = highlight_spans(paragraph.text, query) if query else ()
        return quote_picture(paragraph, document, spans, bot_username)

    async def picture_link(
        self, payload: str, bot_username: str | None
    ) -> QuotePicture | Gone | None:
        """Open an ``i_<id>[_<query>]`` start parameter (a picture asked for in inline
        mode, before the bot could write to the user); ``None`` if it is not one."""
        found = parse_picture_link(payload)
        if found is None:
            return None
        return await self.picture(*found, bot_username)

    async def random(self) -> Card | None:
        """A random paragraph of some substance, or ``None`` when the database is empty."""
        paragraph = await self.db.random_paragraph()
        if paragraph is None:
            return None
        card = await self.paragraph(paragraph.id)
        return card if isinstance(card, Card) else None

    async def popular(self, offset: int, limit: int) -> tuple[list[Card], bool]:
        """Passages for an empty inline query — the most chosen first, then openings of
        recent speeches — and whether more follow."""
        wanted = offset + limit + 1
        ids = await self.state.most_chosen(wanted)
        if len(ids) < wanted:
            seen = set(ids)
            openings = await self.db.document_openings(wanted + len(ids))
            ids += [pid for pid in openings if pid not in seen]
        ids = ids[offset:wanted]
        found = await asyncio.gather(*(self.paragraph(pid) for pid in ids[:limit]))
        return [card for card in found if isinstance(card, Card)], len(ids) > limit

    async def record_choice(self, paragraph_id: int, query: str = "") -> bool:
        """A passage chosen in inline mode for ``query``: count it (the counts order the
        empty-query list) and store the query its card's buttons refer to; False when the
        paragraph is gone."""
        if await self.db.get_paragraph(paragraph_id) is None:
            return False
        try:
            counted = await self.state.record_inline_choice(paragraph_id)
        except WRITE_ERRORS as exc:  # e.g. a replica's read-only snapshot as its state
            log.debug("could not count an inline choice: %s", exc)
            counted = True
        query, _ = normalize_query(query)
        if query:
            await self.queries.chosen(query)
        return counted
