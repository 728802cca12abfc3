"""Plain data types shared by ingest, the database layer, search and the bot.

Nothing here touches SQLite or Telegram: these are the values that flow from
parsers into the store and from the store out to whoever renders them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_ISO_PARTIAL = re.compile(r"^(?:(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?|--(\d{2})-(\d{2}))$")


@dataclass(frozen=True, slots=True)
class PartialDate:
    """A publication date of which any part may be unknown.

    KCNA datelines give "March 1" without a year; file names give full dates;
    some sources give only a year.  Stored as an ISO 8601 partial date:
    ``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD`` or ``--MM-DD`` (month and day, year unknown).
    """

    year: int | None = None
    month: int | None = None
    day: int | None = None

    def __post_init__(self) -> None:
        if self.year is None and self.month is None:
            raise ValueError("a date needs at least a year or a month")
        if self.month is not None and not 1 <= self.month <= 12:
            raise ValueError(f"month out of range: {self.month}")
        if self.day is not None and (self.month is None or not 1 <= self.day <= 31):
            raise ValueError(f"day out of range: {self.day}")

    def iso(self) -> str:
        """Return the ISO 8601 (partial) form used in the database and JSON output."""
        if self.year is None:
            return f"--{self.month:02d}-{self.day:02d}" if self.day else f"--{self.month:02d}"
        out = f"{self.year:04d}"
        if self.month is not None:
            out += f"-{self.month:02d}"
            if self.day is not None:
                out += f"-{self.day:02d}"
        return out

    def display(self) -> str:
        """Citation form: ``1 March 2024``, ``March 2024``, ``1 March (year unknown)``."""
        month = _MONTHS[self.month - 1] if self.month else ""
        if self.year is None:
            head = f"{self.day} {month}" if self.day else month
            return f"{head} (year unknown)"
        if self.month is None:
            return str(self.year)
        return f"{self.day} {month} {self.year}" if self.day else f"{month} {self.year}"

    @classmethod
    def parse_iso(cls, value: str | None) -> PartialDate | None:
        """Inverse of :meth:`iso`; ``None`` or an unparsable string gives ``None``."""
        if not value:
            return None
        m = _ISO_PARTIAL.match(value)
        if not m:
            return None
        year, month, day, md_month, md_day = m.groups()
        if md_month:
            return cls(None, int(md_month), int(md_day))
        return cls(int(year), int(month) if month else None, int(day) if day else None)


@dataclass(slots=True)
class ParsedDocument:
    """One document as a parser produced it, before it is stored.

    ``paragraphs`` hold the displayed text, already cleaned (see ``store.text.clean``)
    but otherwise as published: curly quotes and dashes stay.
    """

    title: str
    paragraphs: list[str]
    origin: str  # file path, plus "#N" for the Nth record of a multi-record file, or a URL
    source_format: str
    speaker: str | None = None
    date: PartialDate | None = None
    place: str | None = None
    agency: str | None = None
    language: str | None = None
    collection: str | None = None  # filled in by ingest when the parser leaves it empty
    url: str | None = None  # the published original, where the corpus gives one
    url_is_index: bool = False  # the link is to an index page listing it, not to it


@dataclass(frozen=True, slots=True)
class RecordError:
    """A record inside an otherwise readable file that could not be parsed."""

    origin: str
    reason: str


class ParseError(Exception):
    """A whole file cannot be parsed; the message says why, for the person running ingest."""


@dataclass(frozen=True, slots=True)
class DocumentMeta:
    """A stored document's metadata: everything a citation needs."""

    id: int
    title: str
    paragraph_count: int
    collection: str
    speaker: str | None = None
    date: PartialDate | None = None
    place: str | None = None
    agency: str | None = None
    language: str | None = None
    origin: str | None = None
    url: str | None = None  # the published original (never made up: only from the corpus)
    url_is_index: bool = False  # ... an index page that lists it, not the article itself


@dataclass(frozen=True, slots=True)
class Paragraph:
    """One stored paragraph; ``position`` counts from 1 within its document."""

    id: int
    document_id: int
    position: int
    text: str


Confidence = Literal["exact", "close", "loose"]


@dataclass(frozen=True, slots=True)
class Hit:
    """One search result.

    ``spans`` are ``(start, end)`` character offsets into ``text`` (the displayed
    paragraph text) of the words that matched, sorted and non-overlapping.
    ``also_in``: the other documents in which the same paragraph text is stored.
    """

    paragraph: Paragraph
    document: DocumentMeta
    score: float  # 0..100
    confidence: Confidence
    spans: tuple[tuple[int, int], ...] = field(default_factory=tuple)
    also_in: tuple[DocumentMeta, ...] = ()  # other documents holding the same text

    @property
    def position(self) -> int:
        """Paragraph N of M: this is N."""
        return self.paragraph.position

    @property
    def total(self) -> int:
        """Paragraph N of M: this is M."""
        return self.document.paragraph_count
