"""Plain-text speeches: the ``kcna-text`` format of the bundled sample, and generic ``text``.

kcna-text: the first non-empty line is the title; the next line opens with a news
dateline (``Pyongyang, March 1 (KCNA) -- ``) that gives place, date and agency and is
removed from the body; paragraphs are separated by blank lines (single newlines inside a
block are soft wraps); a paragraph broken mid-sentence by a stray blank line is re-joined;
``**bold**`` markers and the trailing `` -0-`` end mark are removed.

text: the fallback for a file named explicitly that no format recognises: the first
non-empty line is the title when it looks like one (at most ``TITLE_MAX_CHARS``, not
ending with a full stop, and not hard-wrapped into the next line of a file with blank
lines between paragraphs), else the title comes from the file name and that line starts
the first paragraph; blank-line separated paragraphs (one per line when the file has no blank
lines at all).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from store.models import ParsedDocument
from store.parsers.common import (
    DATELINE,
    FormatSpec,
    Item,
    first_line,
    never,
    split_dateline,
    strip_end_mark,
)
from store.text.clean import (
    clean_paragraph,
    has_blank_lines,
    rejoin_broken_paragraphs,
    split_blank_line_blocks,
    split_lines,
)

FORMAT = "kcna-text"
TEXT_FORMAT = "text"

_LINE_START_DATELINE = re.compile(r"(?m)^" + DATELINE.pattern)
TITLE_MAX_CHARS = 150  # a longer first line of a generic text file is a paragraph
_SENTENCE_END = (".", "…")  # (before any closing quotes; "Why We Fight?" is a title)
_CLOSING_QUOTES = "\"'\u201d\u2019)"


def _sniff(head: str) -> bool:
    """A title line followed (within a few lines) by a line opening with a dateline."""
    lines = [line for line in head.split("\n", 12)[:12] if line.strip()]
    return any(DATELINE.match(line.strip()) for line in lines[1:5])


def _paragraphs(body: str) -> list[str]:
    if has_blank_lines(body):
        return rejoin_broken_paragraphs(split_blank_line_blocks(body))
    return split_lines(body)


def parse_kcna_text(path: Path, text: str) -> Iterator[Item]:
    """Yield the single document of a kcna-text file."""
    title, body = first_line(text)
    body = body.strip()
    dateline, body = split_dateline(body)
    body = strip_end_mark(body)
    paragraphs = _paragraphs(body)
    if not paragraphs:
        return
    yield ParsedDocument(
        title=clean_paragraph(title),
        paragraphs=paragraphs,
        origin=str(path),
        source_format=FORMAT,
        date=dateline.date if dateline else None,
        place=dateline.place if dateline else None,
        agency=dateline.agency if dateline else None,
        language="en",
        collection=None,
    )


def parse_text(path: Path, text: str) -> Iterator[Item]:
    """Yield the single document of a generic text file (title: its first non-empty
    line when that looks like a title, else from the file name)."""
    title, body = first_line(text)
    # a speech that starts at once keeps its first words: a first line that is a
    # sentence, too long for a title, or hard-wrapped into the next line of a file with
    # blank lines between paragraphs is text
    wrapped = has_blank_lines(body) and not body.lstrip(" \t\r").startswith("\n")
    if wrapped or not looks_like_title(title):
        title, body = "", text
    paragraphs = _paragraphs(body)
    if not paragraphs:
        # a one-line file: the line is both the title and the only paragraph
        paragraphs = [p for p in [clean_paragraph(title)] if p]
    if not paragraphs:
        return
    yield ParsedDocument(
        title=clean_paragraph(title) or title_from_name(path),
        paragraphs=paragraphs,
        origin=str(path),
        source_format=TEXT_FORMAT,
        collection=None,
    )


SPEC = FormatSpec(FORMAT, _sniff, never, parse_kcna_text)
TEXT_SPEC = FormatSpec(TEXT_FORMAT, lambda head: False, never, parse_text)


def looks_like_title(line: str) -> bool:
    """Whether a file's first line reads as its title: short, and not a sentence."""
    line = line.strip()
    ends = line.rstrip(_CLOSING_QUOTES)
    return 0 < len(line) <= TITLE_MAX_CHARS and not ends.endswith(_SENTENCE_END)


def title_from_name(path: Path) -> str:
    """A title from a file's name: ``gettysburg_address.txt`` is "gettysburg address"."""
    return " ".join(re.split(r"[_\-\s]+", path.stem)).strip() or path.name
