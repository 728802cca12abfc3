"""URLs named for ingest → documents, with the failures as :class:`RecordError`.

What a URL holds is told by its media type and, when that is missing or vague, by its
first bytes: an RSS or Atom feed, an HTML page (its main text is one document, see
:mod:`store.web.article`), XML of another kind (refused), or else a file in one of the
corpus formats, parsed by the same parsers as a file on disk (``--format`` applies).

A feed's entries are documents: an entry that carries the article's text is taken as it
is, the others' links are fetched as article pages.  An entry whose link is already
stored as a document's link (``documents.url``) is not fetched again, so a second run
over a feed fetches only its new entries.  A URL is fetched at most once per run.

Documents from pages and feeds keep their URL as origin and link (``documents.url``) and
go to a collection named after the host (``--collection`` overrides it); documents of a
corpus file keep the links and collection their format gives, with ``URL#N`` as origin.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlsplit

from store.models import ParsedDocument, ParseError, RecordError
from store.parsers import parse_text
from store.parsers.common import fallback_title
from store.text.clean import cap_field, decode_bytes
from store.web.article import (
    article_document,
    document_from_parts,
    html_paragraphs,
    text_paragraphs,
)
from store.web.feeds import FEED_FORMAT, XML_MEDIA_TYPES, FeedEntry, looks_like_feed, parse_feed
from store.web.fetch import FetchedResource, Fetcher, FetchError
from store.web.urls import host_collection

StoredLinks = Callable[[Sequence[str]], Awaitable[set[str]]]
HTML_MEDIA_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_HTML_START = (b"<!doctype html", b"<html")


def resource_kind(resource: FetchedResource) -> str:
    """``"feed"``, ``"html"``, ``"xml"`` (XML that is no feed) or ``"data"`` (a file)."""
    media_type, body = resource.content_type, resource.body
    if looks_like_feed(media_type, body):
        return "feed"
    if media_type in HTML_MEDIA_TYPES:
        return "html"
    head = body[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(_HTML_START):
        return "html"
    if media_type in XML_MEDIA_TYPES or media_type.endswith("+xml") or head.startswith(b"<?xml"):
        return "xml"
    return "data"


class WebSource:
    """Turns URLs into documents for ingest; a context manager (it holds a
    :class:`~store.web.fetch.Fetcher`).

    ``stored_links`` answers which of some URLs are already stored as documents' links
    (``Database.stored_links``); ``progress``, if given, is a tqdm bar counting URLs.
    """

    def __init__(
        self,
        stored_links: StoredLinks,
        *,
        fmt: str | None = None,
        progress: Any = None,
        fetcher: Fetcher | None = None,
    ) -> None:
        self._stored_links = stored_links
        self._fmt = fmt
        self._bar = progress
        self._fetcher = fetcher or Fetcher()
        self._seen: set[str] = set()
        self.urls = 0  # URLs fetched or tried (named ones and feed entries)
        self.already_stored = 0  # feed entries not fetched: their link is stored

    def __enter__(self) -> WebSource:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._fetcher.close()

    async def documents(self, url: str) -> AsyncIterator[ParsedDocument | RecordError]:
        """The documents of the URL ``url`` (a page, a feed's entries, a corpus file's
        records), and a :class:`RecordError` for each thing that failed."""
        if url in self._seen:
            return
        self._seen.add(url)
        try:
            resource = await self._fetch(url)
        except FetchError as exc:
            yield RecordError(url, str(exc))
            return
        kind = resource_kind(resource)
        if kind == "feed":
            async for item in self._feed(resource):
                yield item
        elif kind == "html":
            yield await self._article(resource, host_collection(url))
        elif kind == "xml":
            yield RecordError(url, f"XML that is not an RSS or Atom feed ({resource.content_type})")
        else:
            for item in self._data(resource):
                yield item

    async def _fetch(self, url: str, media_types: frozenset[str] | None = None) -> FetchedResource:
        self.urls += 1
        try:
            return await asyncio.to_thread(self._fetcher.fetch, url, media_types)
        finally:
            if self._bar is not None:
                self._bar.update(1)

    async def _article(
        self, resource: FetchedResource, collection: str
    ) -> ParsedDocument | RecordError:
        try:
            return await asyncio.to_thread(
                article_document, resource.body, resource.url, collection
            )
        except ParseError as exc:
            return RecordError(resource.url, str(exc))
        except Exception as exc:  # pathological markup stops this page only
            return RecordError(resource.url, f"cannot extract the text: {_error(exc)}")

    def _data(self, resource: FetchedResource) -> Iterator[ParsedDocument | RecordError]:
        """A corpus file's documents; origins name the URL (``URL`` or ``URL#N``)."""
        url = resource.url
        name = unquote(urlsplit(resource.final_url).path.rsplit("/", 1)[-1]).replace("/", "_")
        name = name if name not in ("", ".", "..") else "download"
        try:
            text = decode_bytes(resource.body, name)
            for item in parse_text(Path(name), text, self._fmt):
                origin = item.origin
                if origin == name or origin.startswith(f"{name}#"):
                    origin = url + origin[len(name) :]
                if isinstance(item, RecordError):
                    yield RecordError(origin, item.reason)
                    continue
                item.origin = origin
                if origin == url and item.url is None:  # the file is the one document
                    item.url = url
                item.collection = item.collection or host_collection(url)
                yield item
        except ParseError as exc:
            message = str(exc)
            yield RecordError(url, message.removeprefix(f"{name}: "))
        except Exception as exc:  # as for a file: pathological input stops this URL only
            yield RecordError(url, f"cannot parse: {_error(exc)}")

    async def _feed(self, resource: FetchedResource) -> AsyncIterator[ParsedDocument | RecordError]:
        url = resource.url
        try:
            feed = await asyncio.to_thread(
                parse_feed, resource.body, resource.final_url, resource.content_type
            )
        except ParseError as exc:
            yield RecordError(url, str(exc))
            return
        except Exception as exc:  # feedparser is lenient; should it raise, one URL stops
            yield RecordError(url, f"cannot read the feed: {_error(exc)}")
            return
        if feed.problem:
            yield RecordError(url, feed.problem)
        stored = await self._stored_links([e.link for e in feed.entries if e.link])
        new = []
        for entry in feed.entries:
            if entry.link and (entry.link in stored or entry.link in self._seen):
                self.already_stored += 1
            else:
                new.append(entry)
                if entry.link:
                    self._seen.add(entry.link)
        if self._bar is not None:
            self._bar.total += sum(1 for e in new if not e.content and e.link)
            self._bar.refresh()
        collection = host_collection(url)
        for entry in new:
            yield await self._entry(entry, collection)

    async def _entry(self, entry: FeedEntry, collection: str) -> ParsedDocument | RecordError:
        """One new feed entry: its own content when it carries the text, else its page."""
        metadata = {"speaker": entry.author, "date": entry.date, "collection": collection}
        if entry.content:
            try:
                paragraphs = (
                    await asyncio.to_thread(html_paragraphs, entry.content)
                    if entry.content_is_html
                    else text_paragraphs(entry.content)
                )
            except Exception:  # content that cannot be read: the page is fetched instead
                paragraphs = []
            if paragraphs:
                title = entry.title or fallback_title(paragraphs)
                return document_from_parts(
                    entry.link, entry.key, title, paragraphs, FEED_FORMAT, **metadata
                )
        if not entry.link:
            return RecordError(entry.key, "feed entry with neither a link nor its text")
        try:
            resource = await self._fetch(entry.link, HTML_MEDIA_TYPES)
        except FetchError as exc:
            return RecordError(entry.link, str(exc))
        if resource_kind(resource) != "html":
            return RecordError(entry.link, "the entry's link is not a web page")
        doc = await self._article(resource, collection)
        if isinstance(doc, ParsedDocument):  # the feed's own title, date and author first
            doc.title = cap_field(entry.title or doc.title)
            doc.date = entry.date or doc.date
            doc.speaker = cap_field(entry.author) if entry.author else doc.speaker
        return doc


def _error(exc: Exception) -> str:
    return f"{type(exc).__name__}: {str(exc)[:200]}"
