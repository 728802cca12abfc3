"""A small round-robin HTTP reverse proxy on 127.0.0.1, for machines without nginx.

It does for the cluster tests what ``nginx`` does in front of the replicas
(``proxy_next_upstream error timeout`` without ``non_idempotent``): each request goes to
the next upstream in turn; one that refuses the connection (or does not take it within
``connect_timeout``) is skipped for the next — the request was not sent, so trying
another is safe — and one that fails after the request was sent is answered 502, never
sent elsewhere (it may have been handled: the sender decides, and Telegram tries again).
One request per connection (``Connection: close`` both ways); the body is read by its
``Content-Length``.  Runs its own event loop in a thread; a context manager.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from typing import Any

_HEAD_LIMIT = 64 * 1024


class RoundRobinProxy:
    """Spread requests over ``upstreams`` (ports on 127.0.0.1) in turn; see the module."""

    def __init__(
        self, upstreams: list[int], *, connect_timeout: float = 1.0, read_timeout: float = 60.0
    ) -> None:
        if not upstreams:
            raise ValueError("a proxy needs at least one upstream")
        self.upstreams = list(upstreams)
        self.connect_timeout, self.read_timeout = connect_timeout, read_timeout
        self.port = 0
        self.sent = Counter[int]()  # requests passed to each upstream port
        self.refused = Counter[int]()  # connections an upstream refused (skipped)
        self.bad_gateway = 0  # requests answered 502
        self._next = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._server: asyncio.AbstractServer | None = None

    def __enter__(self) -> RoundRobinProxy:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the proxy did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._serve, "127.0.0.1", 0)
        )
        self.port = int(self._server.sockets[0].getsockname()[1])
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            self._server.close()
            self._loop.run_until_complete(self._server.wait_closed())
            self._loop.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await self._read_request(reader)
            if request is not None:
                writer.write(await self._forward(request))
                await writer.drain()
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    @staticmethod
    async def _read_request(reader: asyncio.StreamReader) -> bytes | None:
        """The whole request with ``Connection: close`` in its headers, or ``None``."""
        head = await reader.readuntil(b"\r\n\r\n")
        if len(head) > _HEAD_LIMIT:
            return None
        lines = head.decode("latin-1").split("\r\n")
        length = 0
        kept = [lines[0]]
        for line in lines[1:]:
            if not line:
                continue
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
            if name.strip().lower() not in ("connection", "keep-alive"):
                kept.append(line)
        kept.append("Connection: close")
        body = await reader.readexactly(length) if length else b""
        return ("\r\n".join(kept) + "\r\n\r\n").encode("latin-1") + body

    async def _forward(self, request: bytes) -> bytes:
        for _ in range(len(self.upstreams)):
            port = self.upstreams[self._next % len(self.upstreams)]
            self._next += 1
            try:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection("127.0.0.1", port), self.connect_timeout
                )
            except (OSError, TimeoutError):
                self.refused[port] += 1
                continue  # not sent: the next upstream may take it
            self.sent[port] += 1
            try:
                writer.write(request)
                await writer.drain()
                response = await asyncio.wait_for(reader.read(), self.read_timeout)
            except (OSError, TimeoutError):
                response = b""
            finally:
                writer.close()
            if response.startswith(b"HTTP/"):
                return response
            break  # sent, and no answer: it may have been handled
        self.bad_gateway += 1
        return _status(502, "Bad Gateway")

    def stats(self) -> dict[str, Any]:
        """What the proxy did, for reports."""
        return {
            "sent": dict(self.sent),
            "refused": dict(self.refused),
            "bad_gateway": self.bad_gateway,
        }


def _status(code: int, reason: str) -> bytes:
    return f"HTTP/1.1 {code} {reason}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode()
