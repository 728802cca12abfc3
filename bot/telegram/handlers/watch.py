"""The /watch handler: read the update, call the watch service, reply.

``/watch words`` watches for the user, in their private chat; ``/watch @name words``
sends the alerts to a channel or group they linked (``/channel add``) and may post in,
checked as ``/post`` checks it.  ``/watch list`` and ``/watch remove N`` manage them.
Private chats only: in a group the bot says so.  The rules are in
:mod:`bot.core.watching`; every refusal (:class:`~bot.core.watching.WatchError`, or a
:class:`~bot.core.posting_args.PostingError` about the chat) is sent back as is.
"""

from __future__ import annotations

import re

from telegram import Update
from telegram.constants import ChatType

from bot.core.access import ChatInfo
from bot.core.posting_args import PostingError, parse_chat_ref
from bot.core.watching import SAY_WHICH, WatchError
from bot.telegram.bot_data import Context, bot_data_of
from bot.telegram.handlers.chat import send
from bot.telegram.render import watch as render
from bot.telegram.render.common import render_text

# how a channel or group is named before the words: @name, t.me/name, or its -100… id
_CHAT_FIRST = re.compile(r"@\S+|(?:https?://)?t\.me/\S+|-100[0-9]+|-[0-9]{6,}")


async def watch_command(update: Update, context: Context) -> None:
    """/watch [@name] words | list | remove N (private chats only)."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return
    if chat.type != ChatType.PRIVATE:
        await send(update, context, render.PRIVATE_ONLY)
        return
    args = context.args or []
    try:
        await _watch(update, context, user.id, user.full_name, args)
    except (WatchError, PostingError) as exc:
        await send(update, context, render_text(str(exc)))


async def _watch(
    update: Update, context: Context, user_id: int, name: str, args: list[str]
) -> None:
    data = bot_data_of(context.bot_data)
    watching = data.watching
    action = args[0].lower() if args else ""
    if not args:
        await send(update, context, render.WATCH_USAGE)
    elif action == "list" and len(args) == 1:
        await send(update, context, render.render_watches(await watching.watches_of(user_id)))
    elif action == "remove" and len(args) <= 2:
        if len(args) < 2:
            raise WatchError(SAY_WHICH)
        removed = await watching.remove(user_id, args[1])
        await send(update, context, render.render_watch_removed(removed))
    else:
        where = ChatInfo(user_id, "private", name or str(user_id))
        words = args
        if _CHAT_FIRST.fullmatch(args[0]):
            if len(args) < 2:
                await send(update, context, render.WATCH_USAGE)
                return
            posting = data.posting
            where = await posting.linked_chat(user_id, parse_chat_ref(args[0], allow_number=False))
            await posting.check_manager(where, user_id)
            words = args[1:]
        watch, number, notice = await watching.add(user_id, " ".join(words), where)
        await send(update, context, render.render_watch_added(watch, number, notice))
