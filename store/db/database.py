"""The :class:`Database` facade: one open connection and every operation on it.

Its methods come from the parts, one module per concern: :mod:`~store.db.schema`
(migrations, the connection), :mod:`~store.db.documents` (writing documents, their
metadata), :mod:`~store.db.paragraphs` (reading paragraphs), :mod:`~store.db.index`
(full-text index and search vocabulary) and :mod:`~store.db.app_state` (the bot's
queries, epoch and inline choices).  Posting has a class of its own,
:class:`store.db.posting.PostingStore`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

from store.db.app_state import AppState
from store.db.documents import Documents
from store.db.index import SearchIndex
from store.db.paragraphs import Paragraphs
from store.db.schema import Schema, connect


class Database(Schema, Documents, Paragraphs, SearchIndex, AppState):
    """An open Verbatim database; create it with :func:`open_database`."""

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path
        # True once this connection stored documents that the search vocabulary does not
        # count yet; :meth:`rebuild_search_vocab` (run by ``after_bulk_load``) clears it.
        self.search_vocab_stale = False


@asynccontextmanager
async def open_database(path: Path | str) -> AsyncIterator[Database]:
    """Open (creating if needed) the database at ``path``, migrated to the current schema."""
    path = Path(path)
    async with connect(path) as conn:
        db = Database(conn, path)
        await db.migrate()
        yield db
