"""Messages in the fake Bot API: what Telegram does when the bot sends or edits one.

``sendMessage`` and ``sendPhoto`` (by upload, or by ``file_id``: the photos are kept by
:class:`fake_bot_photos.FakePhotos`) answer with the new Message (Unix-second ``date``; a
channel post has ``sender_chat`` and no ``from``); they are refused with 403 when the
bot writes first to a user who never started it, and where :class:`fake_bot_state.FakeChats`
says the bot may not send.  ``editMessageText`` returns the edited Message (``True`` for
an inline message) or Telegram's "message is not modified" error.
:class:`FakeMessages` keeps that state for :class:`fake_bot_api.FakeTelegram`; tests
import these names from :mod:`fake_bot_api`.
"""

from __future__ import annotations

import html
import itertools
import re
import time
from typing import Any

from fake_bot_photos import FakePhotos
from fake_bot_state import BOT_ID, BOT_USERNAME, ApiError, FakeChats

MAX_CAPTION = 1024  # characters of a caption after its HTML is parsed
CANNOT_INITIATE = "Forbidden: bot can't initiate conversation with a user"


class FakeMessages(FakeChats):
    """The messages the bot sends and edits, over the chats of :class:`FakeChats`;
    thread-safe (``_cond``)."""

    def __init__(self, username: str = BOT_USERNAME) -> None:
        super().__init__(username)
        self._message_ids = itertools.count(1000)
        self.sent: list[dict[str, Any]] = []  # messages the bot sent, as first sent
        self.photos = FakePhotos()  # uploaded photos by file_id
        self.not_started: set[int] = set()  # users who never opened a chat with the bot

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
