"""Helpers shared by the format parsers: reading a file within the size cap, datelines,
dates, document assembly, and the bounds every parsed document is held to."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from store.models import ParsedDocument, ParseError, PartialDate, RecordError
from store.text.clean import cap_field, scrub_surrogates, split_long_paragraphs

# A file larger than this is refused, with the reason, before it is read (read at call
# time, so tests may lower it).  The largest corpus file is ~25 MB.
MAX_FILE_BYTES = 64 * 1024 * 1024

MONTHS = {
    name.lower(): number
    for number, names in enumerate(
        (
            ("January", "Jan"),
            ("February", "Feb"),
            ("March", "Mar"),
            ("April", "Apr"),
            ("May",),
            ("June", "Jun"),
            ("July", "Jul"),
            ("August", "Aug"),
            ("September", "Sep", "Sept"),
            ("October", "Oct"),
            ("November", "Nov"),
            ("December", "Dec"),
        ),
        start=1,
    )
    for name in names
}

# "Pyongyang, March 1 (KCNA) -- ", "Beijing, July 4, 2024 (Xinhua) — "
DATELINE = re.compile(
    r"(?P<place>[A-Z][A-Za-z.'’ -]{1,40}?),\s+"
    r"(?P<month>[A-Z][a-z]{2,8})\.?\s+(?P<day>\d{1,2})(?:,?\s+(?P<year>\d{4}))?\s*"
    r"\((?P<agency>[A-Z][A-Za-z&. -]{0,20})\)\s*(?:--|—|–|-)\s*"
)
ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


@dataclass(frozen=True, slots=True)
class Dateline:
    """What a news dateline says: place, agency and a (possibly year-less) date."""

    place: str
    agency: str
    date: PartialDate | None


def split_dateline(text: str) -> tuple[Dateline | None, str]:
    """Split a leading news dateline off ``text``; return ``(dateline, rest)``.

    ``(None, text)`` when the text does not start with a dateline.
    """
    m = DATELINE.match(text)
    if m is None:
        return None, text
    month = MONTHS.get(m["month"].lower())
    if month is None:
        return None, text
    day = int(m["day"])
    try:
        date: PartialDate | None = PartialDate(int(m["year"]) if m["year"] else None, month, day)
    except ValueError:
        date = None
    return Dateline(m["place"].strip(), m["agency"].strip(), date), text[m.end() :]


def read_file(path: Path) -> bytes:
    """The bytes of the file at ``path``; :class:`ParseError` (message starting with the
    path) when it cannot be read or holds more than :data:`MAX_FILE_BYTES`.  Never reads
    more than the cap plus one byte, even from a file that grows or lies about its size."""
    limit = MAX_FILE_BYTES
    try:
        with path.open("rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            data = b"" if size > limit else _read_upto(fh, size, limit)
    except FileNotFoundError:
        raise ParseError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ParseError(f"{path}: is a directory, not a file") from None
    except OSError as exc:
        raise ParseError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if size > limit or len(data) > limit:
        found = amount(size) if size > limit else f"more than {amount(limit)}"
        raise ParseError(
            f"{path}: too large ({found}; a file may have at most {amount(limit)}): "
            "split it into smaller files"
        )
    return data


def amount(size: int) -> str:
    """A size in bytes for a message: ``"1.5 MB"``, or ``"2,048 bytes"`` under 1 MB."""
    return f"{size / 2**20:.3g} MB" if size >= 2**20 else f"{size:,} bytes"


def _read_upto(fh: BinaryIO, size: int, limit: int) -> bytes:
    """Read a file said to hold ``size`` bytes, but never more than ``limit + 1``: one
    read of the expected size (Python allocates what a read asks for), then, if the file
    grew or reports no size (``/proc``, pipes), 1 MB at a time."""
    data = fh.read(size + 1) if size else b""
    if size and len(data) <= size:
        return data
    parts, total = [data], len(data)
    while total <= limit and (chunk := fh.read(min(1 << 20, limit + 1 - total))):
        parts.append(chunk)
        total += len(chunk)
    return b"".join(parts)


def bounded(item: ParsedDocument | RecordError) -> ParsedDocument | RecordError:
    """A parsed document as the database can hold it: over-long paragraphs split at
    sentence ends, empty ones dropped, title, speaker, place, agency and collection cut
    (see :mod:`store.text.clean`), and lone surrogates (``"\\ud800"`` escapes in JSON,
    file names that are not UTF-8) replaced in every text."""
    if isinstance(item, RecordError):
        return RecordError(scrub_surrogates(item.origin), scrub_surrogates(item.reason))
    item.paragraphs = [scrub_surrogates(p) for p in split_long_paragraphs(item.paragraphs) if p]
    item.title = cap_field(scrub_surrogates(item.title))
    item.origin = scrub_surrogates(item.origin)
    for name in ("speaker", "place", "agency", "language", "collection"):
        value = getattr(item, name)
        if value is not None:
            setattr(item, name, cap_field(scrub_surrogates(value)))
    return item


def strip_end_mark(text: str) -> str:
    """Remove KCNA's trailing `` -0-`` end mark."""
    stripped = text.rstrip()
    if stripped.endswith("-0-"):
        return stripped[:-3].rstrip()
    return text


