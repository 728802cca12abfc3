"""The fake Bot API's bookkeeping: the bot's identity, the chats it knows, their
members with their rights, and the messages in them.

:class:`FakeChats` answers ``getChat`` and ``getChatMember`` and decides whether the bot
may send to a chat, as Telegram does (private channels it is not in are "not found",
channels need ``can_post_messages``...); :class:`fake_bot_messages.FakeMessages` builds
on it with message sending, and :class:`fake_bot_api.FakeTelegram` on that with the
calls and updates.  Tests import these names from :mod:`fake_bot_api`.
"""

from __future__ import annotations

import threading
from typing import Any

from bot.telegram.inprocess_request import BotApiError

TOKEN = "7000001:AAFakeTokenForTestsOnly_0123456789ab"
BOT_ID = 7000001
BOT_USERNAME = "verbatim_test_bot"
_RESTRICTED_RIGHTS = (
    "can_change_info",
    "can_invite_users",
    "can_pin_messages",
    "can_send_messages",
    "can_send_polls",
    "can_send_other_messages",
    "can_add_web_page_previews",
    "can_manage_topics",
    "can_send_audios",
    "can_send_documents",
    "can_send_photos",
    "can_send_videos",
    "can_send_video_notes",
    "can_send_voice_notes",
    "can_edit_tag",
)

ApiError = BotApiError  # an error answer: HTTP status and Telegram's description


class FakeChats:
    """Chats, members and messages of the fake Bot API; thread-safe (``_cond``)."""

    def __init__(self, username: str = BOT_USERNAME) -> None:
        self.bot_user = {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "Verbatim",
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
        }
        self._cond = threading.Condition()
        self._chats: dict[int, dict[str, Any]] = {}
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        # channels and groups made with add_chat: who is a member, with what rights
        self._members: dict[tuple[int, int], dict[str, Any]] = {}
        self._members_can_send: dict[int, bool] = {}

    # ------------------------------------------------------------------ users and chats

    def user(self, user_id: int = 111, name: str = "Ada") -> dict[str, Any]:
        """A human user object."""
        return {"id": user_id, "is_bot": False, "first_name": name, "language_code": "en"}

    def chat(self, chat_id: int, chat_type: str = "private") -> dict[str, Any]:
        """A chat object, remembered so the bot can send to it."""
        chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = "Ada"
        else:
            chat["title"] = "Test group"
        self._chats[chat_id] = chat
        return chat

    # ------------------------------------------------------------------ channels and groups

    def add_chat(
        self,
        chat_id: int,
        chat_type: str = "channel",
        *,
        title: str = "Test channel",
        username: str | None = None,
        members_can_send: bool = True,
    ) -> dict[str, Any]:
        """A channel or group whose members and rights getChat/getChatMember report."""
        chat: dict[str, Any] = {"id": chat_id, "type": chat_type, "title": title}
        if username:
            chat["username"] = username
        with self._cond:
            self._chats[chat_id] = chat
            self._members_can_send[chat_id] = members_can_send
        return chat

    def set_member(self, chat_id: int, user_id: int, status: str, **rights: bool) -> None:
        """Make ``user_id`` (BOT_ID for the bot) a member of a chat with ``status``
        (creator, administrator, member, restricted, left, kicked); ``rights`` override
        the can_* fields an administrator or restricted member gets by default."""
        user = self.bot_user if user_id == BOT_ID else self.user(user_id)
        member: dict[str, Any] = {"status": status, "user": user}
        channel = self._chats[chat_id]["type"] == "channel"
        if status == "creator":
            member["is_anonymous"] = False
        elif status == "administrator":
            member.update(
                can_be_edited=False,
                is_anonymous=False,
                can_manage_chat=True,
                can_delete_messages=True,
                can_manage_video_chats=True,
                can_restrict_members=True,
                can_promote_members=False,
                can_change_info=True,
                can_invite_users=True,
                can_post_stories=True,
                can_edit_stories=True,
                can_delete_stories=True,
            )
            if channel:  # Telegram sends these for channels only
                member.update(can_post_messages=True, can_edit_messages=True)
            else:
                member.update(can_pin_messages=True, can_manage_topics=False)
        elif status == "restricted":
            member.update({name: True for name in _RESTRICTED_RIGHTS}, is_member=True)
            member["until_date"] = 0
        elif status == "kicked":
            member["until_date"] = 0
        member.update(rights)
        with self._cond:
            self._members[(chat_id, user_id)] = member

    def _find_chat(self, chat_id: Any) -> dict[str, Any]:
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            name = chat_id[1:].casefold()
            found = [c for c in self._chats.values() if c.get("username", "").casefold() == name]
        else:
            found = [self._chats[int(chat_id)]] if int(chat_id) in self._chats else []
        if not found or found[0]["type"] == "private":
            raise ApiError(400, "Bad Request: chat not found")
        chat = found[0]
        bot = self._members.get((chat["id"], BOT_ID), {"status": "left"})
        if "username" not in chat and bot["status"] in ("left", "kicked"):
            raise ApiError(400, "Bad Request: chat not found")  # private, and we are not in it
        return chat

    def _check_bot_may_send(self, chat: dict[str, Any]) -> None:
        if chat["id"] not in self._members_can_send:
            return  # a chat made by message(): the bot may always answer there
        bot = self._members.get((chat["id"], BOT_ID), {"status": "left"})
        kind = "channel" if chat["type"] == "channel" else chat["type"]
        if bot["status"] in ("left", "kicked"):
            verb = "was kicked from" if bot["status"] == "kicked" else "is not a member of"
            raise ApiError(403, f"Forbidden: bot {verb} the {kind} chat")
        if chat["type"] == "channel" and not bot.get("can_post_messages"):
            raise ApiError(400, "Bad Request: need administrator rights in the channel chat")
        if bot["status"] == "restricted" and not bot.get("can_send_messages"):
            raise ApiError(400, "Bad Request: not enough rights to send text messages to the chat")

    def _api_getChat(self, params: dict[str, Any]) -> Any:
        chat = self._find_chat(params["chat_id"])
        full = {
            **chat,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }
        if chat["type"] != "channel":
            full["permissions"] = {
                "can_send_messages": self._members_can_send.get(chat["id"], True)
            }
        return full

    def _api_getChatMember(self, params: dict[str, Any]) -> Any:
        chat = self._find_chat(params["chat_id"])
        user_id = int(params["user_id"])
        bot = self._members.get((chat["id"], BOT_ID), {"status": "left"})
        if chat["type"] == "channel" and user_id != BOT_ID and bot["status"] != "administrator":
            raise ApiError(400, "Bad Request: member list is inaccessible")
        user = self.bot_user if user_id == BOT_ID else self.user(user_id)
        return self._members.get((chat["id"], user_id), {"status": "left", "user": user})

    # ------------------------------------------------------------------ inspecting

    def sent_message(self, chat_id: int, message_id: int) -> dict[str, Any]:
        """The current state of a message the bot sent (after edits)."""
        with self._cond:
            return dict(self._messages[(chat_id, message_id)])
