"""The webhook listener: a small Tornado server that checks before it reads.

PTB's own webhook server reads a request's whole body (up to Tornado's 100 MB default)
before it looks at the secret header.  This one streams the body
(:func:`tornado.web.stream_request_body`), so :meth:`UpdateHandler.prepare` sees the
headers first:

- a missing or wrong ``X-Telegram-Bot-Api-Secret-Token`` is answered 403 at once, and
  the connection is closed without reading the body;
- a ``Content-Length`` over :data:`MAX_BODY_BYTES` is answered 413 the same way, and a
  body without one (chunked) is counted as it arrives and refused with 413 past the cap;
- the body is decoded as UTF-8 with U+FFFD for invalid bytes, must be a JSON object, and
  becomes an ``Update`` handed to the Application's update processor
  (:mod:`bot.telegram.fairness`); anything else is 400.

Telegram is answered 200 only once the update has been handled (its answer sent), not
when it arrives: an update whose request fails — the process killed, a reverse proxy's
502 — is delivered again by Telegram (to another replica behind a proxy), so a process
that dies loses no update it took.  Stopping (SIGINT/SIGTERM) first refuses new requests
with 503 and lets the updates being handled finish (at most :data:`DRAIN_SECONDS`).

Nothing about a request is logged but its outcome: no path (it may hold the token), no
header, no body.  :func:`serve` runs the Application around the listener.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import re
import signal
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

import tornado.web
from telegram import Update
from tornado.http1connection import HTTP1Connection
from tornado.httpserver import HTTPServer

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1_000_000  # Telegram's updates are a few kB; 1 MB is plenty
DRAIN_SECONDS = 30.0  # at a stop, how long the updates being handled may take to finish
BODY_TIMEOUT = 30.0  # seconds to receive a body
IDLE_TIMEOUT = 75.0  # seconds a kept-alive connection may stay idle
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class InFlight:
    """The requests being handled, and whether the listener is stopping."""

    def __init__(self) -> None:
        self.count = 0
        self.stopping = False
        self._idle = asyncio.Event()
        self._idle.set()

    def enter(self) -> None:
        """A request starts being handled."""
        self.count += 1
        self._idle.clear()

    def leave(self) -> None:
        """A request was answered."""
        self.count -= 1
        if self.count == 0:
            self._idle.set()

    async def drained(self, timeout: float) -> bool:
        """Wait until no request is being handled (at most ``timeout`` s); True if none is."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True


@dataclass(frozen=True, slots=True)
class Listener:
    """What the handler needs: what handles an update and what a request must show."""

    process: Callable[[Update], Awaitable[None]]  # returns once the update was handled
    bot: Any  # telegram.Bot
    secret_token: str
    max_body: int = MAX_BODY_BYTES
    requests: InFlight = field(default_factory=InFlight)


