"""``miller``: Miller Center presidential speech transcripts (us_presidential_speeches_miller).

``YYYY-MM-DD-slug.txt`` (one file has no extension).  Line 1 is ``President: <Name>``
(the speaker), then a blank line and the transcript.  Paragraphs are separated by blank
lines; single newlines inside a paragraph are soft wraps and become spaces — except in
a transcript with no blank line at all, where each line is a paragraph.  The date
comes from the file name and the title from the slug ("first-inaugural-address" ->
"First Inaugural Address").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from store.models import ParsedDocument
from store.parsers.common import FormatSpec, Item, iso_date
from store.parsers.links import miller_page
from store.text.clean import clean_paragraph, has_blank_lines, split_blank_line_blocks, split_lines

FORMAT = "miller"
COLLECTION = "us_presidential_speeches_miller"

_HEADER = re.compile(r"\A\s*President:[ \t]*([^\n]*)\n")
_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})-([a-z0-9-]+?)(?:\.txt)?$")
_SMALL_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "as",
        "at",
        "but",
        "by",
        "for",
        "from",
        "in",
        "into",
        "of",
        "on",
        "or",
        "over",
        "the",
        "to",
        "upon",
        "vs",
        "with",
    ]
)


def _sniff(head: str) -> bool:
    return _HEADER.match(head) is not None


def _path_hint(path: Path, head: str) -> bool:
    return _NAME.match(path.name) is not None and head.lstrip().startswith("President:")


def title_from_slug(slug: str) -> str:
    """``"address-to-the-nation"`` -> ``"Address to the Nation"``."""
    words = [w for w in slug.split("-") if w]
    return " ".join(
        w if i and w in _SMALL_WORDS else w[:1].upper() + w[1:] for i, w in enumerate(words)
    )


def parse(path: Path, text: str) -> Iterator[Item]:
    """Yield the single speech of the file."""
    m = _HEADER.match(text)
    speaker = clean_paragraph(m[1]) if m else None
    transcript = text[m.end() :] if m else text
    # about 120 transcripts have no blank line at all: there every line is a paragraph
    body = (
        split_blank_line_blocks(transcript)
        if has_blank_lines(transcript)
        else split_lines(transcript)
    )
    if not body:
        return
    name = _NAME.match(path.name)
    yield ParsedDocument(
        title=title_from_slug(name[2]) if name else path.stem,
        paragraphs=body,
        origin=str(path),
        source_format=FORMAT,
        speaker=speaker or None,
        date=iso_date(name[1]) if name else None,
        language="en",
        collection=COLLECTION,
        url=miller_page(name[1], name[2]) if name else None,
    )


SPEC = FormatSpec(FORMAT, _sniff, _path_hint, parse)
