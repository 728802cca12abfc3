"""What every ``verbatim`` subcommand shares: exit codes, the ``--db`` option, opening
the configured database for reading, and what to say when the database cannot be used.

Kept apart from :mod:`bot.cli.main` so that the command modules import it, and the main
module imports them, without a cycle.

Exit codes: 0 success, 1 the work ran but some of it failed, 2 usage error,
3 something asked for does not exist, 4 a setting is missing or invalid (including a
database this program cannot use).
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bot.settings import Settings
from store.db import MIGRATIONS, Database, open_database
from store.ingest import ensure_sample_loaded

EXIT_OK = 0
EXIT_PARTIAL_FAILURE = 1
EXIT_USAGE = 2
EXIT_NOT_FOUND = 3
EXIT_CONFIG = 4

# Commands that only read the database: one named explicitly must exist (exit 3 if not),
# checked before they start (``run`` checks it itself, after its settings).
READ_COMMANDS = frozenset({"search", "stats", "show", "chat"})


class DatabaseMissing(Exception):
    """A database named explicitly (``--db`` or ``VERBATIM_DB``) does not exist, and the
    command only reads it: nothing is created (exit 3)."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"no database at {path} (named by --db or VERBATIM_DB); check the path, or "
            "create it with `verbatim ingest --db FILE PATH...`"
        )
        self.path = path


def add_db_argument(parser: argparse.ArgumentParser) -> None:
    """Give a subcommand the common ``--db FILE`` option."""
    parser.add_argument(
        "--db",
        metavar="FILE",
        help="SQLite database (default: $VERBATIM_DB, else ~/.local/share/verbatim/verbatim.db)",
    )


def require_database(settings: Settings) -> None:
    """Raise :class:`DatabaseMissing` when the database was named explicitly and does
    not exist.  The default database is created (and given the sample) on first use."""
    if not settings.db_path_is_default and not settings.db_path.exists():
        raise DatabaseMissing(settings.db_path)


@asynccontextmanager
async def open_for_reading(settings: Settings, *, repair: bool = True) -> AsyncIterator[Database]:
    """Open the configured database; an empty *default* database gets the bundled sample.

    A database named explicitly must exist (:func:`require_database`).  ``repair=False``
    leaves derived data recorded as stale alone, for commands that report it.
    """
    require_database(settings)
    async with open_database(settings.db_path, repair=repair) as db:
        if settings.db_path_is_default and await ensure_sample_loaded(db):
            print(f"(loaded the bundled sample speech into {settings.db_path})", file=sys.stderr)
        yield db


def database_error_message(exc: sqlite3.Error, path: Path) -> str:
    """What to tell the user when SQLite refused the database at ``path``: what is wrong
    with it in their terms, and what to do; the SQLite message last."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    detail = str(exc)
    if name == "SQLITE_NOTADB":
        what = f"{path} is not a Verbatim database (not an SQLite file); pass another with --db"
    elif name == "SQLITE_CORRUPT":
        what = f"the database {path} is damaged; restore it from a backup (`verbatim backup`)"
    elif name == "SQLITE_FULL":
        what = f"the disk holding {path} is full; free some space and try again"
    elif name == "SQLITE_READONLY":
        what = f"the database {path} is read-only for this user"
    elif name in ("SQLITE_BUSY", "SQLITE_LOCKED"):
        what = f"the database {path} is locked by another process; try again"
    elif name == "SQLITE_CANTOPEN" and path.is_dir():
        what = f"{path} is a folder, not a database file"
    elif name == "SQLITE_CANTOPEN":
        what = f"cannot open the database {path} (is its folder there and writable?)"
    else:
        what = f"cannot use the database {path}"
    return f"{what} ({detail})"


def newer_schema(path: Path, version: int) -> str | None:
    """What to say when the database at ``path`` has a schema newer than this program's
    (``version`` is its schema version), or ``None`` when this program knows it."""
    if version <= len(MIGRATIONS):
        return None
    return (
        f"{path} has schema version {version}, newer than this program knows "
        f"({len(MIGRATIONS)}): upgrade verbatim-bot"
    )
