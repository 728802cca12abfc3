"""Helpers shared by the modules of :mod:`store.db` (private to the package).

:class:`Base` is the state every part of :class:`~store.db.database.Database` works
on; :func:`_now` and :func:`_instant` give times as stored; :func:`_select_in` runs
``… IN (…)`` lookups in chunks, :func:`_count` reads one number and :func:`_filter_sql`
turns search filters into a condition on ``documents``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite

from store.text.clean import scrub_surrogates


class Base:
    """What every part of :class:`~store.db.database.Database` works on (set by
    ``Database.__init__``)."""

    conn: aiosqlite.Connection
    path: Path
    search_vocab_stale: bool  # see Database.__init__
    read_only: bool  # see Database.__init__


def read_only_uri(path: Path | str) -> str:
    """The SQLite URI that opens the file at ``path`` read-only (``uri=True``): a real
    ``file:`` URI, so a ``#`` or ``?`` in the path stays part of the name (in
    ``f"file:{path}"`` it would end it, and SQLite would open — create — another file)."""
    return f"{Path(path).resolve().as_uri()}?mode=ro"


def _now(timespec: str = "seconds") -> str:
    """The time now as stored in the database: UTC, ISO 8601, to the second (or to the
    ``timespec`` given)."""
    return datetime.now(UTC).isoformat(timespec=timespec)


def _instant(moment: datetime) -> str:
    """A moment as stored for claims: UTC, microseconds, so that text order is time order."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


_IN_CHUNK = 500  # values per "IN (...)" list (SQLite caps a statement's parameters)


async def _select_in(
    conn: aiosqlite.Connection, sql: str, values: Sequence[Any], *leading: Any
) -> list[Any]:
    """The rows of ``sql + " IN (?, ?, …)"`` over the distinct ``values`` (in chunks),
    with the ``leading`` parameters before them; none for no values."""
    unique = tuple(dict.fromkeys(values))
    rows: list[Any] = []
    for start in range(0, len(unique), _IN_CHUNK):
        chunk = unique[start : start + _IN_CHUNK]
        marks = ",".join("?" * len(chunk))
        async with conn.execute(f"{sql} IN ({marks})", (*leading, *chunk)) as cur:
            rows += await cur.fetchall()
    return rows


async def _count(conn: aiosqlite.Connection, sql: str, params: Sequence[Any] = ()) -> int:
    """The integer in the first column of ``sql``'s first row (0 for no row or NULL)."""
    async with conn.execute(sql, tuple(params)) as cur:
        row = await cur.fetchone()
    return int(row[0] or 0) if row else 0


def _filter_sql(filters: dict[str, str | int | None]) -> tuple[str, list[str | int]]:
    """SQL condition (on ``d`` = documents) and arguments for search filters.

    Keys: ``collection``, ``document_id``, ``speaker`` (case-insensitive substring),
    ``language``, ``date_from`` / ``date_to`` (ISO dates, partial allowed, inclusive:
    ``date_to="2024-03"`` keeps all of March), ``after_paragraph_id`` (on ``p`` =
    paragraphs: only those stored after it).  Unknown keys are a programming error.
    Lone surrogates in text values become U+FFFD (they match nothing; binding them raises);
    a ``document_id`` no SQLite integer can hold matches nothing (binding it raises).
    """
    clauses: list[str] = []
    args: list[str | int] = []
    for key, value in filters.items():
        if value is None or value == "":
            continue
        if isinstance(value, str):
            value = scrub_surrogates(value)
        if key == "collection":
            clauses.append("d.collection = ?")
        elif key == "document_id":
            if not isinstance(value, int) or not -(2**63) <= value < 2**63:
                clauses.append("0")  # no document has such an id
                continue
            clauses.append("d.id = ?")
        elif key == "after_paragraph_id":
            if not isinstance(value, int) or not -(2**63) <= value < 2**63:
                clauses.append("0")
                continue
            clauses.append("p.id > ?")
        elif key == "speaker":
            clauses.append("instr(lower(d.speaker), lower(?)) > 0")
        elif key == "language":
            clauses.append("lower(d.language) = lower(?)")
        elif key == "date_from":
            clauses.append("d.date GLOB '[0-9]*' AND substr(d.date, 1, length(?)) >= ?")
            args.append(value)
        elif key == "date_to":
            clauses.append("d.date GLOB '[0-9]*' AND substr(d.date, 1, length(?)) <= ?")
            args.append(value)
        else:
            raise ValueError(f"unknown search filter: {key}")
        args.append(value)
    return " AND ".join(clauses), args
