"""``html``: a web page saved as a file (``.html``/``.htm``, or content opening with
``<!DOCTYPE html>`` or ``<html``): its main text and metadata are found as for a page
fetched from a URL (:func:`store.web.article.article_document`: trafilatura, menus and
footers left out), so tags never reach the paragraphs and the page's title is the title.
The document's origin is the file; it has no link.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

from store.parsers.common import FormatSpec, Item

FORMAT = "html"


def _sniff(head: str) -> bool:
    opening = head.lstrip()[:15].lower()
    return opening.startswith(("<!doctype html", "<html"))


def _path_hint(path: Path, head: str) -> bool:
    return path.suffix.lower() in (".html", ".htm") and "<" in head


def parse(path: Path, text: str) -> Iterator[Item]:
    """Yield the page's main text as one document; :class:`~store.models.ParseError`
    when it has none."""
    from store.web.article import article_document  # trafilatura: imported when needed

    page = article_document(text.encode("utf-8"), path.resolve().as_uri())
    yield dataclasses.replace(page, origin=str(path), url=None, source_format=FORMAT)


SPEC = FormatSpec(FORMAT, _sniff, _path_hint, parse)
