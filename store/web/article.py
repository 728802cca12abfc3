"""An article page's main text as a document: trafilatura finds the text (leaving out
menus, footers, comments and tables) and its metadata (title, date, author); this module
turns what it found into a :class:`~store.models.ParsedDocument` like the parsers make.

Paragraphs are trafilatura's text blocks (paragraphs, block quotes, list items), each
cleaned as a parser cleans one (:func:`store.text.clean.clean_paragraph`); headings are
left out (the title is kept apart).  A first paragraph that opens with a news dateline
(``Pyongyang, May 2 (KCNA) -- ``) gives place, agency and — when the page gives no date —
the date, as in a KCNA text file.  The date is only one the page states in its metadata
or markup; trafilatura's wider search of the text for dates is off, so none is guessed.
"""

from __future__ import annotations

from typing import Any

import trafilatura

from store.models import ParsedDocument, ParseError
from store.parsers.common import bounded, fallback_title, iso_date, split_dateline
from store.text.clean import clean_paragraph, split_blank_line_blocks

ARTICLE_FORMAT = "web-article"
# trafilatura refuses larger pages (its MAX_FILE_SIZE): said here, with the reason
MAX_PAGE_BYTES = 20_000_000
_TEXT_BLOCKS = frozenset({"p", "quote", "item", "code"})
_CONTAINERS = frozenset({"list", "div", "body"})


def _extract(html: bytes | str, url: str | None) -> Any:
    """trafilatura's Document for ``html`` (``None`` when it found no main text)."""
    return trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        favor_recall=True,
        date_extraction_params={"extensive_search": False, "original_date": True},
    )


def _block_text(element: Any) -> str:
    for line_break in element.iter("lb"):  # <lb/> ends a line: a space, not glued words
        line_break.tail = " " + (line_break.tail or "")
    return "".join(element.itertext())


def _paragraphs(element: Any) -> list[str]:
    """The cleaned text blocks under trafilatura's ``body`` element, in order."""
    out: list[str] = []
    for child in element:
        tag = child.tag
        if not isinstance(tag, str) or tag == "head":
            continue
        if tag in _CONTAINERS or (tag == "quote" and any(c.tag == "p" for c in child)):
            out += _paragraphs(child)
        elif tag in _TEXT_BLOCKS and (text := clean_paragraph(_block_text(child))):
            out.append(text)
    return out


def html_paragraphs(html: str) -> list[str]:
    """The paragraphs of an HTML fragment (a feed entry's content); ``[]`` if none."""
    found = _extract(f"<html><body><article>{html}</article></body></html>", None)
    return _paragraphs(found.body) if found is not None and found.body is not None else []


def text_paragraphs(text: str) -> list[str]:
    """The paragraphs of plain text (blank-line separated)."""
    return [p for p in map(clean_paragraph, split_blank_line_blocks(text)) if p]


def article_document(html: bytes, url: str, collection: str | None = None) -> ParsedDocument:
    """The main text of the page ``html`` fetched from ``url`` as one document (origin
    and link: ``url``); :class:`ParseError` when the page has no main text."""
    if len(html) > MAX_PAGE_BYTES:
        raise ParseError(
            f"page too large to extract its text ({len(html) / 2**20:.3g} MB; "
            f"at most {MAX_PAGE_BYTES / 2**20:.3g} MB)"
        )
    found = _extract(html, url)
    paragraphs = _paragraphs(found.body) if found is not None and found.body is not None else []
    if not paragraphs:
        raise ParseError("no article text found on the page")
    title = clean_paragraph(found.title or "")
    if paragraphs[0] == title and len(paragraphs) > 1:
        paragraphs = paragraphs[1:]
    dateline, first = split_dateline(paragraphs[0])
    if dateline is not None and first.strip():
        paragraphs[0] = first.strip()
    date = iso_date(found.date) or (dateline.date if dateline else None)
    author = clean_paragraph(found.author or "") or None
    return document_from_parts(
        url,
        url,
        title or fallback_title(paragraphs),
        paragraphs,
        ARTICLE_FORMAT,
        speaker=author,
        date=date,
        place=dateline.place if dateline else None,
        agency=dateline.agency if dateline else None,
        collection=collection,
    )


def document_from_parts(
    link: str | None,
    origin: str,
    title: str,
    paragraphs: list[str],
    source_format: str,
    **fields: Any,
) -> ParsedDocument:
    """A document from the web (``link``: its URL, stored as ``documents.url``; ``origin``:
    how it is reported), held to the size bounds."""
    doc = ParsedDocument(
        title=title,
        paragraphs=paragraphs,
        origin=origin,
        source_format=source_format,
        url=link,
        **fields,
    )
    bounded(doc)  # in place: long paragraphs split, fields cut, surrogates replaced
    return doc
