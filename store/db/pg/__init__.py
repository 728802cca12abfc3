"""The shared state in PostgreSQL (``VERBATIM_STATE_URL=postgresql://…``): what the bot
keeps besides the corpus, shared by replicas on several machines.  Every SQL statement
for it lives in this package (asyncpg, with its connection pool).

:func:`open_pg_state` connects, migrates (:mod:`store.db.pg.schema`, under an advisory
lock) and yields the table groups: :class:`~store.db.pg.queries.PgQueries` (stored
queries, epoch, inline choices), :class:`~store.db.pg.posting.PgPosting` (targets,
schedules and their run claims, the posted log) and :class:`~store.db.pg.watches.PgWatches`
(/watch: watches, their check claims, the alerts sent).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncpg

from store.db.pg._conv import unavailable_as_error
from store.db.pg.posting import PgPosting
from store.db.pg.queries import PgQueries
from store.db.pg.schema import MIGRATIONS, migrate, schema_version
from store.db.pg.watches import PgWatches

POOL_SIZE = 10  # connections per process at most (each statement borrows one)
COMMAND_TIMEOUT = 15.0  # seconds a statement may take before it is given up


@dataclass(frozen=True, slots=True)
class PgState:
    """The open PostgreSQL state: its pool and table groups."""

    pool: asyncpg.Pool
    queries: PgQueries
    posting: PgPosting
    watches: PgWatches


@asynccontextmanager
async def open_pg_state(
    url: str, where: str, *, pool_size: int = POOL_SIZE
) -> AsyncIterator[PgState]:
    """Connect to ``url`` (a ``postgresql://`` URL), apply pending migrations and yield
    the state; the pool is closed on exit.  ``where`` names the server in messages (the
    URL without its password).  A server that cannot be reached raises
    :class:`~store.db.app_state.StateUnavailable`; a schema newer than this program,
    :class:`~store.db.schema.NewerSchemaError`."""
    async with unavailable_as_error(f"cannot open the shared state at {where}"):
        pool = await asyncpg.create_pool(
            url, min_size=1, max_size=pool_size, command_timeout=COMMAND_TIMEOUT
        )
    try:
        migrating = unavailable_as_error(f"cannot migrate the shared state at {where}")
        async with migrating, pool.acquire() as conn:
            await migrate(conn, where)
        yield PgState(pool, PgQueries(pool), PgPosting(pool), PgWatches(pool))
    finally:
        await pool.close()


async def probe_pg_state(url: str, where: str, timeout: float = 5.0) -> int:
    """The schema version of the shared state at ``url``, read over one connection
    without migrating anything (for health checks); :class:`StateUnavailable` when the
    server cannot be reached or does not answer within ``timeout`` seconds."""
    async with unavailable_as_error(f"cannot reach the shared state at {where}"):
        conn = await asyncpg.connect(url, timeout=timeout, command_timeout=timeout)
        try:
            return await schema_version(conn)
        finally:
            await conn.close()


__all__ = [
    "MIGRATIONS",
    "PgPosting",
    "PgQueries",
    "PgState",
    "PgWatches",
    "open_pg_state",
    "probe_pg_state",
]
