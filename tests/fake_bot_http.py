"""The fake Bot API over HTTP on 127.0.0.1: what goes over the wire.

:class:`BotApiHttpServer` serves any :class:`AnswersCalls` (the tests'
:class:`fake_bot_api.FakeTelegram`) with stdlib ``http.server`` in a thread: form,
JSON or multipart (upload) bodies, ``{"ok": true, "result": ...}`` or Telegram's error
answer with its HTTP status, the bot token read from the ``/bot<token>/<method>`` path
and the path before it told to the fake (which replica called).  :func:`decode_params`
turns form values back into Python values (also for ``fake_bot_api.RecordingRequest``,
the in-process way in).  Tests import these names from :mod:`fake_bot_api`.
"""

from __future__ import annotations

import json
import sys
import threading
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Generic, Protocol, Self, TypeVar
from urllib.parse import parse_qsl

from fake_bot_state import ApiError

# Parameters that are strings even when they look like JSON (e.g. text "123").
_STRING_PARAMS = frozenset(
    {
        "text",
        "caption",
        "callback_query_id",
        "inline_query_id",
        "inline_message_id",
        "parse_mode",
        "next_offset",
        "url",
        "description",
        "short_description",
        "name",
        "language_code",
        "photo",  # a file_id (an upload arrives as bytes)
    }
)


def decode_params(raw: dict[str, str]) -> dict[str, Any]:
    """Turn form values (JSON-encoded by PTB for non-strings) back into Python values."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key in _STRING_PARAMS:
            out[key] = value
            continue
        try:
            out[key] = json.loads(value)
        except ValueError:
            out[key] = value
    return out


class AnswersCalls(Protocol):
    """What the transports need of a fake Bot API."""

    def handle(self, token: str, method: str, params: dict[str, Any]) -> Any:
        """Answer one call (raise :class:`ApiError` for Telegram's error replies)."""

    def calling_via(self, via: str) -> None:
        """Name the caller of this thread's calls (the path before ``/bot<token>``)."""


def multipart_params(content_type: str, body: bytes) -> dict[str, Any]:
    """The fields of a multipart/form-data request (an upload): files as bytes, the
    other fields decoded like form values."""
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    fields: dict[str, str] = {}
    files: dict[str, bytes] = {}
    for part in message.iter_parts():
        name = str(part.get_param("name", header="content-disposition"))
        data = part.get_payload(decode=True)
        assert isinstance(data, bytes)
        if part.get_filename() is not None:
            files[name] = data
        else:
            fields[name] = data.decode()
    return {**decode_params(fields), **files}


Api = TypeVar("Api", bound=AnswersCalls)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        content_type = self.headers.get("Content-Type", "")
        if content_type.startswith("application/json"):
            params: dict[str, Any] = json.loads(raw.decode() or "{}")
        elif content_type.startswith("multipart/form-data"):
            params = multipart_params(content_type, raw)
        else:
            params = decode_params(dict(parse_qsl(raw.decode(), keep_blank_values=True)))
        parts = self.path.rstrip("/").split("/")
        token = parts[-2][3:] if len(parts) >= 2 and parts[-2].startswith("bot") else ""
        self.server.fake.calling_via("/".join(parts[1:-2]))  # a replica's own base URL prefix
        try:
            payload: dict[str, Any] = {
                "ok": True,
                "result": self.server.fake.handle(token, parts[-1], params),
            }
            status = 200
        except ApiError as exc:
            status = exc.code
            payload = {"ok": False, "error_code": exc.code, "description": exc.description}
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: AnswersCalls

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # the bot stopped while a request (a long poll) was open: nothing to report
        super().handle_error(request, client_address)


class BotApiHttpServer(Generic[Api]):
    """Serve a fake Bot API (``fake``) on 127.0.0.1 on a free port; use as a context
    manager."""

    def __init__(self, fake: Api) -> None:
        self.fake = fake
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self.fake
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        """The value for TELEGRAM_BASE_URL / ``--base-url``."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/bot"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
