"""Ask Telegram about chats and post to them: getChat, getChatMember, sendMessage,
sendPhoto (a passage posted as a quote picture, :mod:`bot.telegram.pictures`).

:class:`TelegramChats` is the Telegram side of :class:`bot.core.access.ChatGateway`: it
turns Telegram's answers into the plain values of :mod:`bot.core.access`, its refusals
into ``None`` or :class:`~bot.core.access.PostFailed` (a post that did not go out, and
whether the bot lost its rights), and any other Telegram error into
:class:`~bot.core.access.GatewayError`.  The posts themselves are rendered by
:mod:`bot.telegram.render.posting`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from telegram import Bot, ChatFullInfo, ChatMember, Message
from telegram.error import BadRequest, ChatMigrated, Forbidden, TelegramError

from bot.core.access import ChatInfo, GatewayError, MemberRights, PostedMessage, PostFailed
from bot.core.service import quote_picture
from bot.core.views import Card, QuotePicture
from bot.telegram.pictures import PictureCache, send_picture
from bot.telegram.render import posting as post_render
from bot.telegram.render.common import NO_PREVIEW, RenderedMessage

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


def means_lost_rights(error: BadRequest) -> bool:
    """Whether Telegram's refusal says that the bot may not post in that chat any more
    (rather than that this one message was wrong)."""
    return any(part in str(error).lower() for part in _LOST_RIGHTS)


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

    def __init__(self, bot: Bot, pictures: PictureCache | None = None) -> None:
        self.bot = bot
        self.pictures = pictures if pictures is not None else PictureCache()

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
        self,
        chat_id: int,
        card: Card,
        *,
        of_the_day: bool = False,
        thread_id: int | None = None,
        picture: bool = False,
    ) -> PostedMessage:
        """Render ``card`` as a channel post and send it with :func:`post_message` (as a
        quote picture with :func:`post_picture` when ``picture``)."""
        heading = post_render.PASSAGE_OF_THE_DAY if of_the_day else None
        username = self.bot.username
        if picture:
            rendered = post_render.render_channel_picture(card, username, heading)
            drawn = quote_picture(card.paragraph, card.document, card.spans, username)
            message = await post_picture(
                self.bot, chat_id, drawn, self.pictures, rendered, thread_id
            )
        else:
            rendered = post_render.render_channel_card(card, username, heading)
            message = await post_message(self.bot, chat_id, rendered, thread_id)
        return PostedMessage(message.chat_id, message.message_id)


async def post_message(
    bot: Bot, chat_id: int, message: RenderedMessage, thread_id: int | None = None
) -> Message:
    """Send ``message`` to a channel or group as a post of its own (not a reply);
    ``thread_id`` is the forum topic to post in.

    When a group has become a supergroup, the post goes to the new chat: the returned
    message's ``chat_id`` then differs from ``chat_id`` (the caller moves its records)."""

    async def send(target: int, thread: int | None) -> Message:
        return await bot.send_message(
            chat_id=target,
            message_thread_id=thread,
            text=message.text,
            parse_mode=message.parse_mode,
            reply_markup=message.reply_markup,
            link_preview_options=NO_PREVIEW,
        )

    return await _post(chat_id, thread_id, send)


async def post_picture(
    bot: Bot,
    chat_id: int,
    picture: QuotePicture,
    cache: PictureCache,
    caption: RenderedMessage,
    thread_id: int | None = None,
) -> Message:
    """Post ``picture`` (with the ``caption`` text and buttons) like :func:`post_message`."""

    async def send(target: int, thread: int | None) -> Message:
        return await send_picture(
            bot,
            target,
            picture,
            cache,
            caption=caption.text,
            reply_markup=caption.reply_markup,
            thread_id=thread,
        )

    return await _post(chat_id, thread_id, send)


_Sending = Callable[[int, int | None], Awaitable[Message]]  # (chat_id, thread_id) -> sent


async def _post(chat_id: int, thread_id: int | None, send: _Sending) -> Message:
    """Post with ``send`` to ``chat_id``, or to the supergroup a group became."""
    try:
        return await _send(send(chat_id, thread_id))
    except ChatMigrated as exc:
        log.info("chat %s became supergroup %s: posting there", chat_id, exc.new_chat_id)
        new_chat_id = exc.new_chat_id
    try:
        return await _send(send(new_chat_id, None))  # a basic group has no topics
    except ChatMigrated:
        raise PostFailed("the group moved twice", lost_rights=True) from None


async def _send(sending: Awaitable[Message]) -> Message:
    """One post; Telegram's refusals become :class:`PostFailed` (ChatMigrated passes)."""
    try:
        return await sending
    except ChatMigrated:
        raise
    except Forbidden as exc:
        raise PostFailed(str(exc), lost_rights=True) from None
    except BadRequest as exc:
        raise PostFailed(str(exc), lost_rights=means_lost_rights(exc)) from None
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
