"""Telegram, played in the terminal for one private chat: what ``verbatim chat`` talks to.

The bot is the very Application that ``verbatim run`` starts (same handlers, same
rendering); only its HTTP layer is replaced by :class:`TerminalBotApi`, a
``telegram.request.BaseRequest`` that answers the Bot API in-process: it keeps the
chat's messages, and shows what the bot sends, edits and answers in a
:class:`TerminalView`.  The conversation loop is :mod:`bot.terminal.session`.

Each line typed becomes a message in a private chat (``/commands`` too); ``@ words`` is
an inline query; a number presses that button of the last message shown (or picks that
inline result).  End of input (Ctrl-D) or ``/exit`` ends the chat.  A picture the bot
sends ("🖼 Picture") is written to a temporary folder and shown as its path and size;
the buttons of the message above it can still be pressed by number.
"""

from __future__ import annotations

import functools
import itertools
import re
import struct
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import parse_qs, urlsplit

from telegram import Update
from telegram.request import RequestData

from bot.telegram.inprocess_request import BotApiError, InProcessRequest
from bot.terminal.render import html_to_terminal, keyboard_lines

TOKEN = "1:terminal-chat"  # never sent anywhere: every request is answered in-process
BOT_ID = 1
BOT_USERNAME = "verbatim_bot"
USER_ID = CHAT_ID = 42
_COMMAND = re.compile(r"^/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?")
_INLINE = re.compile(rf"^@(?:{BOT_USERNAME}\b)?\s*(.*)$", re.S)


@dataclass
class Choice:
    """A numbered thing the user can pick: a button, or an inline query result."""

    label: str
    pick: Callable[[], Awaitable[None]]


@dataclass
class TerminalView:
    """Where the conversation is printed, and the numbered choices on screen now."""

    out: TextIO
    ansi: bool
    choices: list[Choice] = field(default_factory=list)

    def show(self, header: str, html: str, rows: list[list[dict[str, Any]]]) -> list[int]:
        """Print a message (Telegram HTML) with its buttons; return the numbers given."""
        self.choices = []
        print(self.style(header), file=self.out)
        print(html_to_terminal(html, ansi=self.ansi), file=self.out)
        for line in keyboard_lines(rows, 1, ansi=self.ansi):
            print(line, file=self.out)
        print(file=self.out)
        self.out.flush()
        return list(range(1, sum(len(r) for r in rows) + 1))

    def note(self, text: str) -> None:
        """A line about what happened (alerts, edits, limits of the terminal)."""
        print(self.style(f"({text})", dim=True), file=self.out)
        self.out.flush()

    def style(self, text: str, dim: bool = False) -> str:
        """``text`` as a header (bold cyan), or ``dim``, when colours are on."""
        if not self.ansi:
            return text
        return f"\x1b[2m{text}\x1b[22m" if dim else f"\x1b[1;36m{text}\x1b[0m"


