"""The :class:`Database` facade: one open connection and every operation on it.

Its methods come from the parts, one module per concern: :mod:`~store.db.schema`
(migrations, the connection), :mod:`~store.db.documents` (writing documents, their
metadata), :mod:`~store.db.paragraphs` (reading paragraphs), :mod:`~store.db.index`
(full-text index and search vocabulary) and :mod:`~store.db.app_state` (the bot's
queries, epoch and inline choices).  Posting has a class of its own,
:class:`store.db.posting.PostingStore`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from store.db.app_state import AppState
from store.db.documents import Documents
from store.db.index import SearchIndex
from store.db.lock import ingest_running
from store.db.paragraphs import Paragraphs
from store.db.schema import Schema, connect

log = logging.getLogger(__name__)


class Database(Schema, Documents, Paragraphs, SearchIndex, AppState):
    """An open Verbatim database; create it with :func:`open_database`."""

    def __init__(self, conn: aiosqlite.Connection, path: Path, *, read_only: bool = False) -> None:
        self.conn = conn
        self.path = path
        self.read_only = read_only  # opened with mode=ro (a corpus snapshot): never written
        # True once this connection stored documents that the search vocabulary does not
        # count yet; :meth:`rebuild_search_vocab` (run by ``after_bulk_load``) clears it.
        self.search_vocab_stale = False

    async def stats(self) -> dict[str, Any]:
        """Counts per collection and overall, the schema version and file size (see
        :meth:`Documents.stats`), and whether the search vocabulary is up to date."""
        out = await Documents.stats(self)
        out["search_vocab_stale_since"] = await self.search_vocab_stale_since()
        out["ingest_running"] = ingest_running(self.path)
        return out

    async def repair_derived_data(self) -> bool:
        """Rebuild the search vocabulary if the database records it as stale (a crash
        between storing documents and the rebuild at the end of an ingest, or a copy
        taken meanwhile) and no ingest is running that will rebuild it; True if it did.
        A database opened read-only is never repaired (it says so in the log)."""
        if await self.search_vocab_stale_since() is None or ingest_running(self.path):
            return False
        if self.read_only:
            log.warning(
                "the search vocabulary of %s is marked stale, and it is opened read-only: "
                "searches may miss words of the newest documents until a snapshot made by "
                "`verbatim publish-snapshot` (which rebuilds it) is published",
                self.path,
            )
            return False
        log.warning(
            "the search vocabulary of %s is marked stale (documents were stored after "
            "its last rebuild): rebuilding it",
            self.path,
        )
        words = await self.rebuild_search_vocab()
        log.warning("search vocabulary rebuilt: %d words", words)
        return True


@asynccontextmanager
async def open_database(
    path: Path | str, *, repair: bool = True, read_only: bool = False
) -> AsyncIterator[Database]:
    """Open (creating if needed) the database at ``path``, migrated to the current schema.

    With ``repair`` (the default), derived data recorded as stale is rebuilt first (see
    :meth:`Database.repair_derived_data`); read-only reports such as ``stats`` pass
    ``False`` and report the state instead.

    ``read_only`` opens an existing file that is never written (a published corpus
    snapshot, :mod:`store.db.snapshot`): it must have this program's schema
    (:meth:`Schema.require_current`), and nothing is migrated or repaired.  Writes (the
    bot's stored queries) raise ``sqlite3.OperationalError`` ("readonly database").
    """
    path = Path(path)
    async with connect(path, read_only=read_only) as conn:
        db = Database(conn, path, read_only=read_only)
        if read_only:
            await db.require_current()
        else:
            await db.migrate()
            if repair:
                await db.repair_derived_data()
        yield db
