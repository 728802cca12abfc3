"""A small fake Telegram Bot API for tests: the same answers over HTTP or in-process.

:class:`FakeTelegram` is the state machine (sent messages, queued updates, every call
recorded; the chats, members and messages are kept by :class:`fake_bot_state.FakeChats`)
answering like Telegram does: ``getMe`` with ``is_bot``, Unix-second
dates, ``editMessageText`` returning the edited Message (or ``True`` for inline
messages), "message is not modified" errors, 401 for a wrong token, ``sendPhoto`` by
upload (multipart) or by ``file_id`` returning a Message with its ``photo`` sizes (kept by
:class:`fake_bot_photos.FakePhotos`), 403 when the bot writes first to a user who never
started it.
:class:`FakeBotApiServer` serves it on 127.0.0.1 (stdlib ``http.server`` in a thread) for
end-to-end tests of ``verbatim run``; :class:`RecordingRequest` plugs it into a PTB
``Bot`` directly for offline handler tests, and :class:`OfflineBot` feeds it updates.
Tests import every name from here (``__all__``), also those defined in
:mod:`fake_bot_state`.
"""

from __future__ import annotations

import html
import itertools
import json
import re
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

from fake_bot_photos import FakePhotos
from fake_bot_state import BOT_ID, BOT_USERNAME, TOKEN, ApiError, FakeChats
from telegram import Update
from telegram.request import RequestData

from bot.telegram.bot_data import bot_data_of
from bot.telegram.inprocess_request import InProcessRequest

__all__ = [
    "BOT_ID",
    "BOT_USERNAME",
    "TOKEN",
    "ApiCall",
    "ApiError",
    "FakeBotApiServer",
    "FakeChats",
    "FakeTelegram",
    "OfflineBot",
    "RecordingRequest",
    "decode_params",
]

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
MAX_CAPTION = 1024  # characters of a caption after its HTML is parsed
CANNOT_INITIATE = "Forbidden: bot can't initiate conversation with a user"
_COMMAND = re.compile(r"^/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?")


@dataclass(frozen=True, slots=True)
class ApiCall:
    """One recorded Bot API request; ``via`` is the path before ``/bot<token>`` in its URL
    (several replicas of one bot given base URLs ``…/r1/bot``, ``…/r2/bot`` tell which
    one called)."""

    method: str
    params: dict[str, Any]
    via: str = field(default="", compare=False)


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


