"""The ``verbatim`` command: argument parsing and dispatch to the subcommands.

Subcommands are registered by small modules, one per area:
``bot.cli_store`` (ingest, stats, show), ``bot.cli_search`` (search, evaluation,
benchmarks), ``bot.cli_bot`` (run) and ``bot.cli_ops`` (backup, chat).  Each exposes
``register(subparsers)`` and sets ``handler(args, settings) -> int`` on its parser.

Exit codes: 0 success, 1 the work ran but some of it failed, 2 usage error,
3 something asked for does not exist, 4 a setting is missing or invalid.
"""

from __future__ import annotations

import argparse
import logging
import sqlite3
import sys
from collections.abc import Sequence

from bot.settings import SettingsError, load_settings

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


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every subcommand registered."""
    from bot import cli_bot, cli_inline, cli_ops, cli_search, cli_store

    parser = argparse.ArgumentParser(
        prog="verbatim",
        description="Find the exact wording of a half-remembered quotation.",
    )
    parser.add_argument(
        "--log-level",
        metavar="LEVEL",
        help="DEBUG, INFO, WARNING or ERROR (default: $VERBATIM_LOG_LEVEL, else INFO)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module in (cli_store, cli_search, cli_bot, cli_ops, cli_inline):
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``verbatim`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings(db=getattr(args, "db", None), log_level=args.log_level)
    except SettingsError as exc:
        print(f"verbatim: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        return int(args.handler(args, settings))
    except SettingsError as exc:
        print(f"verbatim: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except sqlite3.DatabaseError as exc:
        print(
            f"verbatim: cannot use the database {settings.db_path}: {exc} "
            "(is it a Verbatim SQLite file? pass another with --db)",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    except OSError as exc:
        print(
            f"verbatim: {exc.strerror or exc}: {exc.filename or settings.db_path}", file=sys.stderr
        )
        return EXIT_CONFIG
    except KeyboardInterrupt:
        print("verbatim: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
