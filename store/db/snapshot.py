"""Corpus snapshots for replicas: the primary database copied, checked and published.

The operator ingests into one primary database as before; :func:`publish_snapshot` makes
a consistent copy of it (SQLite's online backup, :mod:`store.db.backup`: one read
transaction, a single self-contained file with ``journal_mode=DELETE``, integrity
checked, a stale search vocabulary rebuilt; an older schema is migrated in the copy),
verifies the copy, and only then renames it onto ``SNAPDIR/corpus.db`` with
``os.replace``.  Replicas open that path read-only (``mode=ro``) and notice a new
snapshot by its :func:`snapshot_identity` (device, inode, size, modification time); a
replica still reading the old file keeps reading it safely, since the rename only points
the path at a new inode and the old one lives on until its last reader closes it.

Paragraph and document ids are the primary's rowids, copied page for page, so permalinks
(``p_<id>``) and buttons stay valid from one snapshot to the next.  Publishing checks it:
every document of the snapshot being replaced must be in the new one under the same id
with the same content hash, every paragraph under the same id in the same place, and the
epoch carried in button data must be the same (:class:`SnapshotIdsChanged` otherwise,
unless the caller allows it — a primary rebuilt from scratch).
"""

from __future__ import annotations

import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from store.db._sql import read_only_uri
from store.db.backup import BackupError, backup_database, settle_copy
from store.db.health import read_state
from store.db.migrations import MIGRATIONS

SNAPSHOT_NAME = "corpus.db"  # the published file in the snapshot folder


class SnapshotError(Exception):
    """The snapshot could not be published; the message says why (nothing was replaced)."""


class SnapshotIdsChanged(SnapshotError):
    """The new snapshot would change ids (or the epoch) that the published one has:
    permalinks and buttons made from the published one would break."""


@dataclass(frozen=True, slots=True)
class SnapshotIdentity:
    """What tells one published file from the next (a rename makes a new inode)."""

    device: int
    inode: int
    size: int
    mtime_ns: int


@dataclass(frozen=True, slots=True)
class CorpusFacts:
    """What a snapshot holds, read from the file."""

    schema_version: int
    documents: int
    paragraphs: int
    epoch: str


@dataclass(frozen=True, slots=True)
class SnapshotResult:
    """What :func:`publish_snapshot` published."""

    source: Path
    path: Path
    facts: CorpusFacts
    size_bytes: int
    seconds: float
    previous_documents: int | None  # documents of the snapshot replaced; None: the first
    ids_checked: bool  # the replaced snapshot's ids were compared (and kept)
    repaired_stale_since: str | None = None
    migrated_from: int | None = None  # the copy's schema before this version migrated it

    def line(self) -> str:
        """One human-readable summary line."""
        facts = self.facts
        if self.previous_documents is None:
            kept = "the first snapshot there"
        elif self.ids_checked:
            added = facts.documents - self.previous_documents
            kept = f"ids of the previous snapshot kept, {added} documents added"
        else:
            kept = "ids NOT compared with the previous snapshot (--allow-new-ids)"
        extra = ""
        if self.migrated_from is not None:
            extra += f", migrated from schema {self.migrated_from}"
        if self.repaired_stale_since:
            extra += ", search vocabulary rebuilt in the copy"
        return (
            f"published {self.path}: {facts.documents} documents, {facts.paragraphs} "
            f"paragraphs, schema {facts.schema_version}, epoch {facts.epoch}, "
            f"{self.size_bytes / 1e6:.1f} MB, integrity ok, vocabulary up to date{extra}; "
            f"{kept}; {self.seconds:.2f} s"
        )


def snapshot_path(folder: Path) -> Path:
    """The published snapshot's path in ``folder``."""
    return Path(folder) / SNAPSHOT_NAME


