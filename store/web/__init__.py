"""Ingest from the web: ``verbatim ingest https://…`` (issue 15).

- :mod:`store.web.urls` — which ingest arguments are URLs, and which URLs may be fetched
  (http and https only).
- :mod:`store.web.fetch` — a bounded fetcher: timeouts, a byte cap while streaming, a few
  redirects each checked again, a User-Agent naming Verbatim.
- :mod:`store.web.article` — an article page's main text (trafilatura) as a document.
- :mod:`store.web.feeds` — RSS and Atom feeds (feedparser) as entries.
- :mod:`store.web.source` — what ingest calls: URLs in, documents (or failures) out; a
  feed's entries already stored (by link) are not fetched again.

Only :mod:`store.web.urls` is imported here: the rest (httpx, trafilatura, feedparser)
is loaded when an ingest names a URL.
"""

from store.web.urls import is_url, url_problem

__all__ = ["is_url", "url_problem"]
