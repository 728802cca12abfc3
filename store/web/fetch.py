"""A bounded HTTP fetcher for ingest: http and https only, timeouts, a byte cap while
streaming, at most :data:`MAX_REDIRECTS` redirects (each target checked again), and a
User-Agent naming Verbatim.

The limits are module attributes read at each fetch (so tests may lower them):
:data:`CONNECT_TIMEOUT_S` and :data:`READ_TIMEOUT_S` bound each connection and each
wait for bytes, :data:`TOTAL_TIMEOUT_S` one URL's whole download (a server that drips a
byte at a time is cut off), and the body may hold at most
``store.parsers.common.MAX_FILE_BYTES`` — the cap of a file on disk — counted as the
bytes arrive (after any gzip decoding), so a larger body is refused without being read
to its end, and one that says in ``Content-Length`` that it is larger is not read at all.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from importlib import metadata
from types import TracebackType
from urllib.parse import urljoin

import httpx

from store.parsers import common
from store.web.urls import url_problem

CONNECT_TIMEOUT_S = 10.0
READ_TIMEOUT_S = 30.0
TOTAL_TIMEOUT_S = 120.0
MAX_REDIRECTS = 5
_REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})


def _user_agent() -> str:
    try:
        version = metadata.version("verbatim-bot")
    except metadata.PackageNotFoundError:
        version = "dev"
    return f"Verbatim/{version} (quotation search; verbatim ingest)"


USER_AGENT = _user_agent()


class FetchError(Exception):
    """A URL could not be fetched; the message is the short reason, for the person
    running ingest (the URL is reported beside it)."""


@dataclass(frozen=True, slots=True)
class FetchedResource:
    """The body of a URL and what the server said it is."""

    url: str  # the URL asked for
    final_url: str  # where the last redirect led (== url without redirects)
    content_type: str  # the media type, lower case, without parameters ("" if none given)
    body: bytes


def _too_large(found: str, limit: int) -> FetchError:
    return FetchError(f"too large ({found}; a download may have at most {common.amount(limit)})")


class Fetcher:
    """Fetches URLs one at a time over one connection pool; use it as a context manager
    (or :meth:`close` it)."""

    def __init__(self, transport: httpx.BaseTransport | None = None) -> None:
        self._client = httpx.Client(
            headers={"User-Agent": USER_AGENT},
            follow_redirects=False,  # followed by hand: each target is checked first
            transport=transport,
        )

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def fetch(self, url: str, media_types: frozenset[str] | None = None) -> FetchedResource:
        """GET ``url``, following at most :data:`MAX_REDIRECTS` redirects to http(s)
        URLs; :class:`FetchError` with the reason when it is refused (scheme, status
        other than 2xx, too large, too many redirects, a timeout, a network error).
        With ``media_types``, a response that says it is of another media type is
        refused before its body is read."""
        if problem := url_problem(url):
            raise FetchError(problem)
        deadline = time.monotonic() + TOTAL_TIMEOUT_S
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            target = self._get(current, deadline, media_types)
            if isinstance(target, FetchedResource):
                return FetchedResource(url, current, target.content_type, target.body)
            if problem := url_problem(target):
                raise FetchError(f"redirected to {target[:200]}: {problem}")
            current = target
        raise FetchError(f"too many redirects (more than {MAX_REDIRECTS})")

    def _get(
        self, url: str, deadline: float, media_types: frozenset[str] | None
    ) -> FetchedResource | str:
        """One request: the resource, or the URL a redirect points to."""
        remaining = deadline - time.monotonic()
        timeout = httpx.Timeout(
            min(READ_TIMEOUT_S, max(remaining, 0.01)),
            connect=min(CONNECT_TIMEOUT_S, max(remaining, 0.01)),
        )
        try:
            with self._client.stream("GET", url, timeout=timeout) as response:
                if response.status_code in _REDIRECT_CODES:
                    location = str(response.headers.get("location", ""))
                    if not location:
                        raise FetchError(f"HTTP {response.status_code} without a Location")
                    return urljoin(url, location.strip())
                if not 200 <= response.status_code < 300:
                    phrase = f" {response.reason_phrase}" if response.reason_phrase else ""
                    raise FetchError(f"HTTP {response.status_code}{phrase}")
                media_type = response.headers.get("content-type", "").split(";")[0]
                media_type = media_type.strip().lower()
                if media_types is not None and media_type and media_type not in media_types:
                    raise FetchError(f"not a web page ({media_type[:100]})")
                body = _read_capped(response, deadline)
                return FetchedResource(url, url, media_type, body)
        except httpx.TimeoutException:
            raise FetchError(_timed_out()) from None
        except httpx.HTTPError as exc:
            raise FetchError(f"cannot fetch: {_network_reason(exc)}") from None
        except httpx.InvalidURL as exc:
            raise FetchError(f"not a valid URL: {exc}") from None


def _read_capped(response: httpx.Response, deadline: float) -> bytes:
    """The body, refused (:class:`FetchError`) when ``Content-Length`` says it is over
    the cap, once more than the cap has arrived, or past the deadline."""
    limit = common.MAX_FILE_BYTES
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(common.amount(int(declared)), limit)
    parts: list[bytes] = []
    total = 0
    for chunk in response.iter_bytes():  # as they arrive (a chunk size would buffer)
        total += len(chunk)
        if total > limit:
            raise _too_large(f"more than {common.amount(limit)}", limit)
        if time.monotonic() > deadline:
            raise FetchError(_timed_out())
        parts.append(chunk)
    return b"".join(parts)


def _timed_out() -> str:
    return (
        f"timed out (connect {CONNECT_TIMEOUT_S:g} s, read {READ_TIMEOUT_S:g} s, "
        f"whole download {TOTAL_TIMEOUT_S:g} s)"
    )


def _network_reason(exc: httpx.HTTPError) -> str:
    """A network error in a few words: the innermost cause's message, else its kind."""
    cause: BaseException = exc
    for _ in range(10):
        inner = cause.__cause__ or cause.__context__
        if inner is None:
            break
        cause = inner
    message = str(cause) or str(exc) or type(exc).__name__
    return message[:200]
