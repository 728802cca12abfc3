"""Ask Telegram about chats and post to them: getChat, getChatMember, sendMessage.

:class:`TelegramChats` is the Telegram side of :class:`bot.core.access.ChatGateway`: it
turns Telegram's answers into the plain values of :mod:`bot.core.access`, its refusals
into ``None`` or :class:`~bot.core.access.PostFailed` (a post that did not go out, and
whether the bot lost its rights), and any other Telegram error into
:class:`~bot.core.access.GatewayError`.  The posts themselves are rendered by
:mod:`bot.telegram.render.posting`.
"""

from __future__ import annotations

import logging

from telegram import Bot, ChatFullInfo, ChatMember, LinkPreviewOptions, Message
from telegram.error import BadRequest, ChatMigrated, Forbidden, TelegramError

from bot.core.access import ChatInfo, GatewayError, MemberRights, PostedMessage, PostFailed
from bot.core.views import Card
from bot.telegram.render import posting as post_render
from bot.telegram.render.common import RenderedMessage

log = logging.getLogger(__name__)

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


class TelegramChats:
    """The chat service of :mod:`bot.core.posting`, answered by Telegram through ``bot``."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    @property
    def bot_id(self) -> int:
        """The bot's own user id."""
        return self.bot.id

    async def fetch_chat(self, chat: str | int) -> tuple[ChatInfo, bool | None] | None:
        """The chat a user named (``@name`` or id), and whether its members may send
        messages (groups); ``None`` when Telegram will not show it.

        A group that became a supergroup is followed to its new id."""
        try:
            try:
                full = await self.bot.get_chat(chat)
            except ChatMigrated as exc:
                full = await self.bot.get_chat(exc.new_chat_id)
        except (BadRequest, Forbidden, ChatMigrated) as exc:
            log.info("getChat %s refused: %s", chat, exc)
            return None
        except TelegramError as exc:
            raise GatewayError(str(exc)) from exc
        permissions = full.permissions
        return chat_info(full), permissions.can_send_messages if permissions else None

    async def member_rights(self, chat_id: int, user_id: int) -> MemberRights | None:
        """A member's rights in a chat (followed to its new id if it became a supergroup);
        ``None`` when Telegram will not say."""
        try:
            try:
                return rights_of(await self.bot.get_chat_member(chat_id, user_id))
            except ChatMigrated as exc:
                return rights_of(await self.bot.get_chat_member(exc.new_chat_id, user_id))
        except (BadRequest, Forbidden, ChatMigrated) as exc:
            log.info("getChatMember %s/%s refused: %s", chat_id, user_id, exc)
            return None
        except TelegramError as exc:
            raise GatewayError(str(exc)) from exc

    async def publish(
        self, chat_id: int, card: Card, *, of_the_day: bool = False, thread_id: int | None = None
    ) -> PostedMessage:
        """Render ``card`` as a channel post and send it with :func:`post_message`."""
        heading = post_render.PASSAGE_OF_THE_DAY if of_the_day else None
        rendered = post_render.render_channel_card(card, self.bot.username, heading)
        message = await post_message(self.bot, chat_id, rendered, thread_id)
        return PostedMessage(message.chat_id, message.message_id)


async def post_message(
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