class TerminalBotApi(InProcessRequest):
    """The Bot API answered in-process for one private chat, shown in a :class:`TerminalView`."""

    def __init__(self, view: TerminalView) -> None:
        self.view = view
        self.bot_user = {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "Verbatim",
            "username": BOT_USERNAME,
            "supports_inline_queries": True,
        }
        self.user = {"id": USER_ID, "is_bot": False, "first_name": "You"}
        self.chat = {"id": CHAT_ID, "type": "private", "first_name": "You"}
        self.messages: dict[str | int, dict[str, Any]] = {}
        self.calls: list[str] = []
        self.pictures: dict[str, tuple[Path, int, int]] = {}  # file_id -> file, width, height
        self._folder: Path | None = None
        self._ids = itertools.count(1)
        self.on_press: Callable[[dict[str, Any], dict[str, Any]], Awaitable[None]] = _nothing
        self.on_results: Callable[[dict[str, Any]], None] = lambda params: None

    async def answer(self, method: str, request_data: RequestData | None, url: str) -> Any:
        """Answer one Bot API call the way Telegram would."""
        self.calls.append(method)
        params: dict[str, Any] = dict(request_data.parameters) if request_data else {}
        if request_data is not None and request_data.contains_files:  # an upload
            for name, (_filename, content, *_mime) in request_data.multipart_data.items():
                params[name] = content if isinstance(content, bytes) else content.read()
        return self.reply(method, params)

    def reply(self, name: str, params: dict[str, Any]) -> Any:
        """The result of Bot API method ``name``, or :class:`BotApiError`."""
        if name == "getMe":
            return self.bot_user
        if name in ("setMyCommands", "deleteWebhook", "sendChatAction", "deleteMyCommands"):
            return True
        if name == "sendMessage":
            return self._send(params)
        if name == "sendPhoto":
            return self._photo(params)
        if name in ("editMessageText", "editMessageReplyMarkup"):
            return self._edit(params)
        if name == "answerCallbackQuery":
            if params.get("text"):
                kind = "alert" if params.get("show_alert") else "notice"
                self.view.note(f"{kind}: {params['text']}")
            return True
        if name == "answerInlineQuery":
            self.on_results(params)
            return True
        if name == "deleteMessage":
            self.messages.pop(int(params["message_id"]), None)
            self.view.note("the bot deleted a message")
            return True
        self.view.note(f"the bot called {name}, which verbatim chat does not show")
        raise BotApiError(400, f"Bad Request: {name} is not available in verbatim chat")

    def new_message(self, sender: dict[str, Any], text: str, **extra: Any) -> dict[str, Any]:
        """A message in the chat (user's or bot's), remembered by its id."""
        msg: dict[str, Any] = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": self.chat,
            "from": sender,
            "text": text,
            **extra,
        }
        self.messages[msg["message_id"]] = msg
        return msg

    def _send(self, params: dict[str, Any]) -> dict[str, Any]:
        if int(params["chat_id"]) != CHAT_ID:
            raise BotApiError(400, "Bad Request: chat not found")
        html = as_html(params)
        extra = {"reply_markup": params["reply_markup"]} if params.get("reply_markup") else {}
        msg = self.new_message(self.bot_user, html_to_terminal(html, ansi=False), **extra)
        msg["_html"] = html
        self.display(msg, "bot:")
        return {k: v for k, v in msg.items() if not k.startswith("_")}

    def _photo(self, params: dict[str, Any]) -> dict[str, Any]:
        """A picture: written to a file (an upload) or found by file_id, and shown as
        its path and size over its caption."""
        if int(params["chat_id"]) != CHAT_ID:
            raise BotApiError(400, "Bad Request: chat not found")
        photo = params.get("photo")
        if isinstance(photo, bytes):
            if photo[12:16] != b"IHDR":
                raise BotApiError(400, "Bad Request: IMAGE_PROCESS_FAILED")
            width, height = struct.unpack(">II", photo[16:24])
            if self._folder is None:
                self._folder = Path(tempfile.mkdtemp(prefix="verbatim-chat-"))
            photo = f"terminal-picture-{len(self.pictures) + 1}"
            path = self._folder / f"{photo}.png"
            path.write_bytes(params["photo"])
            self.pictures[photo] = (path, width, height)
        if not isinstance(photo, str) or photo not in self.pictures:
            raise BotApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        path, width, height = self.pictures[photo]
        size = {"file_id": photo, "file_unique_id": photo, "width": width, "height": height}
        caption = as_html(
            {"text": params.get("caption", ""), "parse_mode": params.get("parse_mode")}
        )
        extra = {"reply_markup": params["reply_markup"]} if params.get("reply_markup") else {}
        msg = self.new_message(self.bot_user, "", photo=[size], **extra)
        del msg["text"]
        msg["caption"] = html_to_terminal(caption, ansi=False)
        msg["_html"] = as_html({"text": f"🖼 {path} ({width}×{height})"}) + f"\n{caption}"
        choices = self.view.choices
        self.display(msg, "bot (picture):")
        if not extra:  # a picture without buttons: those of the card above still work
            self.view.choices = choices
        return {k: v for k, v in msg.items() if not k.startswith("_")}

    def _edit(self, params: dict[str, Any]) -> Any:
        key: str | int = params.get("inline_message_id") or int(params.get("message_id", 0))
        msg = self.messages.get(key)
        if msg is None:
            raise BotApiError(400, "Bad Request: message to edit not found")
        html = as_html(params) if "text" in params else msg["_html"]
        markup = params.get("reply_markup") or None
        if html == msg["_html"] and markup == msg.get("reply_markup"):
            raise BotApiError(400, "Bad Request: message is not modified")
        msg.update(_html=html, text=html_to_terminal(html, ansi=False), edit_date=int(time.time()))
        msg.pop("reply_markup", None)
        if markup:
            msg["reply_markup"] = markup
        self.display(msg, f"bot (edited message #{msg['message_id']}):")
        return (
            True
            if isinstance(key, str)
            else {k: v for k, v in msg.items() if not k.startswith("_")}
        )

    def display(self, msg: dict[str, Any], header: str) -> None:
        """Show a message and make its buttons the current numbered choices."""
        rows = (msg.get("reply_markup") or {}).get("inline_keyboard") or []
        self.view.show(header, msg["_html"], rows)
        self.view.choices = [
            Choice(str(b.get("text")), functools.partial(self.on_press, msg, b))
            for r in rows
            for b in r
        ]


async def _nothing(msg: dict[str, Any], button: dict[str, Any]) -> None:
    return None


def as_html(params: dict[str, Any]) -> str:
    """The text of a send/edit call as Telegram HTML (escaped when it is plain text)."""
    text = str(params.get("text", ""))
    if params.get("parse_mode") == "HTML":
        return text
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def deep_link_start(url: str) -> str | None:
    """``/start PAYLOAD`` for a ``t.me/<this bot>?start=PAYLOAD`` link, else ``None``."""
    parts = urlsplit(url)
    if parts.hostname != "t.me" or parts.path.strip("/").lower() != BOT_USERNAME:
        return None
    payload = parse_qs(parts.query).get("start")
    return f"/start {payload[0]}" if payload else "/start"


def update_json(api: TerminalBotApi, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """An update dict of ``kind`` carrying ``payload``."""
    return {"update_id": next(api._ids), kind: payload}


def user_message(api: TerminalBotApi, text: str) -> dict[str, Any]:
    """What the user typed, as a message (with a bot_command entity for /commands)."""
    extra: dict[str, Any] = {}
    match = _COMMAND.match(text)
    if match:
        extra["entities"] = [{"type": "bot_command", "offset": 0, "length": match.end()}]
    return api.new_message(api.user, text, **extra)


def parse_inline(text: str) -> str | None:
    """The query of an ``@ words`` line, or ``None`` if the line is not an inline query."""
    match = _INLINE.match(text)
    return match.group(1).strip() if match else None


def as_update(app: Any, data: dict[str, Any]) -> Update:
    """Turn an update dict into a PTB Update for ``app.process_update``."""
    return Update.de_json(data, app.bot)
