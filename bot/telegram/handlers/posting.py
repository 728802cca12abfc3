"""Handlers for /channel, /post and /schedule: read the update, call the posting service,
reply.

In a private chat the user names a linked chat (``@name``, id, or number in /channel
list).  In a group, /post and /schedule act on the group itself and only its
administrators may use them (an anonymous administrator, posting as the group, counts);
/post there posts a card without editing buttons, as a post of its own.  The rules and
workflows (rights, posting, who may remove a schedule) are in :mod:`bot.core.posting`.
Every refusal is a :class:`~bot.core.posting_args.PostingError` whose message is sent
back as is (escaped).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Chat, Message, Update, User
from telegram.constants import ChatType

from bot.core.access import ChatInfo
from bot.core.posting import Requester
from bot.core.posting_args import PostingError, parse_chat_ref, parse_schedule, take_picture_flag
from bot.telegram import chat_access, jobs
from bot.telegram.bot_data import Context, bot_data_of
from bot.telegram.handlers.chat import render_outcome, send
from bot.telegram.render import posting as post_render
from bot.telegram.render.common import render_text

Handler = Callable[[Update, Context], Coroutine[Any, Any, None]]


def _answers_refusals(handler: Handler) -> Handler:
    """Send a :class:`PostingError`'s message to the user instead of failing."""

    @functools.wraps(handler)
    async def wrapper(update: Update, context: Context) -> None:
        try:
            await handler(update, context)
        except PostingError as exc:
            await send(update, context, render_text(str(exc)))

    return wrapper


def _parts(update: Update) -> tuple[Message, Chat, User]:
    message, chat, user = update.effective_message, update.effective_chat, update.effective_user
    if message is None or chat is None or user is None:
        raise PostingError("I can't tell who sent that.")
    return message, chat, user


def _requester(message: Message, chat: Chat, user: User) -> Requester:
    """Who sent the command, and from which group (an anonymous administrator writes as the
    group, from the shared GroupAnonymousBot)."""
    if chat.type == ChatType.PRIVATE:
        return Requester(user.id)
    group = ChatInfo(chat.id, chat.type, chat.title or str(chat.id), chat.username)
    as_group = message.sender_chat is not None and message.sender_chat.id == chat.id
    return Requester(user.id, group, as_group)


# ---------------------------------------------------------------------- /channel


@_answers_refusals
async def channel_command(update: Update, context: Context) -> None:
    """/channel add @name | list | remove N|@name (private chats only)."""
    _message, chat, user = _parts(update)
    if chat.type != ChatType.PRIVATE:
        await send(update, context, post_render.PRIVATE_ONLY)
        return
    args = context.args or []
    posting = bot_data_of(context.bot_data).posting
    action = args[0].lower() if args else ""
    if action == "list" and len(args) == 1:
        targets = await posting.store.list_targets(user.id)
        await send(update, context, post_render.render_targets(targets))
    elif action == "add" and len(args) == 2:
        ref = parse_chat_ref(args[1], allow_number=False)
        target, created = await posting.link_chat(user.id, ref)
        await send(update, context, post_render.render_linked(target, created))
    elif action == "remove" and len(args) == 2:
        target, removed = await posting.unlink(user.id, parse_chat_ref(args[1]))
        for schedule_id in removed:
            jobs.stop_job(context.job_queue, schedule_id)
        await send(update, context, post_render.render_unlinked(target, removed))
    else:
        await send(update, context, post_render.CHANNEL_USAGE)


# ---------------------------------------------------------------------- /post


@_answers_refusals
async def post_command(update: Update, context: Context) -> None:
    """/post @name [--picture] words (private), /post [--picture] words (group
    administrators, into the group); ``--picture`` posts a quote picture."""
    message, chat, user = _parts(update)
    args, picture = take_picture_flag(context.args or [])
    posting = bot_data_of(context.bot_data).posting
    requester = _requester(message, chat, user)
    thread_id: int | None = None
    if requester.group is None:
        if len(args) < 2:
            await send(update, context, post_render.POST_USAGE)
            return
        where = await posting.linked_chat(user.id, parse_chat_ref(args[0]))
        await posting.check_manager(where, user.id)
        query = " ".join(args[1:])
    else:
        if not args:
            await send(update, context, post_render.POST_USAGE_GROUP)
            return
        await posting.group_actor(requester)
        where, query = requester.group, " ".join(args)
        if message.is_topic_message:  # a forum: post in the topic the command came from
            thread_id = message.message_thread_id
    result = await posting.post(where, query, thread_id, picture=picture)
    if not isinstance(result, tuple):  # nothing matches: nothing was posted
        await send(update, context, render_outcome(result, context.bot.username))
        return
    card, posted = result
    if requester.group is None:  # in a group the post itself is the answer
        link = chat_access.message_link(posted.chat_id, where.username, posted.message_id)
        rendered = post_render.render_posted(where.title, link, card, picture=picture)
        await send(update, context, rendered)


# ---------------------------------------------------------------------- /schedule


@_answers_refusals
async def schedule_command(update: Update, context: Context) -> None:
    """/schedule [@name] daily HH:MM [picture] [collection:NAME] [words] | list | remove N."""
    message, chat, user = _parts(update)
    args = context.args or []
    data = bot_data_of(context.bot_data)
    posting, timezone = data.posting, data.timezone
    requester = _requester(message, chat, user)
    group = requester.group
    creator = user.id
    action = args[0].lower() if args else ""
    if action == "list" and len(args) == 1:
        found = (
            await posting.schedules_of_user(user.id)
            if group is None
            else await posting.store.list_schedules(chat_id=group.chat_id)
        )
        await send(update, context, post_render.render_schedules(found, timezone))
        return
    if action == "remove" and len(args) == 2:
        removed = await posting.remove_schedule(args[1], requester)
        jobs.stop_job(context.job_queue, removed.id)
        await send(update, context, post_render.render_schedule_removed(removed))
        return
    if group is None and len(args) >= 3:
        where = await posting.linked_chat(user.id, parse_chat_ref(args[0]))
        spec = parse_schedule(args[1:])
        await posting.check_manager(where, user.id)
    elif group is not None and len(args) >= 2:
        spec = parse_schedule(args)
        creator = await posting.group_actor(requester)
        where = group
    else:
        usage = post_render.SCHEDULE_USAGE if group is None else post_render.SCHEDULE_USAGE_GROUP
        await send(update, context, usage)
        return
    created = await posting.add_schedule(creator, where, spec)
    jobs.start_job(context.job_queue, created, timezone)
    await send(update, context, post_render.render_schedule_added(created, timezone))
