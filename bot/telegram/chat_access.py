"""Ask Telegram about chats and post to them: getChat, getChatMember, sendMessage.

Turns Telegram's answers into :mod:`bot.core.posting`'s plain values and its errors into
:class:`~bot.core.posting.PostingError` (a short message for the user) or
:class:`PostFailed` (a post that did not go out, and whether the bot lost its rights).
"""

from __future__ import annotations

import logging

from telegram import Bot, ChatFullInfo, ChatMember, LinkPreviewOptions, Message
from telegram.error import BadRequest, ChatMigrated, Forbidden, TelegramError

from bot.core.posting import (
    ChatInfo,
    ChatRef,
    MemberRights,
    PostingError,
    bot_post_problem,
    user_manage_problem,
)
from bot.telegram.render.common import RenderedMessage

log = logging.getLogger(__name__)

NOT_FOUND = (
    "I can't find that chat. Check the name; for a private channel or group, add me "
    "first (as an administrator of a channel) and use its numeric id."
)
CANNOT_CHECK = (
    "I can't check your rights in that chat: am I still a member (an administrator of a "
    "channel) there?"
)
# Substrings of Telegram's error descriptions that mean "the bot may not post here any more"
_LOST_RIGHTS = (
    "chat not found",
    "not enough rights",
    "need administrator rights",
    "have no rights",
    "chat_write_forbidden",
    "not a member",
    "channel_private",
    "chat_admin_required",
    "chat_restricted",
    "chat_send_plain_forbidden",
)


class PostFailed(Exception):
    """A post did not go out; ``lost_rights`` when retrying later would not help."""

    def __init__(self, reason: str, *, lost_rights: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.lost_rights = lost_rights


def chat_info(chat: ChatFullInfo) -> ChatInfo:
    """The plain description of a chat."""
    title = chat.title or chat.full_name or chat.username or str(chat.id)
    return ChatInfo(chat.id, chat.type, title, chat.username)


def rights_of(member: ChatMember) -> MemberRights:
    """The rights that matter for posting, from a ChatMember of any status."""
    return MemberRights(
        status=member.status,
        can_post_messages=getattr(member, "can_post_messages", None),
        can_send_messages=getattr(member, "can_send_messages", None),
    )


async def fetch_chat(bot: Bot, ref: ChatRef) -> tuple[ChatInfo, bool | None]:
    """The chat a user named, and whether its members may send messages (groups).

    A group that became a supergroup is followed to its new id."""
    try:
        try:
            full = await bot.get_chat(ref.api_id)
        except ChatMigrated as exc:
            full = await bot.get_chat(exc.new_chat_id)
    except (BadRequest, Forbidden, ChatMigrated) as exc:
        log.info("getChat %s refused: %s", ref.api_id, exc)
        raise PostingError(NOT_FOUND) from None
    permissions = full.permissions
    return chat_info(full), permissions.can_send_messages if permissions else None


async def member_rights(bot: Bot, chat_id: int, user_id: int) -> MemberRights | None:
    """A member's rights in a chat (followed to its new id if it became a supergroup);
    ``None`` when Telegram will not say."""
    try:
        try:
            return rights_of(await bot.get_chat_member(chat_id, user_id))
        except ChatMigrated as exc:
            return rights_of(await bot.get_chat_member(exc.new_chat_id, user_id))
    except (BadRequest, Forbidden, ChatMigrated) as exc:
        log.info("getChatMember %s/%s refused: %s", chat_id, user_id, exc)
        return None


async def check_link(bot: Bot, ref: ChatRef, user_id: int) -> ChatInfo:
    """Check that the bot may post in the chat and that the user administers it."""
    chat, members_can_send = await fetch_chat(bot, ref)
    own = await member_rights(bot, chat.chat_id, bot.id) or MemberRights("left")
    problem = bot_post_problem(chat, own, members_can_send)
    if problem is None:
        problem = await user_problem(bot, chat, user_id)
    if problem is not None:
        raise PostingError(problem)
    return chat


async def user_problem(bot: Bot, chat: ChatInfo, user_id: int) -> str | None:
    """Why ``user_id`` may not post or schedule in ``chat`` now (asks Telegram), or None."""
    rights = await member_rights(bot, chat.chat_id, user_id)
    if rights is None:
        return CANNOT_CHECK
    return user_manage_problem(chat, rights)


async def publish(
    bot: Bot, chat_id: int, message: RenderedMessage, thread_id: int | None = None
) -> Message:
    """Send ``message`` to a channel or group as a post of its own (not a reply);
    ``thread_id`` is the forum topic to post in.

    When a group has become a supergroup, the post goes to the new chat: the returned
    message's ``chat_id`` then differs from ``chat_id`` (the caller moves its records)."""
    try:
        return await _send(bot, chat_id, message, thread_id)
    except ChatMigrated as exc:
        log.info("chat %s became supergroup %s: posting there", chat_id, exc.new_chat_id)
        new_chat_id = exc.new_chat_id
    try:
        return await _send(bot, new_chat_id, message, None)  # a basic group has no topics
    except ChatMigrated:
        raise PostFailed("the group moved twice", lost_rights=True) from None


async def _send(bot: Bot, chat_id: int, message: RenderedMessage, thread_id: int | None) -> Message:
    """One sendMessage; Telegram's refusals become :class:`PostFailed` (ChatMigrated passes)."""
    try:
        return await bot.send_message(
            chat_id=chat_id,
            message_thread_id=thread_id,
            text=message.text,
            parse_mode=message.parse_mode,
            reply_markup=message.reply_markup,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )
    except ChatMigrated:
        raise
    except Forbidden as exc:
        raise PostFailed(str(exc), lost_rights=True) from None
    except BadRequest as exc:
        lost = any(part in str(exc).lower() for part in _LOST_RIGHTS)
        raise PostFailed(str(exc), lost_rights=lost) from None
    except TelegramError as exc:
        raise PostFailed(str(exc), lost_rights=False) from None


def message_link(chat_id: int, username: str | None, message_id: int) -> str | None:
    """A t.me link to a post: public chats by name, private supergroups/channels by id."""
    if username:
        return f"https://t.me/{username}/{message_id}"
    text = str(chat_id)
    if text.startswith("-100"):
        return f"https://t.me/c/{text[4:]}/{message_id}"
    return None
