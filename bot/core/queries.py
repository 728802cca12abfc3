"""The queries that the cards' buttons refer to by id ("other matches", back to the match,
the picture's marked words), kept in the shared state.

A query's id is derived from its text (:func:`store.state.query_id_for`, keyed by a
secret of the shared state), so the same text has the same id in every process.  That
keeps writes off the inline hot path: an inline query — one per keystroke — gets its id
without any write (:meth:`QueryMemory.query_id`); the text is stored when a result is
chosen (:meth:`QueryMemory.chosen`, from Telegram's ``chosen_inline_result``, in whichever
replica receives it), or, failing that, when a button needs it and this process still
remembers the text (:meth:`QueryMemory.text`).  A chat search stores its query at once
(:meth:`QueryMemory.remember`): one small write per message, not per keystroke.

A state that cannot be written (a read-only file, a full disk, a server gone) must not
cost the answer: the card is sent without the buttons that need a stored query, and the
failure is logged once at WARNING (again only after a write has succeeded since).
"""

from __future__ import annotations

import logging
import sqlite3
from collections import OrderedDict

from store.state import QueryState, StateUnavailable, query_id_for

log = logging.getLogger(__name__)

UNSAVED_QUERIES = 10_000  # inline queries whose text this process keeps until stored

# What a state that cannot be written raises (SQLite's file errors, the server's).
WRITE_ERRORS = (sqlite3.OperationalError, StateUnavailable)


class QueryMemory:
    """Query ids and texts over one :class:`~store.state.QueryState` (see the module
    docstring)."""

    def __init__(self, state: QueryState) -> None:
        self.state = state
        self._key: bytes | None = None
        self._unsaved: OrderedDict[int, str] = OrderedDict()  # id -> text, oldest first
        self._write_failing = False

    async def query_id(self, query: str) -> int:
        """The id of ``query`` for an inline result's buttons, with no write: the text is
        kept in this process until it is stored.  0 when the state cannot be read."""
        try:
            if self._key is None:
                self._key = await self.state.query_key()
        except WRITE_ERRORS as exc:
            self._failed(exc)
            return 0
        query_id = query_id_for(self._key, query)
        self._unsaved[query_id] = query
        self._unsaved.move_to_end(query_id)
        while len(self._unsaved) > UNSAVED_QUERIES:
            self._unsaved.popitem(last=False)
        return query_id

    async def remember(self, query: str) -> int:
        """Store ``query`` now (a chat search); its id, or 0 ("no query": the card then
        has no buttons that need one) when it cannot be stored."""
        try:
            query_id = await self.state.remember_query(query)
        except WRITE_ERRORS as exc:
            self._failed(exc)
            return 0
        self._worked()
        return query_id

    async def chosen(self, query: str) -> bool:
        """An inline result for ``query`` was chosen: store the query under its id, so its
        card's buttons work whichever process their presses reach.  False if it could
        not be stored."""
        query_id = await self.query_id(query)
        return bool(query_id) and await self._store(query_id, query)

    async def text(self, query_id: int) -> str | None:
        """The text of query ``query_id`` (0: none): as stored, or — an inline result's
        query that was never stored — from this process's memory, stored now."""
        if not query_id:
            return None
        found = await self.state.get_query(query_id)
        if found is not None:
            return found
        unsaved = self._unsaved.get(query_id)
        if unsaved is not None:
            await self._store(query_id, unsaved)
        return unsaved

    async def _store(self, query_id: int, text: str) -> bool:
        try:
            stored = await self.state.store_query(query_id, text)
        except WRITE_ERRORS as exc:
            self._failed(exc)
            return False
        if stored:
            self._unsaved.pop(query_id, None)
            self._worked()
        else:
            log.info("query id %d is held by another query: not stored", query_id)
        return stored

    def _failed(self, exc: Exception) -> None:
        if self._write_failing:
            log.debug("still cannot record a search: %s", exc)
            return
        self._write_failing = True
        log.warning(
            "cannot record searches in the database (%s): answering without the buttons "
            "that need a stored search (other matches) until it can; not logged again "
            "meanwhile",
            exc,
        )

    def _worked(self) -> None:
        if self._write_failing:
            self._write_failing = False
            log.info("searches are recorded in the database again")
