"""Filters typed into a query: ``from:2012``, ``to:2013-06``, ``by:NAME``, ``in:COLLECTION``.

People narrow a search down without leaving the chat by typing filters among the words
of the quotation, anywhere and in any order::

    from:2012 to:2013-06 by:"Kim Jong Un" in:kcna "servant of the people" -army

:func:`split_filters` takes the filters out and leaves everything else for
:func:`~store.search.query.parse_query`.  Pure: no database.  The rules:

- Only the four keys ``from``, ``to``, ``by``, ``in`` are filters (any letter case, so a
  phone's capital ``From:`` still counts); any other ``word:`` ("Note: this", "10:30")
  is text.  A filter starts a word: ``xby:Kim`` is text.
- The value runs to the next space; ``by:"Kim Jong Un"`` (straight or curly quotes)
  takes a value with spaces.  Trailing ``, . ; ! ?`` are punctuation, not value.
- Inside a quoted phrase nothing is a filter: ``"from:2012 on"`` is a phrase.
- ``from:`` / ``to:`` take ISO dates, partial allowed: ``2012``, ``2012-06``,
  ``2012-06-30`` (inclusive: ``to:2013-06`` keeps all of June).
- ``in:`` keeps the raw value: the caller matches it against the known collection names
  (:func:`resolve_collection`); ``by:`` matches any speaker whose name contains it.
- A malformed filter (``from:20x2``), an empty one (``by:``), a negated one
  (``-by:Kim``), a repeated one, or ``to:`` before ``from:`` is taken out of the text and
  explained in ``problems``: show those instead of searching, never a silent empty result.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, fields

from store.models import PartialDate
from store.search.engine import SearchFilters

KEYS = ("from", "to", "by", "in")
MAX_VALUE_CHARS = 100
FILTER_HELP = (
    "Filters: from:2012 to:2013-06 (dates: 2012, 2012-06 or 2012-06-30), "
    'by:NAME or by:"Full Name" (speaker), in:COLLECTION.'
)
DATE_PROBLEM = "{key}: takes a date like 2012, 2012-06 or 2012-06-30"

_QUOTES = frozenset('"“”„')
_KEY = re.compile(rf"(-?)({'|'.join(KEYS)}):", re.IGNORECASE | re.ASCII)
_DATE = re.compile(r"([0-9]{4})(?:-([0-9]{1,2})(?:-([0-9]{1,2}))?)?", re.ASCII)
_TRAILING = ",.;!?"
_FIELD = {"from": "date_from", "to": "date_to", "by": "speaker", "in": "collection"}
_EMPTY = {
    "by": (
        "by: needs a speaker's name as /sources lists them, "
        'like by:Kennedy or by:"John F. Kennedy"'
    ),
    "in": "in: needs a collection name, like in:kcna",
}


@dataclass(frozen=True, slots=True)
class FilterToken:
    """One filter as typed: ``text[start:end]`` of the query, key in lower case."""

    start: int
    end: int
    key: str
    value: str  # quotes and trailing punctuation removed, spaces trimmed
    negated: bool = False


@dataclass(frozen=True, slots=True)
class FilterParse:
    """A query with its filters taken out.

    ``text``: the query without the filter tokens (unchanged when there are none);
    ``filters``: the values of the well-formed filters; ``problems``: one short
    sentence per malformed, empty, negated or repeated filter or impossible date range;
    ``tokens``: every filter token found, in order.
    """

    text: str
    filters: SearchFilters
    problems: tuple[str, ...] = ()
    tokens: tuple[FilterToken, ...] = ()

    @property
    def applied(self) -> bool:
        """Whether any filter narrows the search."""
        return any(getattr(self.filters, f.name) is not None for f in fields(self.filters))


def split_filters(text: str) -> FilterParse:
    """Take ``from:``, ``to:``, ``by:`` and ``in:`` filters out of a query.

    Never raises.  Everything that is not a filter token stays in ``text`` as typed;
    the whitespace where a token was cut out becomes one space.
    """
    tokens = _find_tokens(text)
    if not tokens:
        return FilterParse(text, SearchFilters())
    values: dict[str, str] = {}
    problems: list[str] = []
    seen: set[str] = set()
    for token in tokens:
        problem = _check(token, seen)
        if not token.negated:
            seen.add(token.key)
        if problem:
            problems.append(problem)
        else:
            values[_FIELD[token.key]] = _normal_value(token)
    date_from, date_to = values.get("date_from"), values.get("date_to")
    if date_from and date_to and date_from[: len(date_to)] > date_to:
        problems.append(f"to:{date_to} is earlier than from:{date_from}")
    pieces = [text[a:b] for a, b in _gaps(tokens, len(text))]
    remaining = " ".join(p.strip() for p in pieces if p.strip())
    filters = SearchFilters(
        collection=values.get("collection"),
        speaker=values.get("speaker"),
        date_from=date_from,
        date_to=date_to,
    )
    return FilterParse(remaining, filters, tuple(problems), tuple(tokens))


def describe(filters: SearchFilters) -> str:
    """Short text of the filters applied, for the citation line of a card:
    ``from 2012 · to June 2013 · by Kim · in kcna`` (empty for no filter)."""
    parts: list[str] = []
    if filters.date_from:
        parts.append(f"from {_display_date(filters.date_from)}")
    if filters.date_to:
        parts.append(f"to {_display_date(filters.date_to)}")
    if filters.speaker:
        parts.append(f"by {filters.speaker}")
    if filters.collection:
        parts.append(f"in {filters.collection}")
    if filters.document_id is not None:
        parts.append(f"document {filters.document_id}")
    if filters.language:
        parts.append(f"language {filters.language}")
    return " · ".join(parts)


def resolve_collection(value: str, names: Iterable[str]) -> tuple[str | None, str | None]:
    """Match an ``in:`` value against the known collection names: ``(name, None)`` for
    an exact (case-insensitive) match or the only name it starts, else ``(None, problem)``.
    """
    known = sorted(set(names))
    wanted = value.casefold()
    exact = [n for n in known if n.casefold() == wanted]
    if exact:
        return exact[0], None
    prefixed = [n for n in known if n.casefold().startswith(wanted)]
    if len(prefixed) == 1:
        return prefixed[0], None
    if prefixed:
        return None, f"in:{value} could be {_listing(prefixed)}: type more of the name"
    if not known:
        return None, f"in:{value}: there are no collections yet"
    return None, f"in:{value}: no such collection; there are {_listing(known)}"


def _listing(names: list[str], most: int = 8) -> str:
    shown = ", ".join(names[:most])
    return f"{shown} and {len(names) - most} more" if len(names) > most else shown


def _quote_pairs(text: str) -> dict[int, int]:
    """Opening quote index -> closing quote index, pairing quote characters in order;
    an unpaired last quote is just a character (as in ``parse_query``)."""
    marks = [i for i, ch in enumerate(text) if ch in _QUOTES]
    return {marks[k]: marks[k + 1] for k in range(0, len(marks) - 1, 2)}


def _find_tokens(text: str) -> list[FilterToken]:
    pairs = _quote_pairs(text)
    tokens: list[FilterToken] = []
    i, n = 0, len(text)
    while i < n:
        if i in pairs:  # a quoted phrase: never filters
            i = pairs[i] + 1
            continue
        if text[i].isspace() or (i > 0 and not text[i - 1].isspace()):
            i += 1
            continue
        m = _KEY.match(text, i)
        if m is None:
            i += 1
            continue
        start = m.end()
        if start in pairs:  # by:"Kim Jong Un"
            end = pairs[start] + 1
            value = text[start + 1 : end - 1].strip()
        else:
            end = start
            while end < n and not text[end].isspace() and end not in pairs:
                end += 1
            value = text[start:end].strip("".join(_QUOTES)).rstrip(_TRAILING)
        tokens.append(FilterToken(i, end, m[2].lower(), value.strip(), bool(m[1])))
        i = end
    return tokens


def _gaps(tokens: list[FilterToken], length: int) -> list[tuple[int, int]]:
    out, pos = [], 0
    for token in tokens:
        out.append((pos, token.start))
        pos = token.end
    out.append((pos, length))
    return out


def _check(token: FilterToken, seen: set[str]) -> str | None:
    """What is wrong with one filter token, or ``None``."""
    key = token.key
    if token.negated:
        return f"-{key}:{token.value} cannot exclude: a filter only narrows a search down"
    if key in seen:
        return f"{key}: can be given only once"
    if not token.value:
        return _EMPTY.get(key, DATE_PROBLEM.format(key=key))
    if len(token.value) > MAX_VALUE_CHARS:
        return f"{key}: is too long (at most {MAX_VALUE_CHARS} characters)"
    if key in ("from", "to"):
        return _date_problem(key, token.value)
    return None


def _date_parts(value: str) -> tuple[int, int | None, int | None] | None:
    m = _DATE.fullmatch(unicodedata.normalize("NFKC", value))
    if m is None:
        return None
    return int(m[1]), int(m[2]) if m[2] else None, int(m[3]) if m[3] else None


def _date_problem(key: str, value: str) -> str | None:
    parts = _date_parts(value)
    if parts is None:
        return DATE_PROBLEM.format(key=key)
    year, month, day = parts
    if month is not None and not 1 <= month <= 12:
        return f"{key}:{value} is not a date: there is no month {month}"
    if month is not None and day is not None:
        last = calendar.monthrange(year or 4, month)[1]  # year 0: a leap year, like 4
        if not 1 <= day <= last:
            return f"{key}:{value} is not a date: {calendar.month_name[month]} has {last} days"
    return None


def _normal_value(token: FilterToken) -> str:
    """The filter's value as :class:`SearchFilters` takes it (dates as ``YYYY-MM-DD``)."""
    if token.key not in ("from", "to"):
        return token.value
    parts = _date_parts(token.value)
    assert parts is not None  # checked by _date_problem
    return PartialDate(*parts).iso()


def _display_date(value: str) -> str:
    date = PartialDate.parse_iso(value)
    return date.display() if date else value
