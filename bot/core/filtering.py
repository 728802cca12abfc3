"""Filters typed into a query, as the bot applies them: split off the words, checked,
``in:`` matched against the collections the database holds, described for the card.

The syntax is :mod:`store.search.filters` (``from:2012 to:2013-06 by:NAME in:NAME``).
:class:`~bot.core.service.VerbatimService` calls :func:`split_query` on every query it
searches (``/q``, plain messages, inline queries, ``/post``, "other matches"): the query
stored for a card's buttons keeps its filters, so splitting it again gives the same
search.  A malformed filter is never searched as words nor dropped silently: it becomes
a :class:`~bot.core.views.Problem` saying what is wrong, with the syntax
(:data:`~store.search.filters.FILTER_HELP`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.views import Problem
from store import Database, SearchFilters
from store.search.filters import FILTER_HELP, describe, resolve_collection, split_filters

NO_WORDS = "Filters only narrow a search down: add the words you remember."


@dataclass(frozen=True, slots=True)
class FilteredQuery:
    """A query split in two: the ``words`` to search (phrases and -words included) and
    the ``filters`` to apply, with ``described`` for the card (empty for no filter)."""

    words: str
    filters: SearchFilters
    described: str = ""


def filter_problem(problems: Sequence[str]) -> Problem:
    """What is wrong with the filters of a query, followed by the syntax."""
    if len(problems) == 1:
        head = f"That filter does not work: {problems[0]}."
    else:
        head = "Those filters do not work:\n" + "\n".join(f"• {p}" for p in problems)
    return Problem(f"{head}\n{FILTER_HELP}")


def words_of(query: str) -> str:
    """``query`` without its filters (for highlighting the words it matched)."""
    return split_filters(query).text


async def split_query(db: Database, query: str) -> FilteredQuery | Problem:
    """Split the filters off ``query`` and check them; ``in:`` takes a collection of
    ``db`` (its exact name, or a start that fits only one).  A query of filters only is a
    problem too: there would be nothing to search for."""
    parsed = split_filters(query)
    if not parsed.tokens:
        return FilteredQuery(query, SearchFilters())
    if parsed.problems:
        return filter_problem(parsed.problems)
    filters = parsed.filters
    if filters.collection is not None:
        name, problem = resolve_collection(filters.collection, await db.collection_names())
        if problem is not None:
            return filter_problem((problem,))
        filters = dataclasses.replace(filters, collection=name)
    if not parsed.text.strip():
        return Problem(f"{NO_WORDS}\n{FILTER_HELP}")
    return FilteredQuery(parsed.text, filters, describe(filters))
