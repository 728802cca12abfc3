"""A small fake Telegram Bot API for tests: the same answers over HTTP or in-process.

:class:`FakeTelegram` is the state machine (queued updates, every call recorded)
answering like Telegram does: ``getMe`` with ``is_bot``, Unix-second dates, callback
queries with ``chat_instance``, 401 for a wrong token, 409 for ``getUpdates`` while a
webhook is set.  It builds on the modules split out of it, one concern each:

- :mod:`fake_bot_state` (:class:`FakeChats`): the chats, their members and rights, and
  whether the bot may send there;
- :mod:`fake_bot_messages` (:class:`FakeMessages`): sending and editing messages
  (``editMessageText`` returns the edited Message, or ``True`` for inline messages;
  "message is not modified" errors; 403 when the bot writes first to a user who never
  started it), ``sendPhoto`` by upload or by ``file_id`` with the photos kept by
  :mod:`fake_bot_photos`;
- :mod:`fake_bot_http`: the HTTP side.  :class:`FakeBotApiServer` serves the fake on
  127.0.0.1 (stdlib ``http.server`` in a thread) for end-to-end tests of ``verbatim run``.

:class:`RecordingRequest` plugs it into a PTB ``Bot`` directly for offline handler
tests, and :class:`OfflineBot` feeds updates to the bot's Application, with no network.
Tests import every name from here (``__all__``), also those defined in the modules above.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fake_bot_http import BotApiHttpServer, decode_params
from fake_bot_messages import FakeMessages
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

_COMMAND = re.compile(r"^/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?")


@dataclass(frozen=True, slots=True)
class ApiCall:
    """One recorded Bot API request; ``via`` is the path before ``/bot<token>`` in its URL
    (several replicas of one bot given base URLs ``…/r1/bot``, ``…/r2/bot`` tell which
    one called)."""

    method: str
    params: dict[str, Any]
    via: str = field(default="", compare=False)


class FakeTelegram(FakeMessages):
    """The fake Bot API's state; thread-safe, shared by the HTTP server and RecordingRequest.

    Chats, members and messages are kept by :class:`FakeChats`, the messages the bot
    sends and edits by :class:`FakeMessages`; this adds the recorded calls, the queued
    updates and the answer to each call."""

    def __init__(self, token: str = TOKEN, username: str = BOT_USERNAME) -> None:
        super().__init__(username)
        self.token = token
        self.calls: list[ApiCall] = []  # every call except getUpdates
        self.polls: list[ApiCall] = []  # getUpdates calls
        self.fail_methods: dict[str, ApiError] = {}
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
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


class FakeBotApiServer(BotApiHttpServer[FakeTelegram]):
    """Serve a :class:`FakeTelegram` (a new one unless given) on 127.0.0.1 on a free port;
    use as a context manager."""

    def __init__(self, fake: FakeTelegram | None = None) -> None:
        super().__init__(fake or FakeTelegram())


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
