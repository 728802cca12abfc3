"""Which ingest arguments are URLs, and which URLs Verbatim fetches.

An argument is a URL when it starts with a scheme and ``//`` (``https://…``,
``ftp://…``, ``file:///…``) or with one of the schemes that need no ``//`` (``data:``,
``file:``, ``javascript:``, ``mailto:``): such an argument is never looked up as a path.
Only http and https URLs with a host are fetched; the others are refused with a reason.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from store.parsers.links import MAX_URL_CHARS

FETCHED_SCHEMES = ("http", "https")
_SCHEME_AND_SLASHES = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_SCHEMES_WITHOUT_SLASHES = re.compile(r"^(?:data|file|javascript|mailto|about):", re.IGNORECASE)


def is_url(argument: str) -> bool:
    """Whether an ingest argument names a URL (of any scheme) rather than a path."""
    return bool(_SCHEME_AND_SLASHES.match(argument) or _SCHEMES_WITHOUT_SLASHES.match(argument))


def url_problem(url: str) -> str | None:
    """Why ``url`` is not fetched (not http or https, no host, too long, spaces in
    it), or ``None`` when it may be."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number
    except ValueError as exc:
        return f"not a valid URL: {exc}"
    scheme = parts.scheme.lower()
    if scheme not in FETCHED_SCHEMES:
        shown = f"{scheme}:" if scheme else "a URL without a scheme"
        return f"only http and https URLs are fetched, not {shown}"
    if not parts.hostname:
        return "not a valid URL: no host name"
    if len(url) > MAX_URL_CHARS:
        return f"URL longer than {MAX_URL_CHARS} characters"
    if any(c.isspace() for c in url):
        return "not a valid URL: it contains spaces"
    return None


def host_collection(url: str) -> str:
    """A collection name for documents from ``url``: its host without ``www.``."""
    host = (urlsplit(url).hostname or "web").lower()
    return host.removeprefix("www.") or "web"
