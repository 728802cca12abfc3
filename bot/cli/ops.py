"""Operations subcommands: ``backup`` (a consistent copy of the live database),
``healthcheck`` (one line on whether the database, the shared state and the webhook
listener are usable) and ``chat`` (a terminal conversation with the bot, no token and
no network)."""

from __future__ import annotations

import argparse
import asyncio
import http.client
import sqlite3
import sys
from pathlib import Path
from typing import Any

from bot.cli.common import (
    EXIT_CONFIG,
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_PARTIAL_FAILURE,
    EXIT_USAGE,
    add_db_argument,
    database_error_message,
    newer_schema,
)
from bot.settings import Settings, check_state_url, check_watch_interval, state_url_hint
from store import (
    MIGRATIONS,
    BackupError,
    BackupTargetError,
    backup_database,
    read_state,
    schema_version,
)
from store.state import StateUnavailable, probe_state_store


def register(sub: Any) -> None:
    """Add ``backup``, ``healthcheck`` and ``chat`` to the ``verbatim`` parser."""
    p = sub.add_parser(
        "backup",
        help="copy the live database consistently (safe while the bot runs)",
        description="Copy the database with SQLite's online backup API while the bot keeps "
        "running, rebuild the copy's search vocabulary if documents were being stored, "
        "check the copy with PRAGMA integrity_check, then move it into place. "
        "FILE may be a folder: the copy is then named verbatim-<UTC time>.db inside it.",
    )
    p.add_argument("target", metavar="FILE", help="backup file to create (or a folder)")
    add_db_argument(p)
    p.add_argument("--force", action="store_true", help="replace FILE if it exists")
    p.set_defaults(handler=_backup)

    p = sub.add_parser(
        "healthcheck",
        help="exit 0 if the database is readable (and the webhook listener answers)",
        description="For container and service health checks: the database must exist, be "
        "readable and carry the current schema, and its search vocabulary must be up to "
        "date (or an ingest be running that rebuilds it); in webhook mode the local listener "
        "must answer HTTP. Reads only. A replica (VERBATIM_CORPUS_SNAPSHOT set) checks its "
        "snapshot instead of the database. With VERBATIM_STATE_URL the shared state in "
        "PostgreSQL must answer with the current schema. Prints one line; exit 0 when "
        "healthy, 1 when not, 4 when a schema is newer than this version knows.",
    )
    add_db_argument(p)
    p.set_defaults(handler=_healthcheck)

    p = sub.add_parser(
        "chat",
        help="talk to the bot in this terminal (no token, no network)",
        description="The bot as it answers on Telegram, in this terminal: each line you type "
        "is a message in a private chat (plain text searches, /commands work), '@ words' is "
        "an inline query, and a number presses that button of the last reply. "
        "End with Ctrl-D or /exit. With the default database, the bundled sample speech is "
        "loaded when it is empty.",
    )
    add_db_argument(p)
    p.add_argument("--plain", action="store_true", help="no bold or colour even on a terminal")
    p.set_defaults(handler=_chat)


def _backup(args: argparse.Namespace, settings: Settings) -> int:
    source = settings.db_path
    if not source.is_file():
        print(f"verbatim: no database at {source} (set --db or VERBATIM_DB)", file=sys.stderr)
        return EXIT_NOT_FOUND
    try:
        if newer := newer_schema(source, schema_version(source)):
            print(f"verbatim: {newer}; this version cannot check a copy of it", file=sys.stderr)
            return EXIT_CONFIG
        result = backup_database(source, Path(args.target), overwrite=args.force)
    except BackupTargetError as exc:
        print(f"verbatim: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BackupError as exc:
        print(f"verbatim: {exc}", file=sys.stderr)
        return EXIT_PARTIAL_FAILURE
    print(result.line())
    return EXIT_OK


def _healthcheck(args: argparse.Namespace, settings: Settings) -> int:
    # a replica's corpus is its snapshot (VERBATIM_CORPUS_SNAPSHOT), else the database
    path = settings.corpus_snapshot or settings.db_path
    try:
        state = read_state(path)  # read-only: never creates or repairs
    except FileNotFoundError:
        print(f"unhealthy: no database at {path}")
        return EXIT_PARTIAL_FAILURE
    except sqlite3.Error as exc:
        print(f"unhealthy: {database_error_message(exc, path)}")
        return EXIT_PARTIAL_FAILURE
    version = state.schema_version
    if newer := newer_schema(path, version):
        print(f"unhealthy: {newer}")
        return EXIT_CONFIG
    if version != len(MIGRATIONS):
        print(f"unhealthy: {path} has schema {version}, expected {len(MIGRATIONS)}")
        return EXIT_PARTIAL_FAILURE
    vocab = f"search vocabulary {state.search_vocab_line()}"
    if state.search_vocab_stale_since is not None and not state.ingest_running:
        print(f"unhealthy: database {path}: {vocab}")
        return EXIT_PARTIAL_FAILURE
    parts = [f"database {path} schema {version}", vocab]
    if settings.state_url:
        problem, exit_code, described = _state_health(settings)
        if problem:
            print(f"unhealthy: {problem}")
            return exit_code
        parts.append(described)
    if settings.webhook_url:
        host = settings.webhook_listen
        host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        problem = _http_probe(host, settings.webhook_port)
        if problem:
            print(f"unhealthy: webhook listener {host}:{settings.webhook_port}: {problem}")
            return EXIT_PARTIAL_FAILURE
        parts.append(f"webhook listener {host}:{settings.webhook_port} answers")
    print("healthy: " + ", ".join(parts))
    return EXIT_OK


def _state_health(settings: Settings) -> tuple[str | None, int, str]:
    """(what is wrong, exit code, or ``None``; how it is described when healthy) of the
    shared state that ``VERBATIM_STATE_URL`` names."""
    url = check_state_url(settings)  # SettingsError: main exits 4, as for `run`
    if url is None:
        return None, EXIT_OK, ""
    where = state_url_hint(url)
    try:
        version, current = asyncio.run(probe_state_store(url, where))
    except StateUnavailable as exc:
        return str(exc), EXIT_PARTIAL_FAILURE, ""
    if version > current:
        return (
            f"the shared state at {where} has schema {version}, newer than this program "
            f"knows ({current}): upgrade verbatim-bot",
            EXIT_CONFIG,
            "",
        )
    if version < current:
        return (
            f"the shared state at {where} has schema {version}, expected {current} (it is "
            "migrated when `verbatim run` starts)",
            EXIT_PARTIAL_FAILURE,
            "",
        )
    return None, EXIT_OK, f"shared state at {where} schema {version}"


def _http_probe(host: str, port: int) -> str | None:
    """``None`` if an HTTP server answers on host:port (any status), else what went wrong."""
    conn = http.client.HTTPConnection(host, port, timeout=5)
    try:
        conn.request("GET", "/")
        conn.getresponse().read()
    except (OSError, http.client.HTTPException) as exc:
        return str(exc) or type(exc).__name__
    finally:
        conn.close()
    return None


def _chat(args: argparse.Namespace, settings: Settings) -> int:
    from bot.terminal.session import run_chat

    return run_chat(check_watch_interval(settings), plain=args.plain)
