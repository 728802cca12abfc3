"""RSS and Atom feeds (RSS 0.9x, 1.0 and 2.0, Atom 0.3 and 1.0; parsed by feedparser).

A feed becomes a list of :class:`FeedEntry`: the entry's link (resolved against the
feed's URL; only http and https), title, date, author and — when the entry carries the
article itself (``content:encoded`` in RSS, ``<content>`` in Atom; a ``description`` or
``<summary>`` is only a teaser) — that content.  feedparser is given the bytes already
fetched, never a URL, so it fetches nothing itself.
"""

from __future__ import annotations

import io
import re
import time
import xml.sax
from dataclasses import dataclass
from typing import Any

import feedparser

from store.models import ParseError, PartialDate
from store.parsers.links import web_link
from store.text.clean import clean_paragraph

FEED_FORMAT = "web-feed"
FEED_MEDIA_TYPES = frozenset(
    {"application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/rss"}
)
XML_MEDIA_TYPES = frozenset({"application/xml", "text/xml"})
_FEED_ROOT = re.compile(rb"<(?:[a-z0-9]+:)?(?:rss|feed|rdf)[\s>]")
_PROLOGUE = re.compile(rb"^(?:\s+|<\?.*?\?>|<!--.*?-->|<!doctype[^>]*>)*", re.DOTALL)


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One entry of a feed, as much as ingest needs of it."""

    key: str  # how it is reported: its link, else "FEED#entry-N"
    link: str | None  # the article's http(s) URL, if the entry gives one
    title: str | None
    date: PartialDate | None
    author: str | None
    content: str | None  # the article's text as the feed carries it (HTML or plain)
    content_is_html: bool


@dataclass(frozen=True, slots=True)
class Feed:
    """A parsed feed: its entries, and why it is broken when it is (entries read from a
    feed that is not well-formed XML are still given)."""

    entries: list[FeedEntry]
    problem: str | None


def looks_like_feed(media_type: str, body: bytes) -> bool:
    """Whether a fetched body is a feed: by its media type, or, for XML or an
    unlabelled body, by its root element (``<rss>``, ``<feed>``, ``<rdf:RDF>``)."""
    if media_type in FEED_MEDIA_TYPES:
        return True
    head = body[:4096].lstrip(b"\xef\xbb\xbf").lower()
    prologue = _PROLOGUE.match(head)
    return _FEED_ROOT.match(head, prologue.end() if prologue else 0) is not None


def parse_feed(body: bytes, url: str, media_type: str) -> Feed:
    """The entries of the feed ``body`` fetched from ``url``; :class:`ParseError` when it
    is not a feed at all (nothing feedparser recognises, or broken before any entry)."""
    parsed = feedparser.parse(
        io.BytesIO(body),
        response_headers={"content-location": url, "content-type": media_type or "text/xml"},
        sanitize_html=True,
        resolve_relative_uris=True,
    )
    problem = _bozo_problem(parsed)
    entries = [_entry(url, n, raw) for n, raw in enumerate(parsed.entries, start=1)]
    entries = [e for e in entries if e.link or e.content or e.title]
    if not parsed.version and not entries:
        raise ParseError(f"not an RSS or Atom feed{f': {problem}' if problem else ''}")
    if problem and not entries:
        raise ParseError(f"broken feed: {problem}")
    return Feed(entries, f"broken feed: {problem}" if problem else None)


def _bozo_problem(parsed: Any) -> str | None:
    """Why the feed is broken: not well-formed XML, or in an unknown encoding; ``None``
    for what feedparser notes but reads fine (a declared encoding it overrode)."""
    if not parsed.get("bozo"):
        return None
    exc = parsed.get("bozo_exception")
    if isinstance(exc, xml.sax.SAXParseException):
        return f"not well-formed XML at line {exc.getLineNumber()}: {exc.getMessage()}"
    if isinstance(exc, feedparser.CharacterEncodingUnknown):
        return "in an unknown character encoding"
    return None


def _entry(feed_url: str, number: int, raw: Any) -> FeedEntry:
    link = web_link(raw.get("link"))
    title = clean_paragraph(raw.get("title") or "") or None
    author = clean_paragraph(raw.get("author") or "") or None
    content, is_html = None, False
    for part in raw.get("content") or ():
        value = part.get("value") or ""
        if value.strip():
            content, is_html = value, "html" in (part.get("type") or "text/html")
            break
    return FeedEntry(
        key=link or f"{feed_url}#entry-{number}",
        link=link,
        title=title,
        date=_date(raw.get("published_parsed") or raw.get("updated_parsed")),
        author=author,
        content=content,
        content_is_html=is_html,
    )


def _date(value: Any) -> PartialDate | None:
    if not isinstance(value, time.struct_time):
        return None
    try:
        return PartialDate(value.tm_year, value.tm_mon, value.tm_mday)
    except ValueError:
        return None
