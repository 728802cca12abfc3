"""``verbatim publish-snapshot``: publish the primary database as the corpus snapshot
that replicas (``verbatim run --snapshot``) read.

The work is :func:`store.publish_snapshot`: a consistent copy, verified, renamed into
place atomically; this module gives it its arguments, its line of output and exit codes.
"""

from __future__ import annotations

import argparse
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
    newer_schema,
)
from bot.settings import Settings
from store import (
    BackupError,
    SnapshotError,
    publish_snapshot,
    schema_version,
)


def register(sub: Any) -> None:
    """Add ``publish-snapshot`` to the ``verbatim`` parser."""
    p = sub.add_parser(
        "publish-snapshot",
        help="publish the database as the corpus snapshot replicas read",
        description="Copy the primary database consistently (safe while an ingest or a bot "
        "writes to it), verify the copy (integrity, this version's schema, an up-to-date "
        "search vocabulary, the published snapshot's ids and epoch kept) and rename it onto "
        "SNAPDIR/corpus.db in one step. Replicas started with `verbatim run --snapshot "
        "SNAPDIR/corpus.db` notice the new file and switch to it without downtime. "
        "Exit 0 published, 1 the copy did not verify (nothing replaced), 2 SNAPDIR is not "
        "a folder, 3 no primary database, 4 its schema is newer than this version's.",
    )
    p.add_argument("folder", metavar="SNAPDIR", help="snapshot folder (made if missing)")
    add_db_argument(p)
    p.add_argument(
        "--allow-new-ids",
        action="store_true",
        help="publish even when the primary does not keep the published snapshot's ids "
        "and epoch (a rebuilt database): permalinks and buttons of older cards break",
    )
    p.set_defaults(handler=_publish)


def _publish(args: argparse.Namespace, settings: Settings) -> int:
    primary, folder = settings.db_path, Path(args.folder)
    if not primary.is_file():
        print(f"verbatim: no database at {primary} (set --db or VERBATIM_DB)", file=sys.stderr)
        return EXIT_NOT_FOUND
    if folder.exists() and not folder.is_dir():
        print(f"verbatim: {folder} is not a folder", file=sys.stderr)
        return EXIT_USAGE
    try:
        version = schema_version(primary)
    except BackupError as exc:
        print(f"verbatim: {exc}", file=sys.stderr)
        return EXIT_PARTIAL_FAILURE
    if newer := newer_schema(primary, version):
        print(f"verbatim: {newer}", file=sys.stderr)
        return EXIT_CONFIG
    try:
        result = publish_snapshot(primary, folder, allow_new_ids=args.allow_new_ids)
    except SnapshotError as exc:  # SnapshotIdsChanged included
        print(f"verbatim: not published: {exc}", file=sys.stderr)
        return EXIT_PARTIAL_FAILURE
    print(result.line())
    return EXIT_OK
