"""A small web site on 127.0.0.1 for the URL-ingest tests: fixture pages, feeds and files
(invented text), redirects, a slow page, oversized bodies — with a log of every request.

``FakeSite`` runs ``http.server`` in a thread on a random port; ``site.url("/path")`` is
the address of a route.  Nothing else is contacted.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Handler = Callable[["SiteRequestHandler"], None]


@dataclass
class Route:
    """A fixed answer: status, body and headers."""

    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


class SiteRequestHandler(BaseHTTPRequestHandler):
    """Answers from the site's routes; logs each request (path and User-Agent)."""

    server: SiteServer

    def do_GET(self) -> None:
        site = self.server.site
        with site.lock:
            site.requests.append(self.path)
            site.user_agents.append(self.headers.get("User-Agent", ""))
        route = site.routes.get(self.path)
        if route is None:
            self.send_error(404, "Not Found")
        elif callable(route):
            route(self)
        else:
            self.send_response(route.status)
            self.send_header("Content-Type", route.content_type)
            self.send_header("Content-Length", str(len(route.body)))
            for name, value in route.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(route.body)

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


class SiteServer(ThreadingHTTPServer):
    daemon_threads = True
    site: FakeSite


class FakeSite:
    """The site: add routes, run the tests, read ``requests``."""

    def __init__(self) -> None:
        self.routes: dict[str, Route | Handler] = {}
        self.requests: list[str] = []
        self.user_agents: list[str] = []
        self.sent: dict[str, int] = {}  # bytes a streaming route managed to send
        self.done: dict[str, threading.Event] = {}
        self.release = threading.Event()  # lets slow routes finish
        self.lock = threading.Lock()
        self._server = SiteServer(("127.0.0.1", 0), SiteRequestHandler)
        self._server.site = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> FakeSite:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def url(self, path: str) -> str:
        """The address of ``path`` on this site."""
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def page(self, path: str, html: str, content_type: str = "text/html; charset=utf-8") -> None:
        """Serve ``html`` (or any text) at ``path``."""
        self.routes[path] = Route(html.encode("utf-8"), content_type)

    def redirect(self, path: str, location: str, status: int = 302) -> None:
        """Answer ``path`` with a redirect to ``location``."""
        self.routes[path] = Route(b"", status=status, headers={"Location": location})

    def stream(self, path: str, total: int, declared: int | None = None) -> None:
        """Send ``total`` bytes of text in 64 KB writes (with ``Content-Length: declared``
        if given, else until the connection closes), counting what got out in
        ``sent[path]``; ``done[path]`` is set when the handler has finished."""
        self.done[path] = threading.Event()

        def handler(request: SiteRequestHandler) -> None:
            sent = 0
            try:
                request.send_response(200)
                request.send_header("Content-Type", "text/plain; charset=utf-8")
                if declared is not None:
                    request.send_header("Content-Length", str(declared))
                request.end_headers()
                chunk = b"words " * (64 * 1024 // 6)
                while sent < total:
                    request.wfile.write(chunk)
                    sent += len(chunk)
            except OSError:
                pass
            finally:
                self.sent[path] = sent
                self.done[path].set()

        self.routes[path] = handler

    def slow(self, path: str, first_byte_after: float | None = None, drip: float = 0) -> None:
        """A page that answers only when ``release`` is set (or ``first_byte_after``
        seconds pass); with ``drip``, headers at once and then one byte per ``drip``
        seconds until released."""

        def handler(request: SiteRequestHandler) -> None:
            try:
                if drip:
                    request.send_response(200)
                    request.send_header("Content-Type", "text/plain")
                    request.end_headers()
                    while not self.release.wait(drip):
                        request.wfile.write(b"x")
                        request.wfile.flush()
                    return
                self.release.wait(first_byte_after)
                request.send_response(200)
                request.send_header("Content-Type", "text/plain")
                request.end_headers()
                request.wfile.write(b"Too late\n\nA body nobody waited for.\n")
            except OSError:
                pass

        self.routes[path] = handler
