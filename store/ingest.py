"""Ingest: files -> parsers -> normalised content hash -> database, with a progress bar.

Paths may be files, folders (walked recursively) or glob patterns.  Every document is
written atomically; a file that cannot be parsed is reported with its reason and the
run goes on.  Ingesting the same text twice, under any name, stores it once.
"""

from __future__ import annotations

import glob
import hashlib
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from tqdm import tqdm

from store.db import Database, InsertOutcome
from store.db.lock import ingest_lock
from store.models import ParsedDocument, ParseError, RecordError
from store.parsers import FORMATS, detect_format, parse_file

SAMPLE_COLLECTION = "sample"
BATCH_DOCUMENTS = 200
_SKIPPED_NAMES = re.compile(r"^(SOURCE|README|LICENSE|CHANGELOG)(\..*)?$", re.IGNORECASE)


@dataclass
class IngestSummary:
    """What one ingest run did, for the summary line and the exit code."""

    files: int = 0
    new: int = 0
    duplicate: int = 0
    failed: int = 0
    skipped_files: int = 0
    new_paragraphs: int = 0
    bytes_read: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)

    def add(self, outcome: InsertOutcome, paragraphs: int) -> None:
        """Count one document's outcome."""
        if outcome.status == "new":
            self.new += 1
            self.new_paragraphs += paragraphs
        elif outcome.status == "duplicate":
            self.duplicate += 1
        else:
            self.fail(outcome.origin, outcome.reason or "unknown error")

    def fail(self, origin: str, reason: str) -> None:
        """Record a document or file that could not be ingested."""
        self.failed += 1
        self.errors.append((origin, reason))

    def line(self) -> str:
        """One-line human summary."""
        return (
            f"{self.files} files: {self.new} new documents ({self.new_paragraphs} paragraphs), "
            f"{self.duplicate} duplicates, {self.failed} failed, "
            f"{self.skipped_files} files skipped as not a corpus format"
        )


def content_hash(paragraphs: Sequence[str]) -> str:
    """Hash of the text with case, Unicode form and whitespace normalised away.

    Two copies of one article that differ only in those respects (or in where the
    paragraphs break) hash alike, so they are stored once.
    """
    text = "\n".join(paragraphs)
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    folded = " ".join(text.casefold().split())
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class InputFile:
    """A file to ingest; ``explicit`` when named by the user rather than found in a folder."""

    path: Path
    explicit: bool


def expand_paths(paths: Iterable[str | Path]) -> tuple[list[InputFile], list[str]]:
    """Resolve files, folders and globs into input files, plus the paths that match nothing."""
    found: dict[Path, InputFile] = {}
    missing: list[str] = []
    for raw in paths:
        raw_str = str(raw)
        if Path(raw_str).exists():
            candidates = [Path(raw_str)]
        else:
            candidates = [Path(m) for m in sorted(glob.glob(raw_str, recursive=True))]
            if not candidates:
                missing.append(raw_str)
                continue
        for path in candidates:
            if path.is_dir():
                for child in sorted(path.rglob("*")):
                    if child.is_file() and not _hidden_or_meta(child.relative_to(path)):
                        found.setdefault(child, InputFile(child, explicit=False))
            elif path.is_file():
                found[path] = InputFile(path, explicit=True)
            else:
                missing.append(raw_str)
    return list(found.values()), missing


def _hidden_or_meta(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts) or bool(
        _SKIPPED_NAMES.match(relative.name)
    )


def _wanted(item: InputFile, fmt: str | None) -> bool:
    """A file found by walking a folder is ingested only if it looks like a corpus file."""
    if item.explicit or fmt is not None:
        return True
    try:
        with item.path.open("rb") as fh:
            head = fh.read(8192)
    except OSError:
        return True  # let parse_file report the reason
    if b"\0" in head:
        return False
    return detect_format(item.path, head.decode("utf-8", errors="replace")) is not None


def _documents(
    items: Sequence[InputFile],
    fmt: str | None,
    collection: str | None,
    summary: IngestSummary,
    bar: tqdm,
) -> Iterator[ParsedDocument]:
    for item in items:
        size = item.path.stat().st_size if item.path.exists() else 0
        if not _wanted(item, fmt):
            summary.skipped_files += 1
            bar.update(size)
            continue
        summary.files += 1
        summary.bytes_read += size
        produced = 0
        try:
            for parsed in parse_file(item.path, fmt):
                produced += 1
                if isinstance(parsed, RecordError):
                    summary.fail(parsed.origin, parsed.reason)
                    continue
                if collection:
                    parsed.collection = collection
                elif not parsed.collection:
                    parsed.collection = item.path.parent.name or "default"
                yield parsed
            if produced == 0:
                summary.fail(str(item.path), "no documents with text found in this file")
        except ParseError as exc:
            summary.fail(str(item.path), str(exc))
        except OSError as exc:
            summary.fail(str(item.path), f"cannot read file: {exc.strerror or exc}")
        except Exception as exc:  # pathological input (e.g. JSON nested too deep) stops one file
            done = f" after {produced} records" if produced else ""
            summary.fail(str(item.path), f"cannot parse{done}: {type(exc).__name__}: {exc}")
        bar.update(size)


async def ingest_paths(
    db: Database,
    paths: Iterable[str | Path],
    *,
    fmt: str | None = None,
    collection: str | None = None,
    progress: bool = True,
) -> IngestSummary:
    """Ingest every document found under ``paths``; see the module docstring."""
    if fmt is not None and fmt not in FORMATS:
        raise ParseError(f"unknown format {fmt!r}; known formats: {', '.join(FORMATS)}")
    items, missing = expand_paths(paths)
    summary = IngestSummary()
    for raw in missing:
        summary.fail(raw, "no such file or folder")
    total = sum(i.path.stat().st_size for i in items if i.path.exists())
    with ingest_lock(db.path):
        await db.before_bulk_load()
        try:
            with tqdm(
                total=total,
                unit="B",
                unit_scale=True,
                desc="ingest",
                disable=not progress,
                leave=False,
            ) as bar:
                batch: list[tuple[ParsedDocument, str]] = []
                for doc in _documents(items, fmt, collection, summary, bar):
                    if not doc.paragraphs:
                        summary.fail(doc.origin, "no paragraphs of text")
                        continue
                    batch.append((doc, content_hash(doc.paragraphs)))
                    if len(batch) >= BATCH_DOCUMENTS:
                        await _flush(db, batch, summary)
                await _flush(db, batch, summary)
        finally:
            # the batches already committed are searchable even when the run stops early;
            # a vocabulary left stale by an earlier run that crashed is rebuilt too
            if summary.new or await db.search_vocab_stale_since() is not None:
                await db.after_bulk_load()
    return summary


async def _flush(
    db: Database, batch: list[tuple[ParsedDocument, str]], summary: IngestSummary
) -> None:
    if not batch:
        return
    outcomes = await db.insert_documents(batch)
    for (doc, _), outcome in zip(batch, outcomes, strict=True):
        summary.add(outcome, len(doc.paragraphs))
    batch.clear()


def sample_path() -> Path:
    """The bundled sample speech shipped inside the package."""
    return Path(str(resources.files("store") / "sample"))


async def ensure_sample_loaded(db: Database) -> bool:
    """Load the bundled sample corpus if the database holds no documents; True if it did."""
    if await db.count_documents() > 0:
        return False
    await ingest_paths(db, [sample_path()], collection=SAMPLE_COLLECTION, progress=False)
    return True
