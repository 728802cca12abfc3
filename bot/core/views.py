"""The values the service layer hands to renderers: cards, pages, and short answers.

Plain data, no Telegram and no SQL: :mod:`bot.core.service` builds them, the renderers
(chat and inline) import them from here and the terminal chat shows what they render.
The fixed answers (:data:`STALE`, :data:`EMPTY_QUERY`, ...) and the tips for a search that
found nothing (:func:`no_match_tips`) are here too, written once for every surface.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from store.models import Confidence, DocumentMeta, Paragraph


@dataclass(frozen=True, slots=True)
class Card:
    """One paragraph to show, with everything the result card needs.

    ``anchor_id`` is the paragraph the search matched (``paragraph`` may be a neighbour
    reached with ◀ ▶); ``query_id`` is 0 when the card does not come from a search
    (random paragraph, deep link).  ``has_more`` says whether hit ``rank + 1`` may exist.
    ``prev_id`` / ``next_id`` are the neighbouring paragraphs' ids, ``None`` at the ends.
    ``also_in`` lists the other documents where the very same paragraph text is stored
    (the search gives one answer per text).  ``suggested``: the search found no answer and
    this is one of the closest passages, to be shown as "not sure", never as the answer.
    ``filters``: the filters the search applied, described for the citation line
    (``from 2012 · in kcna``; empty when none).
    """

    paragraph: Paragraph
    document: DocumentMeta
    epoch: str
    spans: tuple[tuple[int, int], ...] = ()
    confidence: Confidence | None = None
    query: str | None = None
    query_id: int = 0
    rank: int = 0
    anchor_id: int = 0
    has_more: bool = False
    notice: str | None = None
    prev_id: int | None = None
    next_id: int | None = None
    also_in: tuple[DocumentMeta, ...] = ()  # other documents holding the same text
    suggested: bool = False  # not an answer: one of the closest passages, offered as such
    filters: str = ""  # the filters applied (store.search.filters.describe), if any

    @property
    def is_anchor(self) -> bool:
        """Whether the paragraph shown is the one the search matched."""
        return self.paragraph.id == self.anchor_id


@dataclass(frozen=True, slots=True)
class CardPage:
    """A page of search hits as cards; ``next_offset`` is ``None`` on the last page.

    ``suggestions`` (first page only, and only when ``cards`` is empty): the closest
    passages, as suggested cards, when nothing is an answer.
    """

    query: str
    query_id: int
    cards: list[Card]
    offset: int
    next_offset: int | None
    notice: str | None = None
    suggestions: list[Card] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class NotSure:
    """A search found no answer, but one to three passages come close: offered as
    suggestions (cards with ``suggested`` set), never as the answer.

    ``query_id`` is 0 when the query could not be stored (the suggestions' cards then
    have no buttons that need it)."""

    query: str
    query_id: int
    suggestions: tuple[Card, ...]
    notice: str | None = None


@dataclass(frozen=True, slots=True)
class NoMatch:
    """A search found nothing; ``suggestions`` are things to try (plain text)."""

    query: str
    suggestions: tuple[str, ...]
    notice: str | None = None


@dataclass(frozen=True, slots=True)
class Problem:
    """The request itself cannot be served (empty query, unusable input)."""

    message: str


@dataclass(frozen=True, slots=True)
class Gone:
    """What a button or link pointed at no longer exists (or belongs to another database)."""

    message: str


@dataclass(frozen=True, slots=True)
class SourcesView:
    """One page of /sources: the collections, the speakers and the documents, listed one
    after the other and paged together (a page holds the part of each list that falls on
    it).  ``total`` counts documents; ``collections`` are ``collection_stats()`` rows
    (``collection``, ``documents``, ``paragraphs``), ``speakers`` (name, documents) pairs."""

    documents: list[DocumentMeta]
    page: int
    pages: int
    total: int
    epoch: str
    collections: list[dict[str, Any]] = field(default_factory=list)
    speakers: list[tuple[str, int]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class QuotePicture:
    """What a quote picture shows (:func:`bot.core.picture.render_quote` draws it): the
    paragraph with its matched ``spans``, the ``citation`` and ``footer`` lines drawn
    under it, and ``key``, its name in a cache of uploaded pictures
    (:func:`bot.core.picture.picture_key`)."""

    paragraph: Paragraph
    document: DocumentMeta
    spans: tuple[tuple[int, int], ...]
    citation: str
    footer: str
    key: str


@dataclass(frozen=True, slots=True)
class StatsView:
    """Counts for /stats."""

    documents: int
    paragraphs: int
    collections: list[dict[str, Any]] = field(default_factory=list)


SearchOutcome = Card | NotSure | NoMatch | Problem

STALE = Gone("This button is older than the current database. Please search again.")
PARAGRAPH_GONE = Gone("That passage is no longer in the database. Please search again.")
QUERY_GONE = Gone("I no longer know that search. Please search again.")
NO_MORE = Gone("No more matches for that search.")
EMPTY_QUERY = Problem(
    "Tell me what you remember, e.g. /q words you remember. "
    "You can also reply /q to a message to find where its quote comes from."
)

TIP_FEWER_WORDS = "Try fewer words: the few you are surest of."
TIP_ADD_WORDS = "Add a word or two you remember from the same sentence."
TIP_NO_PUNCTUATION = "Leave out punctuation and quote marks."
TIP_SOURCES = "Use /sources to see which speeches I know."
TIP_FILTERS = "Try without the filters ({}): they may leave the passage out."
INLINE_NO_MATCH_TIPS = (TIP_FEWER_WORDS, TIP_NO_PUNCTUATION)  # the ones that fit any query


def no_match_tips(query: str, filters: str = "") -> tuple[str, ...]:
    """What to try when nothing matches ``query`` (in a chat; its words, without the
    filters): without the ``filters`` (described) when some were applied; fewer words;
    more words when there are only one or two; no punctuation when it has some; /sources.

    Inline mode's result list has room for the tips that fit any query:
    :data:`INLINE_NO_MATCH_TIPS`.
    """
    tips = [TIP_FILTERS.format(filters)] if filters else []
    tips.append(TIP_FEWER_WORDS)
    if len(query.split()) < 3:
        tips.append(TIP_ADD_WORDS)
    if any(not c.isalnum() and not c.isspace() for c in query):
        tips.append(TIP_NO_PUNCTUATION)
    tips.append(TIP_SOURCES)
    return tuple(tips)