def iso_date(value: str | None) -> PartialDate | None:
    """``YYYY-MM-DD`` (at the start of ``value``) as a full date; ``None`` if absent/invalid."""
    if not value:
        return None
    m = ISO_DATE.match(value)
    if m is None:
        return None
    try:
        return PartialDate(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def first_line(text: str) -> tuple[str, str]:
    """Split off the first non-empty line: ``(line, rest)``."""
    text = text.lstrip()
    head, _, rest = text.partition("\n")
    return head.strip(), rest


Item = ParsedDocument | RecordError


@dataclass(frozen=True, slots=True)
class FormatSpec:
    """One input format: how to recognise it and how to parse it.

    ``sniff`` looks only at the decoded head of the file (content evidence);
    ``path_hint`` may also use the file name, and is consulted only when no format
    recognised the content.
    """

    name: str
    sniff: Callable[[str], bool]
    path_hint: Callable[[Path, str], bool]
    parse: Callable[[Path, str], Iterator[Item]]


def never(path: Path, head: str) -> bool:
    """A ``path_hint`` for formats recognised by content alone."""
    return False


def json_lines(path: Path, text: str) -> Iterator[tuple[str, dict[str, Any]] | RecordError]:
    """Yield ``(origin, object)`` for each line of a JSON Lines text (origin ``path#N`` with
    N the 1-based line number), or a :class:`RecordError` for a line that is not a JSON
    object.  Blank lines are skipped.  Lines are cut out one at a time (no list of them
    all beside the text)."""
    start, n = 0, 0
    while start <= len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        line, start, n = text[start:end], end + 1, n + 1
        if not line.strip():
            continue
        origin = f"{path}#{n}"
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            yield RecordError(origin, f"invalid JSON at column {exc.colno}: {exc.msg}")
            continue
        if not isinstance(value, dict):
            yield RecordError(origin, f"expected a JSON object, found {type(value).__name__}")
            continue
        yield origin, value


def json_line_documents(
    path: Path,
    text: str,
    to_document: Callable[[dict[str, Any], str], ParsedDocument | None],
) -> Iterator[ParsedDocument | RecordError]:
    """One document per JSON Lines record (``to_document(record, origin)``; records it
    turns down, e.g. with no body, are skipped); broken lines give a RecordError."""
    for item in json_lines(path, text):
        if isinstance(item, RecordError):
            yield item
            continue
        doc = to_document(item[1], item[0])
        if doc is not None:
            yield doc


def fallback_title(paragraphs: list[str], limit: int = 80) -> str:
    """A title for a record that has none: its first paragraph, cut at a word near ``limit``."""
    first = paragraphs[0] if paragraphs else ""
    if len(first) <= limit:
        return first or "Untitled"
    cut = first.rfind(" ", 0, limit)
    return first[: cut if cut > limit // 2 else limit].rstrip(" ,;:") + "…"


def text_field(record: dict[str, Any], key: str) -> str | None:
    """A non-blank string field of a JSON record, else ``None``."""
    value = record.get(key)
    return value if isinstance(value, str) and value.strip() else None
