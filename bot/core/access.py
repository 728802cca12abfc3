"""Who may do what in a channel or group, and the chat service the posting rules ask.

The rules are pure and take plain values: :func:`bot_post_problem` (may the bot post in
that chat?) and :func:`user_manage_problem` (may this user post or schedule there?)
decide from :class:`MemberRights`.  :class:`ChatGateway` is the small interface through
which :mod:`bot.core.posting` asks the chat service about chats and posts to them;
:class:`bot.telegram.chat_access.TelegramChats` implements it for Telegram.  Nothing here
imports ``telegram``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.core.views import Card

CANNOT_CHECK = (
    "I can't check your rights in that chat: am I still a member (an administrator of a "
    "channel) there?"
)


@dataclass(frozen=True, slots=True)
class ChatInfo:
    """A channel or group as Telegram describes it."""

    chat_id: int
    chat_type: str  # "channel", "supergroup", "group" or "private"
    title: str
    username: str | None = None


@dataclass(frozen=True, slots=True)
class MemberRights:
    """What one member may do in a chat (from getChatMember)."""

    status: str  # creator, administrator, member, restricted, left, kicked
    can_post_messages: bool | None = None
    can_send_messages: bool | None = None


@dataclass(frozen=True, slots=True)
class PostedMessage:
    """A post that went out: the chat it is in (a group that became a supergroup has a
    new id) and its message id there."""

    chat_id: int
    message_id: int


class PostFailed(Exception):
    """A post did not go out; ``lost_rights`` when retrying later would not help."""

    def __init__(self, reason: str, *, lost_rights: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.lost_rights = lost_rights


class GatewayError(Exception):
    """The chat service could not be asked (network, server error): no answer either way,
    as opposed to a refusal."""


class ChatGateway(Protocol):
    """The chat service as the posting rules need it.

    Every method follows a group that became a supergroup to its new id.  A method raises
    :class:`GatewayError` when the service cannot be asked at all.
    """

    @property
    def bot_id(self) -> int:
        """The bot's own user id."""
        ...

    async def fetch_chat(self, chat: str | int) -> tuple[ChatInfo, bool | None] | None:
        """The chat named ``@name`` or by id, and whether its members may send messages
        (groups; ``None`` when not said); ``None`` when the service will not show it."""
        ...

    async def member_rights(self, chat_id: int, user_id: int) -> MemberRights | None:
        """A member's rights in a chat; ``None`` when the service will not say."""
        ...

    async def publish(
        self,
        chat_id: int,
        card: Card,
        *,
        of_the_day: bool = False,
        thread_id: int | None = None,
        picture: bool = False,
    ) -> PostedMessage:
        """Post ``card`` to a channel or group as a post of its own (not a reply), headed
        "passage of the day" when ``of_the_day``, in forum topic ``thread_id`` if given,
        as a quote picture captioned with its citation when ``picture``; raises
        :class:`PostFailed` when it does not go out."""
        ...


def bot_post_problem(
    chat: ChatInfo, bot: MemberRights, members_can_send: bool | None
) -> str | None:
    """Why the bot cannot post in ``chat``, or ``None`` when it can."""
    if chat.chat_type == "private":
        return "That is a private chat, not a channel or a group."
    if chat.chat_type == "channel":
        if bot.status == "administrator" and bot.can_post_messages:
            return None
        return (
            "I am not an administrator of that channel with the right to post. "
            "Add me as an administrator with “Post messages”, then try again."
        )
    if bot.status in ("administrator", "creator"):
        return None
    if bot.status == "member" and members_can_send is not False:
        return None
    if bot.status == "restricted" and bot.can_send_messages:
        return None
    if bot.status in ("left", "kicked"):
        return "I am not a member of that group: add me to it, then try again."
    return "I may not send messages in that group: make me an administrator, then try again."


def user_manage_problem(chat: ChatInfo, user: MemberRights) -> str | None:
    """Why this user may not post or schedule in ``chat``, or ``None`` when they may.

    The creator may; an administrator may, in a channel only with the right to post.
    """
    where = "channel" if chat.chat_type == "channel" else "group"
    if user.status == "creator":
        return None
    if user.status == "administrator":
        if chat.chat_type != "channel" or user.can_post_messages:
            return None
        return "You are an administrator of that channel but may not post there."
    return f"Only the {where}'s administrators can do that, and you are not one."


async def user_problem(chats: ChatGateway, chat: ChatInfo, user_id: int) -> str | None:
    """Why ``user_id`` may not post or schedule in ``chat`` now (asks the chat service),
    or ``None``; :data:`CANNOT_CHECK` when the service will not say."""
    rights = await chats.member_rights(chat.chat_id, user_id)
    if rights is None:
        return CANNOT_CHECK
    return user_manage_problem(chat, rights)
