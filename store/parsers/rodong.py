"""``rodong``: Rodong Sinmun English front-page stories (rodong_sinmun_frontpage_2021_2022).

JSON Lines with ``url`` (``newsID=YYYY-MM-DD-NNNN`` gives the date), ``title``,
``byline`` and ``content`` (a list of paragraphs).  Decisions:

* ``content[0]`` is a subtitle when it does not end like a sentence (no final
  ``. ! ? :`` or closing quote).  It is kept out of the body and added to the title:
  after ``": "``, or after a space when the title was cut mid-phrase ("… Photo Session
  with" + "Participants in …").  A first paragraph that ends like a sentence is body.
* ``byline`` is normally "Political News Team"; anything else is the speech's closing
  sentence that the scraper misfiled, so it becomes the last paragraph (unless the body
  already ends with it).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from store.models import ParsedDocument
from store.parsers.common import (
    FormatSpec,
    Item,
    fallback_title,
    iso_date,
    json_line_documents,
    text_field,
)
from store.parsers.links import web_link
from store.text.clean import clean_paragraph

FORMAT = "rodong"
COLLECTION = "rodong_sinmun_frontpage_2021_2022"

_SNIFF = re.compile(r'^\s*\{[^\n]{0,1000}?"content"\s*:\s*\[')
_NEWS_ID = re.compile(r"newsID=(\d{4}-\d{2}-\d{2})")
_SENTENCE_END = (".", "!", "?", ":", '"', "”", "’", "'", ")")
_CUT_TITLE = re.compile(r"(?:^|\s)[a-z][a-z-]*$")  # ends in a lower-case word: "… with"
_TEAM_BYLINE = re.compile(r"^(?:[\w ]+ )?(?:News )?Team$|^By [A-Z]", re.IGNORECASE)


def _sniff(head: str) -> bool:
    return _SNIFF.match(head) is not None and "rodong" in head[:2000].lower()


def _path_hint(path: Path, head: str) -> bool:
    return (
        path.suffix.lower() == ".jsonl"
        and "rodong" in path.name.lower()
        and _SNIFF.match(head) is not None
    )


def _title_with_subtitle(title: str, subtitle: str) -> str:
    if not title:
        return subtitle
    if _CUT_TITLE.search(title):
        return f"{title} {subtitle}"
    return f"{title}: {subtitle}"


def record_to_document(record: dict[str, Any], origin: str) -> ParsedDocument | None:
    """One story as a document, or ``None`` when its content is empty."""
    content = record.get("content")
    if not isinstance(content, list):
        return None
    paragraphs = [p for p in (clean_paragraph(c) for c in content if isinstance(c, str)) if p]
    if not paragraphs:
        return None
    raw_title = text_field(record, "title")
    title = clean_paragraph(raw_title) if raw_title else ""
    half = len(title) // 2
    if half and title[:half] == title[half:]:  # the scraper doubled some titles
        title = title[:half]
    if len(paragraphs) > 1 and not paragraphs[0].endswith(_SENTENCE_END):
        title = _title_with_subtitle(title, paragraphs.pop(0))
    byline = text_field(record, "byline")
    if byline:
        closing = clean_paragraph(byline)
        if not _TEAM_BYLINE.match(closing) and closing != paragraphs[-1]:
            paragraphs.append(closing)
    url = text_field(record, "url") or ""
    m = _NEWS_ID.search(url)
    return ParsedDocument(
        title=title or fallback_title(paragraphs),
        paragraphs=paragraphs,
        origin=origin,
        source_format=FORMAT,
        date=iso_date(m[1]) if m else None,
        agency="Rodong Sinmun",
        language="en",
        collection=COLLECTION,
        url=web_link(url),
    )


def parse(path: Path, text: str) -> Iterator[Item]:
    """Yield one document per story line; broken lines give a RecordError."""
    yield from json_line_documents(path, text, record_to_document)


SPEC = FormatSpec(FORMAT, _sniff, _path_hint, parse)
