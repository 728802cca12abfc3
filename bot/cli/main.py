"""The ``verbatim`` command: argument parsing and dispatch to the subcommands.

Subcommands are registered by the modules of :mod:`bot.cli`, one per command group
(store, search, bench, bot, ops, inline, snapshot).  Each exposes ``register(subparsers)`` and sets
``handler(args, settings) -> int`` on its parser; exit codes are in :mod:`bot.cli.common`.
"""

from __future__ import annotations

import argparse
import logging
import os
import sqlite3
import sys
from collections.abc import Sequence

from bot.cli.common import (
    EXIT_CONFIG,
    EXIT_NOT_FOUND,
    EXIT_PARTIAL_FAILURE,
    READ_COMMANDS,
    DatabaseMissing,
    database_error_message,
    require_database,
)
from bot.settings import DEFAULT_LOG_LEVEL, SettingsError, load_settings
from store import IngestRunning, NewerSchemaError, NotVerbatimDatabase, scrub_surrogates

# Arguments that are text (words, filters), not file names: decoded to valid text before
# use, so bytes that are not UTF-8 cannot raise later, when they are bound to SQL.
_TEXT_ARGUMENTS = ("query", "collection", "speaker", "language", "date_from", "date_to")


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every subcommand registered."""
    from bot.cli import bench, bot, inline, ops, search, snapshot, store

    parser = argparse.ArgumentParser(
        prog="verbatim",
        description="Find the exact wording of a half-remembered quotation.",
    )
    parser.add_argument(
        "--log-level",
        metavar="LEVEL",
        help="DEBUG, INFO, WARNING or ERROR (default: $VERBATIM_LOG_LEVEL, else "
        f"{DEFAULT_LOG_LEVEL})",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module in (store, search, bench, bot, ops, inline, snapshot):
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``verbatim`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    for name in _TEXT_ARGUMENTS:
        value = getattr(args, name, None)
        if isinstance(value, str):
            setattr(args, name, _text_argument(value))
        elif isinstance(value, list):
            setattr(args, name, [_text_argument(v) for v in value])
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
        if args.command in READ_COMMANDS:
            require_database(settings)  # a mistyped --db creates nothing
        code = int(args.handler(args, settings))
        sys.stdout.flush()  # here, so that a closed pipe is seen while we can still say so
        return code
    except BrokenPipeError:
        return _stdout_gone()
    except SettingsError as exc:
        print(f"verbatim: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except DatabaseMissing as exc:
        print(f"verbatim: {exc}", file=sys.stderr)
        return EXIT_NOT_FOUND
    except (NewerSchemaError, NotVerbatimDatabase) as exc:
        print(f"verbatim: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except IngestRunning as exc:
        print(f"verbatim: {exc}", file=sys.stderr)
        return EXIT_PARTIAL_FAILURE
    except sqlite3.Error as exc:
        print(f"verbatim: {database_error_message(exc, settings.db_path)}", file=sys.stderr)
        return EXIT_CONFIG
    except OSError as exc:
        print(
            f"verbatim: {exc.strerror or exc}: {exc.filename or settings.db_path}", file=sys.stderr
        )
        return EXIT_CONFIG
    except KeyboardInterrupt:
        print("verbatim: interrupted", file=sys.stderr)
        return 130


def _text_argument(value: str) -> str:
    """A text argument as valid text: bytes that are not UTF-8 (which Python keeps in
    ``sys.argv`` as surrogate escapes) become U+FFFD.  File names are left alone: the
    system needs their bytes as they are."""
    try:
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # a surrogate that is no byte escape (argv given in code)
        return scrub_surrogates(value)


def _stdout_gone() -> int:
    """The reader of our output went away (``verbatim stats --json | head -1``): stop
    quietly, without a traceback, and without a second error when Python flushes
    stdout at exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return EXIT_PARTIAL_FAILURE
