"""SearcherPool: a slow search on one connection does not hold up the others."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from store.db import Database, open_database
from store.ingest import ingest_paths, sample_path
from store.search.engine import Searcher, SearchFilters, SearchResult
from store.search.pool import SearcherPool


class HeldSearcher(Searcher):
    """A searcher that waits for a signal before searching: a stand-in for a slow query."""

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        self.go = asyncio.Event()
        self.started = asyncio.Event()

    async def search(
        self,
        query: str,
        *,
        limit: int = 10,
        offset: int = 0,
        filters: SearchFilters | None = None,
    ) -> SearchResult:
        self.started.set()
        await self.go.wait()
        return await super().search(query, limit=limit, offset=offset, filters=filters)


@pytest.fixture
async def two_connections(tmp_path: Path) -> AsyncIterator[tuple[Database, Database]]:
    path = tmp_path / "pool.db"
    async with open_database(path) as first:
        await ingest_paths(first, [sample_path()], progress=False)
        async with open_database(path) as second:
            yield first, second


@pytest.fixture
async def held_pool(
    two_connections: tuple[Database, Database],
) -> tuple[SearcherPool, HeldSearcher, asyncio.Task[SearchResult]]:
    """A pool of two whose first searcher is held mid-search by a running search."""
    first, second = two_connections
    held = HeldSearcher(first)
    pool = SearcherPool([held, Searcher(second)], [first, second])
    slow = asyncio.create_task(pool.search("servant party"))
    await held.started.wait()
    return pool, held, slow


async def test_a_held_search_does_not_stall_the_next(
    held_pool: tuple[SearcherPool, HeldSearcher, asyncio.Task[SearchResult]],
) -> None:
    pool, held, slow = held_pool
    # served by the other connection (a pool that queued it behind the held one would hang:
    # the bound turns that into a failure)
    fast = await asyncio.wait_for(pool.search("heart of a mother"), timeout=30)
    assert fast.hits and "heart of a mother" in fast.hits[0].paragraph.text
    assert not slow.done()
    held.go.set()
    assert (await slow).hits


async def test_a_cancelled_search_gives_its_connection_back(
    held_pool: tuple[SearcherPool, HeldSearcher, asyncio.Task[SearchResult]],
) -> None:
    pool, held, slow = held_pool
    slow.cancel()
    with pytest.raises(asyncio.CancelledError):
        await slow
    await pool.settle()
    held.go.set()
    results = await asyncio.gather(*(pool.search("servant party") for _ in range(4)))
    assert all(r.hits for r in results)


async def test_open_makes_the_connections_and_closes_them(tmp_path: Path) -> None:
    path = tmp_path / "pool.db"
    async with open_database(path) as db:
        await ingest_paths(db, [sample_path()], progress=False)
    async with SearcherPool.open(path, connections=3) as pool:
        assert pool.size == 3
        results = await asyncio.gather(*(pool.search("servant party") for _ in range(6)))
        assert all(r.hits for r in results)


def test_a_pool_needs_searchers() -> None:
    with pytest.raises(ValueError):
        SearcherPool([], [])
