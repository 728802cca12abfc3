"""Ingest: files -> parsers -> normalised content hash -> database, with a progress bar.

Paths may be files, folders (walked recursively) or glob patterns, and URLs (pages,
feeds, corpus files on the web: :mod:`store.web`).  Every document is
written atomically; a path that cannot be read (missing, no permission, an unreadable
folder inside a walked one) or a file that cannot be parsed is reported with its reason
and the run goes on.  Ingesting the same text twice, under any name, stores it once.
"""

from __future__ import annotations

import glob
import hashlib
import os
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
from store.text.clean import cap_field, scrub_surrogates
from store.web.urls import is_url

SAMPLE_COLLECTION = "sample"
BATCH_DOCUMENTS = 200
_SKIPPED_NAMES = re.compile(r"^(SOURCE|README|LICENSE|CHANGELOG)(\..*)?$", re.IGNORECASE)


@dataclass
class IngestSummary:
    """What one ingest run did, for the summary line and the exit code."""

    files: int = 0
    urls: int = 0  # URLs fetched or tried: named ones and feed entries
    known_entries: int = 0  # feed entries not fetched: their link is already stored
    new: int = 0
    duplicate: int = 0
    failed: int = 0
    missing: int = 0  # of the failures: paths that match nothing
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
        """Record a document, file or folder that could not be ingested."""
        self.failed += 1
        self.errors.append((origin, reason))

    def nothing_found(self) -> str | None:
        """Why nothing was ingested when no file in a corpus format was found (an empty
        folder, or only files of other kinds), else ``None``."""
        if self.files or self.failed or self.urls or self.known_entries:
            return None
        if self.skipped_files:
            return (
                f"none of the {self.skipped_files} files found is in a corpus format "
                f"({', '.join(FORMATS)}); name a file, or pass --format, to read it anyway"
            )
        return "no files found to ingest (empty folders, or only hidden and README files)"

    def line(self) -> str:
        """One-line human summary."""
        counts = (
            f"{self.new} new documents ({self.new_paragraphs} paragraphs), "
            f"{self.duplicate} duplicates, {self.failed} failed"
        )
        skipped = f"{self.skipped_files} files skipped as not a corpus format"
        if not self.urls and not self.known_entries:
            return f"{self.files} files: {counts}, {skipped}"
        named = f"{self.files} files and {self.urls} URLs" if self.files else f"{self.urls} URLs"
        known = f", {self.known_entries} feed entries already stored (not fetched)"
        return (
            f"{named}: {counts}"
            + (f", {skipped}" if self.skipped_files else "")
            + (known if self.known_entries else "")
        )


def content_hash(paragraphs: Sequence[str]) -> str:
    """Hash of the text with case, Unicode form and whitespace normalised away.

    Two copies of one article that differ only in those respects (or in where the
    paragraphs break) hash alike, so they are stored once.  The hash of the words of all
    paragraphs joined by single spaces, fed paragraph by paragraph: memory stays that of
    one paragraph, however long the document.
    """
    digest = hashlib.sha256()
    separator = b""
    for paragraph in paragraphs:
        text = paragraph if paragraph.isascii() else unicodedata.normalize("NFKC", paragraph)
        folded = " ".join(text.casefold().split())
        if folded:
            digest.update(separator + folded.encode("utf-8"))
            separator = b" "
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class InputFile:
    """A file to ingest; ``explicit`` when named by the user rather than found in a folder."""

    path: Path
    explicit: bool


NO_SUCH_PATH = "no such file or folder"


def expand_paths(
    paths: Iterable[str | Path],
) -> tuple[list[InputFile], list[tuple[str, str]]]:
    """Resolve files, folders and globs into input files, plus ``(path, reason)`` for
    each path that matches nothing (reason :data:`NO_SUCH_PATH`) or cannot be read (a
    file or folder without permission, a folder inside a walked one that cannot be
    listed).  Never raises for a path."""
    found: dict[Path, InputFile] = {}
    problems: list[tuple[str, str]] = []
    for raw in paths:
        raw_str = str(raw)
        try:
            exists = Path(raw_str).exists()  # raises when a parent folder is closed to us
        except OSError as exc:
            problems.append((raw_str, _os_reason(exc)))
            continue
        if exists:
            candidates = [Path(raw_str)]
        else:
            candidates = [Path(m) for m in sorted(glob.glob(raw_str, recursive=True))]
            if not candidates:
                problems.append((raw_str, NO_SUCH_PATH))
                continue
        for path in candidates:
            try:
                if path.is_dir():
                    for child in _walk(path, problems):
                        found.setdefault(child, InputFile(child, explicit=False))
                elif path.is_file():
                    found[path] = InputFile(path, explicit=True)
                else:
                    problems.append((str(path), "not a regular file or folder"))
            except OSError as exc:
                problems.append((str(path), _os_reason(exc)))
    return list(found.values()), problems


