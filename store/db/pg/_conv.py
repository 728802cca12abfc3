"""Values across the PostgreSQL boundary (private to :mod:`store.db.pg`): text it can
hold, times as the SQLite side spells them, errors in the store's terms."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import asyncpg

from store.db.app_state import StateUnavailable
from store.text.clean import scrub_surrogates

# What a lost or refusing server raises: the store's callers see StateUnavailable.
CONNECTION_ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError)


def pg_text(text: str) -> str:
    """``text`` as PostgreSQL can hold it: lone surrogates and NUL characters (which a
    ``text`` value cannot contain) become U+FFFD."""
    return scrub_surrogates(text).replace("\x00", "\ufffd")


def opt_text(text: str | None) -> str | None:
    """:func:`pg_text` of an optional value."""
    return None if text is None else pg_text(text)


def iso(moment: datetime | None) -> str | None:
    """A timestamp as the SQLite side stores it: ISO 8601 UTC to the second."""
    return None if moment is None else moment.astimezone(UTC).isoformat(timespec="seconds")


@asynccontextmanager
async def unavailable_as_error(what: str) -> AsyncIterator[None]:
    """Raise :class:`StateUnavailable` (saying ``what`` failed) for a connection or
    server error, so that a write the bot can do without is skipped, not fatal."""
    try:
        yield
    except CONNECTION_ERRORS as exc:
        raise StateUnavailable(f"{what}: {type(exc).__name__}: {exc}") from exc
