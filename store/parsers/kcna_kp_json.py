"""``kcna-kp-json``: the kcna.kp archive (kcna_stiles_2024), one JSON array of articles.

Each object has ``headline``, ``date`` (epoch milliseconds, midnight UTC), ``link``,
``topic`` and ``story_text``.  The body opens with a dateline (place and agency are
taken from it; the full date comes from ``date``), paragraphs are separated by ``\\n``
and the body ends with `` -0-``.  Records without a body (photo/video items) are skipped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from store.models import ParsedDocument, ParseError, PartialDate, RecordError
from store.parsers.common import FormatSpec, Item, iso_date, split_dateline, strip_end_mark
from store.parsers.links import web_link
from store.text.clean import clean_paragraph

FORMAT = "kcna-kp-json"
COLLECTION = "kcna_stiles_2024"

_SNIFF = re.compile(r'^\s*\[\s*\{[^}]*"(?:story_text|headline)"\s*:')


def _sniff(head: str) -> bool:
    return _SNIFF.match(head[:4096]) is not None


def _path_hint(path: Path, head: str) -> bool:
    return path.suffix.lower() == ".json" and head.lstrip().startswith("[")


def _date(record: dict[str, Any]) -> PartialDate | None:
    value = record.get("date")
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            day = datetime.fromtimestamp(value / 1000, tz=UTC)
        except (OverflowError, OSError, ValueError):
            day = None
        if day is not None:
            return PartialDate(day.year, day.month, day.day)
    for key in ("date_str", "date"):
        text = record.get(key)
        if isinstance(text, str) and (found := iso_date(text)):
            return found
    return None


def record_to_document(record: dict[str, Any], origin: str) -> ParsedDocument | None:
    """One kcna.kp article as a document, or ``None`` when it has no body."""
    body = record.get("story_text")
    if not isinstance(body, str) or not body.strip():
        return None
    dateline, body = split_dateline(body.strip())
    body = strip_end_mark(body)
    paragraphs = [p for p in map(clean_paragraph, body.split("\n")) if p]
    if not paragraphs:
        return None
    title = record.get("headline")
    date = _date(record)
    if date is None and dateline is not None:
        date = dateline.date
    return ParsedDocument(
        title=clean_paragraph(title) if isinstance(title, str) and title.strip() else "Untitled",
        paragraphs=paragraphs,
        origin=origin,
        source_format=FORMAT,
        date=date,
        place=dateline.place if dateline else None,
        agency=dateline.agency if dateline else "KCNA",
        language="en",
        collection=COLLECTION,
        url=web_link(record.get("link")),
    )


def parse(path: Path, text: str) -> Iterator[Item]:
    """Parse the whole array eagerly (so invalid JSON raises at once), then yield."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(
            f"{path}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    if not isinstance(data, list):
        raise ParseError(f"{path}: expected a JSON array of articles, found {type(data).__name__}")
    return _documents(path, data)


def _documents(path: Path, data: list[Any]) -> Iterator[Item]:
    for n, record in enumerate(data, start=1):
        origin = f"{path}#{n}"
        if not isinstance(record, dict):
            yield RecordError(origin, f"expected an object, found {type(record).__name__}")
            continue
        doc = record_to_document(record, origin)
        if doc is not None:
            yield doc


SPEC = FormatSpec(FORMAT, _sniff, _path_hint, parse)
