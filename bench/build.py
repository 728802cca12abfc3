"""Build the scale databases for search evaluation from real text only.

Documents come from every folder of the shared corpora and from the KJV (``bible -f
"Gen1:1-Rev22:21"``, one document per chapter), all through the project's own parsers.
A deterministic ~5% of the UN and Miller Center speeches is *held out*: never
indexed, written to ``holdout.jsonl`` beside the database, the source of negative
queries.  A smaller scale takes whole documents in a fixed pseudo-random order until
the paragraph target is met (the last one cut short); a larger one adds windows of
2–4 consecutive real paragraphs as extra paragraphs.  Never random words.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import random
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from store.db import open_database
from store.ingest import content_hash, expand_paths
from store.models import ParsedDocument, ParseError, RecordError
from store.parsers import kjv, parse_file

HOLDOUT_FOLDERS = ("un_general_debate", "us_presidential_speeches_miller")
HOLDOUT_PERCENT = 5
WINDOW_COLLECTION = "windows"
LONGER_WINDOWS = (5, 6, 7, 8)


@dataclass(frozen=True, slots=True)
class BuildSummary:
    """What went into a scale database."""

    documents: int
    paragraphs: int
    window_paragraphs: int
    holdout_documents: int


def _key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def corpus_documents(corpora: Path) -> Iterator[ParsedDocument]:
    """Every document the project's parsers find under ``corpora`` (broken records skipped)."""
    items, _missing = expand_paths([corpora])
    for item in items:
        if item.path.suffix.lower() == ".md":
            continue
        try:
            for parsed in parse_file(item.path):
                if isinstance(parsed, RecordError) or not parsed.paragraphs:
                    continue
                relative = item.path.relative_to(corpora)
                parsed.collection = parsed.collection or relative.parts[0]
                yield parsed
        except ParseError:
            continue


def kjv_documents() -> Iterator[ParsedDocument]:
    """The KJV from Debian's ``bible`` program, read by the project's own ``kjv`` parser
    (:mod:`store.parsers.kjv`): one document per chapter, titled as the parser titles it."""
    if shutil.which("bible") is None:
        return
    out = subprocess.run(
        ["bible", "-f", "Gen1:1-Rev22:21"], capture_output=True, text=True, check=True
    ).stdout
    for parsed in kjv.parse(Path("bible-kjv"), out):
        if isinstance(parsed, ParsedDocument):
            yield parsed


def _is_holdout(doc: ParsedDocument) -> bool:
    if doc.collection not in HOLDOUT_FOLDERS and not any(f in doc.origin for f in HOLDOUT_FOLDERS):
        return False
    return int(_key(doc.origin)[:8], 16) % 100 < HOLDOUT_PERCENT


def _windows(
    docs: list[ParsedDocument], needed: int, seed: int, source_order: list[ParsedDocument]
) -> Iterator[ParsedDocument]:
    """Documents of windows of 2–4 consecutive paragraphs, ``needed`` paragraphs in all.

    Windows inside one document come first; if they are not enough, windows that run
    across the boundary of two documents adjacent in their source file (the real
    paragraphs that follow each other there), then windows of 5-8 paragraphs.
    """
    rng = random.Random(seed)
    made = 0
    for window_doc in _inner_windows(rng, docs, needed):
        made += len(window_doc.paragraphs)
        yield window_doc
    if made < needed:
        for window_doc in _boundary_windows(source_order, needed - made):
            made += len(window_doc.paragraphs)
            yield window_doc
    if made < needed:
        # The corpora have too few paragraphs for 2-4 windows alone to reach the
        # target (every window of 2-4 is taken by now): longer windows, still real text.
        yield from _inner_windows(rng, docs, needed - made, LONGER_WINDOWS)