@tornado.web.stream_request_body
class UpdateHandler(tornado.web.RequestHandler):
    """POST one update; the secret and the size are checked before the body is read."""

    SUPPORTED_METHODS = ("POST",)

    def initialize(self, listener: Listener) -> None:
        """Tornado calls this for each request."""
        self.listener = listener
        self._chunks: list[bytes] = []
        self._size = 0
        self._oversize = False

    def set_default_headers(self) -> None:
        """Answers are JSON (empty)."""
        self.set_header("Content-Type", "application/json; charset=utf-8")

    def prepare(self) -> None:
        """Runs on the headers alone: refuse before a byte of the body is read."""
        given = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.listener.secret_token.encode()):
            self._refuse(HTTPStatus.FORBIDDEN, "a wrong or missing secret token")
            return
        if self.listener.requests.stopping:  # Telegram (or the proxy) delivers it elsewhere
            self._refuse(HTTPStatus.SERVICE_UNAVAILABLE, "the bot stopping")
            return
        length = self.request.headers.get("Content-Length")
        if length is not None:
            if not length.isascii() or not length.isdigit():
                self._refuse(HTTPStatus.BAD_REQUEST, "a malformed Content-Length")
                return
            if int(length) > self.listener.max_body:
                self._refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "an oversize body")
                return
        connection = self.request.connection
        if isinstance(connection, HTTP1Connection):  # HTTP/1.x: Tornado's only server
            connection.set_max_body_size(2 * self.listener.max_body)  # a backstop

    def _refuse(self, status: HTTPStatus, why: str) -> None:
        log.info("webhook: refused a request with %s (%d)", why, status.value)
        self.set_status(status.value)
        self.finish()  # the body is not read: Tornado closes the connection after this

    def data_received(self, chunk: bytes) -> None:
        """Collect the body, up to the cap."""
        if self._finished or self._oversize:
            return
        self._size += len(chunk)
        if self._size > self.listener.max_body:  # a chunked body grew past the cap
            self._oversize, self._chunks = True, []
            self._refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "an oversize body")
            return
        self._chunks.append(chunk)

    async def post(self) -> None:
        """The whole body is here: decode it and queue the update."""
        if self._finished:  # refused while the body arrived
            return
        body = b"".join(self._chunks).decode("utf-8", "replace")
        self._chunks = []
        try:
            data = json.loads(body)
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            update = Update.de_json(data, self.listener.bot)
        except (ValueError, TypeError, KeyError, RecursionError) as exc:
            log.warning("webhook: refused a body that is not an update: %s", type(exc).__name__)
            self.set_status(HTTPStatus.BAD_REQUEST.value)
            self.finish()
            return
        bot = self.listener.bot
        if hasattr(bot, "insert_callback_data"):  # PTB's arbitrary callback data, if on
            bot.insert_callback_data(update)
        requests = self.listener.requests
        requests.enter()
        try:
            await self.listener.process(update)
        except Exception:  # the handlers' errors are handled by PTB: this is unexpected
            log.exception("webhook: update %d could not be handled", update.update_id)
            self.set_status(HTTPStatus.INTERNAL_SERVER_ERROR.value)  # Telegram tries again
            self.finish()
            return
        finally:
            requests.leave()
        self.set_status(HTTPStatus.OK.value)
        self.finish()

    def log_exception(self, *args: Any) -> None:
        """No tracebacks with request details; the outcome is logged in :meth:`_refuse`."""
        log.debug("webhook: error while handling a request", exc_info=True)


class _App(tornado.web.Application):
    def log_request(self, handler: tornado.web.RequestHandler) -> None:
        """No access log: a request line holds the webhook path (which may hold the token)."""


def make_server(listener: Listener, url_path: str) -> HTTPServer:
    """The HTTP server for the webhook path (not listening yet)."""
    path = "/" + re.escape(url_path.strip("/"))
    app = _App([(rf"{path}/?", UpdateHandler, {"listener": listener})])
    return HTTPServer(
        app,
        max_body_size=2 * listener.max_body,  # a backstop: the handler refuses at the cap
        body_timeout=BODY_TIMEOUT,
        idle_connection_timeout=IDLE_TIMEOUT,
        decompress_request=False,
    )


async def serve(
    app: Any,
    *,
    listen: str,
    port: int,
    url_path: str,
    webhook_url: str,
    secret_token: str,
    allowed_updates: Sequence[str],
    stop: asyncio.Event | None = None,
) -> None:
    """Run the Application on a webhook until SIGINT/SIGTERM (or ``stop`` is set).

    The order is PTB's: initialise, post_init, listen, ``setWebhook``, start; then stop,
    post_stop, shut down, post_shutdown — each undone even if a later step fails.
    """
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    await app.initialize()
    try:
        if app.post_init is not None:
            await app.post_init(app)

        async def process(update: Update) -> None:  # as PTB's own fetcher, but awaited
            await app.update_processor.process_update(update, app.process_update(update))

        listener = Listener(process, app.bot, secret_token)
        server = make_server(listener, url_path)
        server.listen(port, address=listen)
        try:
            await app.bot.set_webhook(
                url=webhook_url, secret_token=secret_token, allowed_updates=allowed_updates
            )
            await app.start()
            try:
                await stop.wait()
                await _drain(server, listener.requests)
            finally:
                await app.stop()
                if app.post_stop is not None:
                    await app.post_stop(app)
        finally:
            server.stop()
            await server.close_all_connections()
    finally:
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)


async def _drain(server: HTTPServer, requests: InFlight) -> None:
    """Stop taking updates (new connections, and new requests on open ones: 503) and let
    those being handled finish."""
    requests.stopping = True
    server.stop()
    if requests.count:
        log.info("webhook: stopping; %d updates still being handled", requests.count)
    if not await requests.drained(DRAIN_SECONDS):
        log.warning(
            "webhook: stopping with %d updates unfinished after %.0f s (Telegram delivers "
            "them again)",
            requests.count,
            DRAIN_SECONDS,
        )
