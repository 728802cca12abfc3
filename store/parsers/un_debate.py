"""``un-debate``: UN General Debate speeches (UNGDC), ``ISO3_SESSION_YEAR.txt``.

There is no header: the country code, session and year come from the file name.
The document is titled ``"Germany (DEU) statement, UN General Debate, 79th session
(2024)"``; ``speaker`` holds the country's name and its ISO 3166 alpha-3 code
(``"Germany (DEU)"``: ``by:Germany`` and ``by:DEU`` both find it), place is New York and
the date is the year.

Layouts differ by file: one paragraph per line; blank-line separated; or hard-wrapped
at ~50-100 columns (with or without blank lines, often with trailing spaces and words
hyphenated across lines).  One rule set handles all of them, see :func:`paragraphs`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from store.models import ParsedDocument, PartialDate
from store.parsers.common import FormatSpec, Item
from store.parsers.un_countries import country_name
from store.text.clean import clean_paragraph, join_wrapped_lines

FORMAT = "un-debate"
COLLECTION = "un_general_debate"

_NAME = re.compile(r"^([A-Z]{2,3})_(\d{1,3})_(\d{4})(?:\.txt)?$")
_TERMINAL = frozenset('.!?:;…"”’)')
_WRAP_LIMIT = 110  # a file whose 90th-percentile line is shorter than this is hard-wrapped


def _path_hint(path: Path, head: str) -> bool:
    return _NAME.match(path.name) is not None


def _ordinal(n: int) -> str:
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _wrap_width(lines: list[str]) -> int | None:
    lengths = sorted(len(line) for line in lines if line)
    if not lengths:
        return None
    p90 = lengths[int(len(lengths) * 0.9)]
    return p90 if p90 <= _WRAP_LIMIT and len(lengths) >= 10 else None


def _breaks(prev: str, line: str, blank_between: bool, width: int | None) -> bool:
    """Does ``line`` start a new paragraph after ``prev`` (both non-empty)?"""
    first = line.lstrip()[:1]
    unfinished = prev[-1].isalnum() or prev[-1] in ",-–("
    if unfinished and first.islower():
        return False  # a sentence broken across lines (or by a stray blank line)
    if width is None:
        return True  # one paragraph per line
    if line[:1].isspace() or blank_between:
        return True  # indented first line, or a blank line
    if prev[-1] in _TERMINAL and len(prev) < 0.8 * width:
        return True  # a sentence ended before the right margin
    return prev[-1] == "," and len(prev) < 0.5 * width and first.isupper()  # "Mr. President,"


def paragraphs(text: str) -> list[str]:
    """Split a speech into cleaned paragraphs, joining hard-wrapped lines."""
    lines = [line.rstrip() for line in text.split("\n")]
    width = _wrap_width(lines)
    out: list[list[str]] = []
    prev = ""
    blank = False
    for line in lines:
        if not line.strip():
            blank = True
            continue
        if not out or _breaks(prev, line, blank, width):
            out.append([line])
        else:
            out[-1].append(line)
        prev, blank = line.rstrip(), False
    return [p for p in (clean_paragraph(join_wrapped_lines(group)) for group in out) if p]


def parse(path: Path, text: str) -> Iterator[Item]:
    """Yield the single speech of the file."""
    body = paragraphs(text)
    if not body:
        return
    m = _NAME.match(path.name)
    if m:
        country, session, year = country_name(m[1]), int(m[2]), int(m[3])
        title = f"{country} statement, UN General Debate, {_ordinal(session)} session ({year})"
        date: PartialDate | None = PartialDate(year)
    else:
        country, title, date = None, f"UN General Debate statement ({path.stem})", None
    yield ParsedDocument(
        title=title,
        paragraphs=body,
        origin=str(path),
        source_format=FORMAT,
        speaker=country,
        date=date,
        place="New York",
        language="en",
        collection=COLLECTION,
    )


SPEC = FormatSpec(FORMAT, lambda head: False, _path_hint, parse)