def _walk(top: Path, problems: list[tuple[str, str]]) -> list[Path]:
    """The files under the folder ``top``, sorted, without hidden and metadata files; a
    folder that cannot be listed is added to ``problems`` (never skipped silently)."""

    def unreadable(exc: OSError) -> None:
        problems.append((str(exc.filename or top), f"cannot read folder: {_os_reason(exc)}"))

    files: list[Path] = []
    for folder, dirs, names in os.walk(top, onerror=unreadable):
        dirs[:] = [d for d in dirs if not d.startswith(".")]  # hidden folders: not walked
        for name in names:
            path = Path(folder, name)
            if not name.startswith(".") and not _SKIPPED_NAMES.match(name) and path.is_file():
                files.append(path)
    return sorted(files)


def _os_reason(exc: OSError) -> str:
    """An OS error as a reason, without the path it is reported against."""
    return exc.strerror or str(exc)


def _reason(exc: Exception, path: Path) -> str:
    """The message of ``exc`` without a leading ``"PATH: "``: it is reported under the path."""
    message = str(exc)
    prefix = f"{path}: "
    return message[len(prefix) :] if message.startswith(prefix) else message


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


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
        size = _size(item.path)
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
                elif not parsed.collection:  # a folder's name may not be UTF-8
                    parsed.collection = cap_field(scrub_surrogates(item.path.parent.name))
                    parsed.collection = parsed.collection or "default"
                yield parsed
            if produced == 0:
                summary.fail(str(item.path), "no documents with text found in this file")
        except ParseError as exc:
            summary.fail(str(item.path), _reason(exc, item.path))
        except OSError as exc:
            summary.fail(str(item.path), f"cannot read file: {_os_reason(exc)}")
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
    """Ingest every document found under ``paths`` — and at the URLs among them (see
    :mod:`store.web`); see the module docstring."""
    if fmt is not None and fmt not in FORMATS:
        raise ParseError(f"unknown format {fmt!r}; known formats: {', '.join(FORMATS)}")
    if collection:
        collection = cap_field(scrub_surrogates(collection))
    urls: list[str] = []
    local: list[str | Path] = []
    for p in paths:
        if isinstance(p, str) and is_url(p):
            urls.append(p)
        else:
            local.append(p)
    items, problems = expand_paths(local)
    summary = IngestSummary()
    for raw, reason in problems:
        summary.fail(raw, reason)
        summary.missing += reason == NO_SUCH_PATH
    total = sum(_size(i.path) for i in items)
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
            if urls:
                await _ingest_urls(db, urls, fmt, collection, summary, progress)
        finally:
            # the batches already committed are searchable even when the run stops early;
            # a vocabulary left stale by an earlier run that crashed is rebuilt too
            if summary.new or await db.search_vocab_stale_since() is not None:
                await db.after_bulk_load()
    return summary


async def _ingest_urls(
    db: Database,
    urls: Sequence[str],
    fmt: str | None,
    collection: str | None,
    summary: IngestSummary,
    progress: bool,
) -> None:
    """Ingest what the URLs hold; each URL's documents are stored before the next is
    fetched, so what was fetched is kept if the run stops."""
    from store.web.source import WebSource  # httpx, trafilatura, feedparser: only for URLs

    bar_options = {"unit": "URL", "desc": "fetch", "disable": not progress, "leave": False}
    with (
        tqdm(total=len(urls), **bar_options) as bar,
        WebSource(db.stored_links, fmt=fmt, progress=bar) as web,
    ):
        for url in urls:
            batch: list[tuple[ParsedDocument, str]] = []
            async for item in web.documents(url):
                if isinstance(item, RecordError):
                    summary.fail(item.origin, item.reason)
                elif not item.paragraphs:
                    summary.fail(item.origin, "no paragraphs of text")
                else:
                    if collection:
                        item.collection = collection
                    batch.append((item, content_hash(item.paragraphs)))
                    if len(batch) >= BATCH_DOCUMENTS:
                        await _flush(db, batch, summary)
            await _flush(db, batch, summary)
        summary.urls += web.urls
        summary.known_entries += web.already_stored


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