def snapshot_identity(path: Path) -> SnapshotIdentity | None:
    """The identity of the file now at ``path`` (``None`` when there is none)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return SnapshotIdentity(st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def publish_snapshot(primary: Path, folder: Path, *, allow_new_ids: bool = False) -> SnapshotResult:
    """Copy the database at ``primary``, verify the copy and publish it as
    ``folder/corpus.db`` (the folder is made if missing).

    Raises :class:`SnapshotError` when the copy fails or does not verify (schema,
    integrity, vocabulary, documents), :class:`SnapshotIdsChanged` when it would change
    the published snapshot's ids or epoch and ``allow_new_ids`` is false; the published
    file is then left as it was.  :class:`~store.db.backup.BackupError` for a missing or
    unreadable primary is raised as :class:`SnapshotError`.
    """
    started = time.perf_counter()
    primary, folder = Path(primary), Path(folder)
    if folder.exists() and not folder.is_dir():
        raise SnapshotError(f"{folder} is not a folder")
    folder.mkdir(parents=True, exist_ok=True)
    target = snapshot_path(folder)
    if target.exists() and primary.resolve() == target.resolve():
        raise SnapshotError(f"{primary} is the published snapshot itself, not a primary")
    staging = folder / f".{SNAPSHOT_NAME}.publishing-{os.getpid()}"
    staging.unlink(missing_ok=True)
    try:
        try:
            copied = backup_database(primary, staging)
        except BackupError as exc:
            raise SnapshotError(str(exc)) from exc
        migrated_from = None
        if copied.schema_version < len(MIGRATIONS):
            migrated_from = copied.schema_version
            settle_copy(staging)  # the primary itself is left alone
        facts = _verify(staging)
        previous = _previous_facts(target, allow_new_ids)
        if previous is not None and not allow_new_ids:
            _check_ids_kept(target, staging, previous, facts)
        _sync(staging)
        os.replace(staging, target)
        _sync(folder)
    except sqlite3.DatabaseError as exc:
        raise SnapshotError(f"could not publish a snapshot of {primary}: {exc}") from exc
    finally:
        for leftover in (staging, *(Path(f"{staging}{end}") for end in ("-wal", "-shm"))):
            leftover.unlink(missing_ok=True)
    return SnapshotResult(
        source=primary,
        path=target,
        facts=facts,
        size_bytes=target.stat().st_size,
        seconds=time.perf_counter() - started,
        previous_documents=previous.documents if previous is not None else None,
        ids_checked=previous is not None and not allow_new_ids,
        repaired_stale_since=copied.repaired_stale_since,
        migrated_from=migrated_from,
    )


def read_facts(path: Path) -> CorpusFacts:
    """Schema, counts and epoch of the database at ``path`` (opened read-only)."""
    conn = sqlite3.connect(read_only_uri(path), uri=True)
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        documents, paragraphs = conn.execute(
            "SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM paragraphs)"
        ).fetchone()
        row = conn.execute("SELECT value FROM bot_meta WHERE key = 'epoch'").fetchone()
    finally:
        conn.close()
    return CorpusFacts(version, int(documents), int(paragraphs), str(row[0]) if row else "")


def _verify(copy: Path) -> CorpusFacts:
    """Check what a replica relies on: this program's schema, a single file (no
    write-ahead log to go with it), an up-to-date search vocabulary, some documents."""
    state = read_state(copy)
    if state.schema_version != len(MIGRATIONS):
        raise SnapshotError(
            f"the copy has schema {state.schema_version}, this program {len(MIGRATIONS)}: "
            "publish with the version the replicas run"
        )
    if state.search_vocab_stale_since is not None:
        raise SnapshotError("the copy's search vocabulary is stale and could not be rebuilt")
    conn = sqlite3.connect(read_only_uri(copy), uri=True)
    try:
        mode = str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower()
    finally:
        conn.close()
    if mode == "wal":
        raise SnapshotError("the copy is still in WAL mode (not a self-contained file)")
    facts = read_facts(copy)
    if facts.documents == 0:
        raise SnapshotError(
            "the primary holds no documents: ingest into it first (`verbatim ingest`)"
        )
    return facts


def _previous_facts(target: Path, allow_new_ids: bool) -> CorpusFacts | None:
    """The facts of the snapshot now published (``None`` when there is none)."""
    if not target.exists():
        return None
    try:
        return read_facts(target)
    except sqlite3.DatabaseError as exc:
        if allow_new_ids:
            return None
        raise SnapshotIdsChanged(
            f"the published snapshot {target} cannot be read ({exc}), so its ids cannot "
            "be compared: pass --allow-new-ids to replace it"
        ) from exc


def _check_ids_kept(target: Path, copy: Path, previous: CorpusFacts, facts: CorpusFacts) -> None:
    """Raise :class:`SnapshotIdsChanged` unless every document and paragraph of the
    published snapshot is in the copy under the same id (same content, same place), and
    the epoch is the same."""
    if previous.epoch != facts.epoch:
        raise SnapshotIdsChanged(
            f"the primary's epoch {facts.epoch} is not the published snapshot's "
            f"{previous.epoch} (a different or rebuilt database): buttons on cards sent "
            "from the published snapshot would stop working; pass --allow-new-ids to "
            "publish it anyway"
        )
    conn = sqlite3.connect(read_only_uri(copy), uri=True)
    try:
        conn.execute("ATTACH DATABASE ? AS published", (read_only_uri(target),))
        documents = conn.execute(
            "SELECT count(*) FROM published.documents o LEFT JOIN main.documents n "
            "ON n.id = o.id WHERE n.id IS NULL OR n.content_hash != o.content_hash"
        ).fetchone()[0]
        paragraphs = conn.execute(
            "SELECT count(*) FROM published.paragraphs o LEFT JOIN main.paragraphs n "
            "ON n.id = o.id WHERE n.id IS NULL OR n.document_id != o.document_id "
            "OR n.position != o.position"
        ).fetchone()[0]
    finally:
        conn.close()
    if documents or paragraphs:
        raise SnapshotIdsChanged(
            f"{documents} documents and {paragraphs} paragraphs of the published snapshot "
            "are missing from the primary or have other ids there (was it rebuilt?): "
            "permalinks to them would break; pass --allow-new-ids to publish it anyway"
        )


def _sync(path: Path) -> None:
    """Flush a file's (or a folder's: the rename) data to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