def _boundary_windows(docs: list[ParsedDocument], needed: int) -> Iterator[ParsedDocument]:
    made = 0
    for before, after in itertools.pairwise(docs):
        if made >= needed or before.collection != after.collection:
            continue
        windows = []
        for size in (2, 3, 4):
            for take in range(1, size):  # paragraphs from the end of ``before``
                head, tail = before.paragraphs[-take:], after.paragraphs[: size - take]
                if len(head) == take and len(tail) == size - take:
                    windows.append(" ".join(head + tail))
        windows = windows[: needed - made]
        if windows:
            made += len(windows)
            yield ParsedDocument(
                f"{before.title} / {after.title} (windows)",
                windows,
                f"{before.origin}+{after.origin}#w",
                before.source_format,
                language=before.language,
                collection=WINDOW_COLLECTION,
            )


def _inner_windows(
    rng: random.Random, docs: list[ParsedDocument], needed: int, sizes: tuple[int, ...] = (2, 3, 4)
) -> Iterator[ParsedDocument]:
    made = 0
    for size in sizes:
        order = list(range(len(docs)))
        rng.shuffle(order)
        for i in order:
            doc = docs[i]
            if made >= needed:
                return
            if len(doc.paragraphs) < size:
                continue
            windows = [
                " ".join(doc.paragraphs[j : j + size])
                for j in range(len(doc.paragraphs) - size + 1)
            ][: needed - made]
            made += len(windows)
            yield ParsedDocument(
                f"{doc.title} (windows of {size})",
                windows,
                f"{doc.origin}#w{size}",
                doc.source_format,
                doc.speaker,
                doc.date,
                doc.place,
                doc.agency,
                doc.language,
                WINDOW_COLLECTION,
            )


async def build_scale_database(
    out: Path, corpora: Path, target: int, seed: int = 1, progress: bool = True
) -> BuildSummary:
    """Create ``out`` (must not exist) holding exactly ``target`` paragraphs; see the module doc."""
    if out.exists():
        raise FileExistsError(f"{out} exists: remove it or choose another file")
    seen: set[str] = set()
    keep: list[tuple[str, ParsedDocument]] = []
    holdout: list[tuple[str, ParsedDocument]] = []
    source = [*corpus_documents(corpora), *kjv_documents()]
    for doc in tqdm(source, desc="documents", disable=not progress):
        digest = content_hash(doc.paragraphs)
        if digest in seen:
            continue
        seen.add(digest)
        (holdout if _is_holdout(doc) else keep).append((digest, doc))
    keep.sort(key=lambda pair: _key(f"{seed}:{pair[0]}"))
    chosen: list[tuple[ParsedDocument, str]] = []
    total = 0
    for digest, doc in keep:
        if total >= target:
            break
        if total + len(doc.paragraphs) > target:
            doc.paragraphs = doc.paragraphs[: target - total]
            digest = content_hash(doc.paragraphs)
        chosen.append((doc, digest))
        total += len(doc.paragraphs)
    chosen_ids = {id(doc) for doc, _ in chosen}
    in_order = [d for d in source if id(d) in chosen_ids]
    window_docs = list(_windows([d for d, _ in chosen], target - total, seed, in_order))
    windows = sum(len(d.paragraphs) for d in window_docs)
    chosen += [(d, content_hash(d.paragraphs)) for d in window_docs]
    out.parent.mkdir(parents=True, exist_ok=True)
    with holdout_path(out).open("w", encoding="utf-8") as fh:
        for _, doc in holdout:
            fh.write(json.dumps({"title": doc.title, "paragraphs": doc.paragraphs}) + "\n")
    async with open_database(out) as db:
        bar = tqdm(total=total + windows, desc="insert", unit="par", disable=not progress)
        for start in range(0, len(chosen), 200):
            batch = chosen[start : start + 200]
            await db.insert_documents(batch)
            bar.update(sum(len(d.paragraphs) for d, _ in batch))
        bar.close()
        await db.after_bulk_load()
    return BuildSummary(len(chosen), total + windows, windows, len(holdout))


def holdout_path(db_path: Path) -> Path:
    """Where the held-out (never indexed) documents of a scale database are written."""
    return db_path.with_name(db_path.stem + ".holdout.jsonl")
