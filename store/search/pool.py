"""Several searchers over one database file, each on its own connection.

One aiosqlite connection runs its statements one at a time on its own thread, so a
bot that searched through a single connection would make every chat wait behind the
slowest query.  :class:`SearcherPool` keeps a few read connections (SQLite in WAL
mode lets them read side by side) and hands each search an idle one.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Protocol

from store.db import Database, open_database
from store.search.engine import Searcher, SearchFilters, SearchResult

DEFAULT_CONNECTIONS = 3


class QuoteSearch(Protocol):
    """What callers of a search need: :class:`Searcher` and :class:`SearcherPool` both fit."""

    async def search(
        self,
        query: str,
        *,
        limit: int = 10,
        offset: int = 0,
        filters: SearchFilters | None = None,
    ) -> SearchResult:
        """See :meth:`store.search.engine.Searcher.search`."""
        ...


class SearcherPool:
    """Searches run on whichever connection is idle; busy ones are not shared."""

    def __init__(self, searchers: list[Searcher], databases: list[Database]) -> None:
        if not searchers or len(searchers) != len(databases):
            raise ValueError("a pool needs one database per searcher, at least one")
        self._idle: asyncio.Queue[tuple[Searcher, Database]] = asyncio.Queue()
        for pair in zip(searchers, databases, strict=True):
            self._idle.put_nowait(pair)
        self._settling: set[asyncio.Task[None]] = set()
        self.size = len(searchers)

    @classmethod
    @asynccontextmanager
    async def open(
        cls,
        path: Path | str,
        connections: int = DEFAULT_CONNECTIONS,
        executor: concurrent.futures.Executor | None = None,
        *,
        read_only: bool = False,
    ) -> AsyncIterator[SearcherPool]:
        """Open ``connections`` connections to ``path``; close them all on exit.

        The searchers share ``executor`` for their scoring; without one, the pool makes
        a thread pool of its own (one thread per connection) and shuts it down on exit.
        ``read_only`` opens them with SQLite's ``mode=ro`` (a published corpus snapshot:
        see :func:`store.db.open_database`).
        """
        async with AsyncExitStack() as stack:
            if executor is None:
                own = concurrent.futures.ThreadPoolExecutor(
                    max_workers=max(1, connections), thread_name_prefix="verbatim-rank"
                )
                stack.callback(own.shutdown, wait=False, cancel_futures=True)
                executor = own
            databases = [
                await stack.enter_async_context(open_database(path, read_only=read_only))
                for _ in range(max(1, connections))
            ]
            pool = cls([Searcher(db, executor) for db in databases], databases)
            try:
                yield pool
            finally:
                await pool.settle()

    async def search(
        self,
        query: str,
        *,
        limit: int = 10,
        offset: int = 0,
        filters: SearchFilters | None = None,
    ) -> SearchResult:
        """Run :meth:`Searcher.search` on an idle connection (waiting for one if all are busy)."""
        searcher, db = await self._idle.get()
        try:
            result = await searcher.search(query, limit=limit, offset=offset, filters=filters)
        except asyncio.CancelledError:
            # The connection's thread may still be running the abandoned statement:
            # give it back only once it has answered something new.
            task = asyncio.create_task(self._release_when_idle(searcher, db))
            self._settling.add(task)
            task.add_done_callback(self._settling.discard)
            raise
        except BaseException:
            self._idle.put_nowait((searcher, db))
            raise
        self._idle.put_nowait((searcher, db))
        return result

    async def _release_when_idle(self, searcher: Searcher, db: Database) -> None:
        try:
            await db.ping()
        finally:
            self._idle.put_nowait((searcher, db))

    async def settle(self) -> None:
        """Wait until connections freed by cancelled searches are back in the pool."""
        if self._settling:
            await asyncio.gather(*self._settling, return_exceptions=True)
