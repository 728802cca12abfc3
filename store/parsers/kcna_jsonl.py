"""``kcna-jsonl``: KCNA stories from kcna.co.jp, 2011-2012 (kcna_xmarquez_2011_2012).

JSON Lines with ``title``, ``date`` (ISO), ``language``, ``index_link`` and ``story``.
The story has no dateline and no newlines: the scraper joined the original paragraphs
with ``", "``, so a paragraph break shows as ``", , "`` (with stray ``\\r`` and spaces)
and most stories end in a run of ``, , , , ,`` junk.  A run of two or more commas is
a paragraph break; when the run starts ``",,"`` the first comma ends the paragraph.
A lone `` , `` between a finished sentence and a capital (``Il. , He``, ~570 times)
is a line break of the original and also starts a new paragraph.

The ``language`` label is unreliable (about 800 Spanish stories are labelled "en"), so
the language is detected from function words in the story's opening; the label is
used only when the opening gives no evidence.
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

FORMAT = "kcna-jsonl"
COLLECTION = "kcna_xmarquez_2011_2012"

_BREAK = re.compile(
    r",(?:"
    r"(?:[ \t\r\u3000]*,)+[\s,]*"  # ", , " and the junk tail
    r"|(?<=[.!?\"”’)] ,)[ \t\r]+(?=[A-Z¿¡\"“])"  # "…Kim Jong Il. , He was…"
    r")"
)
_SPANISH = re.compile(r" (?:el|la|los|las|del|que|en|por|con|una|para) ")
_ENGLISH = re.compile(r" (?:the|of|and|to|in|for|with|was|on|by|is) ")
_SNIFF = re.compile(r'^\s*\{[^\n]{0,2000}?"index_link"\s*:')


def _sniff(head: str) -> bool:
    return _SNIFF.match(head) is not None and '"story"' in head


def _path_hint(path: Path, head: str) -> bool:
    return path.suffix.lower() == ".jsonl" and '"story"' in head[:4000]


def split_story(story: str) -> list[str]:
    """Split a ``", , "``-joined story into cleaned paragraphs, dropping the junk tail."""
    pieces: list[str] = []
    last = 0
    for m in _BREAK.finditer(story):
        piece = story[last : m.start()]
        if m.group().startswith(",,"):
            piece += ","
        pieces.append(piece)
        last = m.end()
    pieces.append(story[last:])
    return [p for p in map(clean_paragraph, pieces) if p]


def detect_language(text: str, label: str | None) -> str | None:
    """``"es"`` or ``"en"`` from function-word counts in the opening; else the label."""
    head = text[:600]
    spanish = len(_SPANISH.findall(head))
    english = len(_ENGLISH.findall(head))
    if spanish == english:
        return label
    return "es" if spanish > english else "en"


def record_to_document(record: dict[str, Any], origin: str) -> ParsedDocument | None:
    """One story as a document, or ``None`` when it has no body."""
    story = text_field(record, "story")
    if story is None:
        return None
    paragraphs = split_story(story)
    if not paragraphs:
        return None
    title = text_field(record, "title")
    date = record.get("date")
    label = text_field(record, "language")
    return ParsedDocument(
        title=clean_paragraph(title) if title else fallback_title(paragraphs),
        paragraphs=paragraphs,
        origin=origin,
        source_format=FORMAT,
        date=iso_date(date) if isinstance(date, str) else None,
        agency="KCNA",
        language=detect_language(story, label.strip().lower() if label else None),
        collection=COLLECTION,
        url=(index := web_link(record.get("index_link"))),
        url_is_index=index is not None,  # the day's index page that lists the story
    )


def parse(path: Path, text: str) -> Iterator[Item]:
    """Yield one document per story line; broken lines give a RecordError."""
    yield from json_line_documents(path, text, record_to_document)


SPEC = FormatSpec(FORMAT, _sniff, _path_hint, parse)