class FakeTelegram(FakeChats):
    """The fake Bot API's state; thread-safe, shared by the HTTP server and RecordingRequest.

    Chats, members and messages are kept by :class:`FakeChats`; this adds the recorded
    calls, the queued updates, and the methods that send and edit messages."""

    def __init__(self, token: str = TOKEN, username: str = BOT_USERNAME) -> None:
        super().__init__(username)
        self.token = token
        self.calls: list[ApiCall] = []  # every call except getUpdates
        self.polls: list[ApiCall] = []  # getUpdates calls
        self.fail_methods: dict[str, ApiError] = {}
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._callback_ids = itertools.count(1)
        self.sent: list[dict[str, Any]] = []  # messages the bot sent, as first sent
        self.photos = FakePhotos()  # uploaded photos by file_id
        self.not_started: set[int] = set()  # users who never opened a chat with the bot
        # setWebhook's url, secret_token and max_connections; None after deleteWebhook.
        # Queued updates are then taken by a webhook delivery (fake_webhook.py), if one runs
        self.webhook: dict[str, Any] | None = None
        self._caller = threading.local()  # see calling_via

    # ------------------------------------------------------------------ building updates

    def message(
        self,
        text: str,
        *,
        chat_id: int = 111,
        chat_type: str = "private",
        user_id: int = 111,
        reply_to: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A user's text message (with a bot_command entity when it starts with a command)."""
        msg: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self.chat(chat_id, chat_type),
            "from": self.user(user_id),
            "text": text,
        }
        m = _COMMAND.match(text)
        if m:
            msg["entities"] = [{"type": "bot_command", "offset": 0, "length": m.end()}]
        if reply_to is not None:
            msg["reply_to_message"] = reply_to
        with self._cond:
            self._messages[(chat_id, msg["message_id"])] = msg
        return msg

    def push(self, kind: str, payload: dict[str, Any]) -> int:
        """Queue an update of ``kind`` (``message``, ``callback_query``...); return its id."""
        with self._cond:
            update_id = next(self._update_ids)
            self._updates.append({"update_id": update_id, kind: payload})
            self._cond.notify_all()
        return update_id

    def update(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        """An update dict without queueing it (for process_update in offline tests)."""
        return {"update_id": next(self._update_ids), kind: payload}

    def callback_query(
        self,
        data: str,
        *,
        message: dict[str, Any] | None = None,
        inline_message_id: str | None = None,
        user_id: int = 111,
    ) -> dict[str, Any]:
        """A button press on a bot message (or on an inline message)."""
        query: dict[str, Any] = {
            "id": str(next(self._callback_ids)),
            "from": self.user(user_id),
            "chat_instance": "-8123456789",
            "data": data,
        }
        if message is not None:
            query["message"] = message
        if inline_message_id is not None:
            query["inline_message_id"] = inline_message_id
        return query

    # ------------------------------------------------------------------ answering

    def calling_via(self, via: str) -> None:
        """Name the caller of this thread's calls (the HTTP server: the path before
        ``/bot<token>``, see :attr:`ApiCall.via`)."""
        self._caller.via = via

    def handle(self, token: str, method: str, params: dict[str, Any]) -> Any:
        """Answer one API call (raises :class:`ApiError` like Telegram's error replies)."""
        if token != self.token:
            raise ApiError(401, "Unauthorized")
        via = getattr(self._caller, "via", "")
        with self._cond:  # polls are kept apart so that tests can compare call lists
            calls = self.polls if method == "getUpdates" else self.calls
            calls.append(ApiCall(method, params, via))
            self._cond.notify_all()
        if method in self.fail_methods:
            raise self.fail_methods[method]
        handler: Callable[[dict[str, Any]], Any] | None = getattr(self, f"_api_{method}", None)
        if handler is None:
            raise ApiError(404, "Not Found")
        return handler(params)

    def _api_getMe(self, params: dict[str, Any]) -> Any:
        return self.bot_user

    def _api_deleteWebhook(self, params: dict[str, Any]) -> Any:
        with self._cond:
            self.webhook = None
            self._cond.notify_all()
        return True

    def _api_setWebhook(self, params: dict[str, Any]) -> Any:
        keys = ("url", "secret_token", "max_connections")
        with self._cond:
            self.webhook = {k: params[k] for k in keys if params.get(k) is not None}
            self._cond.notify_all()
        return True

    def take_updates(self, timeout: float) -> list[dict[str, Any]]:
        """Wait up to ``timeout`` s for queued updates while a webhook is set; remove and
        return them, oldest first (what a webhook delivery sends)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not (self._updates and self.webhook) and time.monotonic() < deadline:
                self._cond.wait(deadline - time.monotonic())
            if not self.webhook:
                return []
            taken, self._updates = self._updates, []
            return taken

    def _api_setMyCommands(self, params: dict[str, Any]) -> Any:
        return True

    def _api_answerCallbackQuery(self, params: dict[str, Any]) -> Any:
        return True

    def _api_answerInlineQuery(self, params: dict[str, Any]) -> Any:
        return True

    def _api_getUpdates(self, params: dict[str, Any]) -> Any:
        if self.webhook:  # as Telegram: updates go to the webhook, not to polling
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = int(params.get("offset") or 0)
        wait = min(float(params.get("timeout") or 0), 1.0)
        deadline = time.monotonic() + wait
        with self._cond:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while not self._updates and time.monotonic() < deadline:
                self._cond.wait(deadline - time.monotonic())
            return list(self._updates[: int(params.get("limit") or 100)])

    def _api_sendMessage(self, params: dict[str, Any]) -> Any:
        return self._new_message(params, self._content(params))

    def _api_sendPhoto(self, params: dict[str, Any]) -> Any:
        photo = params.get("photo")
        self._sendable(params)  # Telegram refuses before it looks at the photo
        content: dict[str, Any] = {}
        if params.get("caption"):
            caption = self._plain(params["caption"], params.get("parse_mode"))
            if len(caption) > MAX_CAPTION:
                raise ApiError(400, "Bad Request: message caption is too long")
            content["caption"] = caption
        if params.get("reply_markup"):
            content["reply_markup"] = params["reply_markup"]
        if isinstance(photo, bytes):
            content["photo"] = self.photos.upload(photo)
        elif isinstance(photo, str) and photo:
            content["photo"] = self.photos.resend(photo)
        else:
            raise ApiError(400, "Bad Request: there is no photo in the request")
        return self._new_message(params, content)

    def _sendable(self, params: dict[str, Any]) -> dict[str, Any]:
        """The chat a send method names, if the bot may send there (else ApiError)."""
        chat_id = int(params["chat_id"])
        if chat_id in self.not_started:
            raise ApiError(403, CANNOT_INITIATE)
        chat = self._chats.get(chat_id)
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        self._check_bot_may_send(chat)
        return chat

    def _new_message(self, params: dict[str, Any], content: dict[str, Any]) -> Any:
        chat = self._sendable(params)
        msg = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            **content,
        }
        if chat["type"] == "channel":  # channel posts have a sender_chat and no "from"
            msg["sender_chat"] = chat
        else:
            msg["from"] = self.bot_user
        with self._cond:
            self._messages[(chat["id"], msg["message_id"])] = msg
            self.sent.append(dict(msg))
        return msg

    def _api_editMessageText(self, params: dict[str, Any]) -> Any:
        if "inline_message_id" in params:
            return True
        key = (int(params["chat_id"]), int(params["message_id"]))
        with self._cond:
            msg = self._messages.get(key)
            if msg is None:
                raise ApiError(400, "Bad Request: message to edit not found")
            if msg.get("from", self.bot_user)["id"] != BOT_ID:
                raise ApiError(400, "Bad Request: message can't be edited")
            content = self._content(params)
            if all(msg.get(k) == v for k, v in content.items()) and (
                "reply_markup" in content or "reply_markup" not in msg
            ):
                raise ApiError(
                    400,
                    "Bad Request: message is not modified: specified new message content "
                    "and reply markup are exactly the same as a current content and reply "
                    "markup of the message",
                )
            msg.pop("reply_markup", None)
            msg.update(content, edit_date=int(time.time()))
            return dict(msg)

    @staticmethod
    def _plain(text: str, parse_mode: str | None) -> str:
        """A text or caption as the recipient sees it (HTML parsed)."""
        return html.unescape(re.sub(r"<[^>]+>", "", text)) if parse_mode == "HTML" else text

    @classmethod
    def _content(cls, params: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"text": cls._plain(params["text"], params.get("parse_mode"))}
        if params.get("reply_markup"):
            out["reply_markup"] = params["reply_markup"]
        return out

    # ------------------------------------------------------------------ inspecting

    def calls_of(self, method: str) -> list[ApiCall]:
        """Recorded calls of one method, in order."""
        with self._cond:
            return [c for c in self.calls if c.method == method]

    def wait_for(
        self, method: str, count: int = 1, *, since: int = 0, timeout: float = 10.0
    ) -> list[ApiCall]:
        """Wait until ``count`` calls of ``method`` arrived after call number ``since``."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [c for c in self.calls[since:] if c.method == method]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [c.method for c in self.calls[since:]]
                    raise AssertionError(f"timed out waiting for {count} {method}; saw {seen}")
                self._cond.wait(left)


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
    fake: FakeTelegram

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # the bot stopped while a request (a long poll) was open: nothing to report
        super().handle_error(request, client_address)


class FakeBotApiServer:
    """Serve a :class:`FakeTelegram` on 127.0.0.1 on a free port; use as a context manager."""

    def __init__(self, fake: FakeTelegram | None = None) -> None:
        self.fake = fake or FakeTelegram()
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

    def __enter__(self) -> FakeBotApiServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class RecordingRequest(InProcessRequest):
    """A PTB request object that answers from a :class:`FakeTelegram`, with no network."""

    def __init__(self, fake: FakeTelegram) -> None:
        self.fake = fake

    async def answer(self, method: str, request_data: RequestData | None, url: str) -> Any:
        params = decode_params(request_data.json_parameters) if request_data else {}
        if request_data is not None and request_data.contains_files:  # an upload
            for name, (_filename, content, *_mime) in request_data.multipart_data.items():
                params[name] = content if isinstance(content, bytes) else content.read()
        token = url.rstrip("/").split("/")[-2][3:]
        return self.fake.handle(token, method, params)


@dataclass
class OfflineBot:
    """The bot's Application driven with ``process_update``, its Bot API answered by a
    :class:`FakeTelegram` through :class:`RecordingRequest` (no network)."""

    app: Any  # bot.telegram.app.AnyApplication
    fake: FakeTelegram

    @property
    def service(self) -> Any:
        """The application's VerbatimService."""
        return bot_data_of(self.app.bot_data).service

    async def feed(self, kind: str, payload: dict[str, Any]) -> list[ApiCall]:
        """Process one update; return the API calls it caused."""
        before = len(self.fake.calls)
        await self.app.process_update(Update.de_json(self.fake.update(kind, payload), self.app.bot))
        return self.fake.calls[before:]
