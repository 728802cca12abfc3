"""What every ``verbatim`` subcommand shares: exit codes, the ``--db`` option, and
opening the configured database for reading.

Kept apart from :mod:`bot.cli.main` so that the command modules import it, and the main
module imports them, without a cycle.

Exit codes: 0 success, 1 the work ran but some of it failed, 2 usage error,
3 something asked for does not exist, 4 a setting is missing or invalid.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.settings import Settings
from store.db import Database, open_database
from store.ingest import ensure_sample_loaded

EXIT_OK = 0
EXIT_PARTIAL_FAILURE = 1
EXIT_USAGE = 2
EXIT_NOT_FOUND = 3
EXIT_CONFIG = 4


def add_db_argument(parser: argparse.ArgumentParser) -> None:
    """Give a subcommand the common ``--db FILE`` option."""
    parser.add_argument(
        "--db",
        metavar="FILE",
        help="SQLite database (default: $VERBATIM_DB, else ~/.local/share/verbatim/verbatim.db)",
    )


@asynccontextmanager
async def open_for_reading(settings: Settings) -> AsyncIterator[Database]:
    """Open the configured database; an empty *default* database gets the bundled sample."""
    async with open_database(settings.db_path) as db:
        if settings.db_path_is_default and await ensure_sample_loaded(db):
            print(f"(loaded the bundled sample speech into {settings.db_path})", file=sys.stderr)
        yield db
