"""Handlers for /channel, /post and /schedule: parse, check, call the posting service, reply.

In a private chat the user names a linked chat (``@name``, id, or number in /channel
list).  In a group, /post and /schedule act on the group itself and only its
administrators may use them (an anonymous administrator, posting as the group, counts);
/post there posts a card without editing buttons, as a post of its own.  Every refusal is
a :class:`~bot.core.posting.PostingError` whose message is sent back as is (escaped).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Chat, Message, Update, User
from telegram.constants import ChatType

from bot.core.digits import parse_digits
from bot.core.posting import ChatInfo, PostingError, parse_chat_ref, parse_schedule
from bot.core.views import Card
from bot.telegram import chat_access
from bot.telegram import jobs as schedule
from bot.telegram.bot_data import Context, bot_data_of
from bot.telegram.handlers.chat import render_outcome, send
from bot.telegram.render import posting as post_render
from bot.telegram.render.common import render_text

Handler = Callable[[Update, Context], Coroutine[Any, Any, None]]
NO_SCHEDULE = "There is no schedule #{} that you can remove here. See /schedule list."


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


def _this_group(chat: Chat) -> ChatInfo:
    return ChatInfo(chat.id, chat.type, chat.title or str(chat.id), chat.username)


async def _require_group_admin(message: Message, chat: Chat, user: User, context: Context) -> int:
    """Refuse non-administrators; returns who acts: the user, or the group itself for an
    anonymous administrator (who writes as the group, from the shared GroupAnonymousBot)."""
    if message.sender_chat is not None and message.sender_chat.id == chat.id:
        return chat.id
    problem = await chat_access.user_problem(context.bot, _this_group(chat), user.id)
    if problem is not None:
        raise PostingError(post_render.GROUP_ADMINS_ONLY.text)
    return user.id


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
        await send(update, context, post_render.render_targets(await posting.targets(user.id)))
    elif action == "add" and len(args) == 2:
        ref = parse_chat_ref(args[1], allow_number=False)
        info = await chat_access.check_link(context.bot, ref, user.id)
        target, created = await posting.link(user.id, info)
        await send(update, context, post_render.render_linked(target, created))
    elif action == "remove" and len(args) == 2:
        target, removed = await posting.unlink(user.id, parse_chat_ref(args[1]))
        for schedule_id in removed:
            schedule.stop_job(context.job_queue, schedule_id)
        await send(update, context, post_render.render_unlinked(target, removed))
    else:
        await send(update, context, post_render.CHANNEL_USAGE)


# ---------------------------------------------------------------------- /post


@_answers_refusals
async def post_command(update: Update, context: Context) -> None:
    """/post @name words (private), /post words (group administrators, into the group)."""
    message, chat, user = _parts(update)
    args = context.args or []
    posting = bot_data_of(context.bot_data).posting
    thread_id: int | None = None
    if chat.type == ChatType.PRIVATE:
        if len(args) < 2:
            await send(update, context, post_render.POST_USAGE)
            return
        target = await posting.resolve(user.id, parse_chat_ref(args[0]))
        where = ChatInfo(target.chat_id, target.chat_type, target.title, target.username)
        if problem := await chat_access.user_problem(context.bot, where, user.id):
            raise PostingError(problem)
        query = " ".join(args[1:])
    else:
        if not args:
            await send(update, context, post_render.POST_USAGE_GROUP)
            return
        await _require_group_admin(message, chat, user, context)
        where, query = _this_group(chat), " ".join(args)
        if message.is_topic_message:  # a forum: post in the topic the command came from
            thread_id = message.message_thread_id
    outcome = await posting.best_match(query)
    if not isinstance(outcome, Card):
        await send(update, context, render_outcome(outcome, context.bot.username))
        return
    rendered = post_render.render_channel_card(outcome, context.bot.username)
    try:
        posted = await chat_access.publish(context.bot, where.chat_id, rendered, thread_id)
    except chat_access.PostFailed as exc:
        raise PostingError(f"I couldn't post to {where.title}: {exc.reason}") from None
    if posted.chat_id != where.chat_id:  # the group became a supergroup
        await posting.chat_moved(where.chat_id, posted.chat_id)
    await posting.record_post(posted.chat_id, outcome.paragraph.id, posted.message_id)
    if chat.type == ChatType.PRIVATE:  # in a group the post itself is the answer
        link = chat_access.message_link(posted.chat_id, where.username, posted.message_id)
        await send(update, context, post_render.render_posted(where.title, link, outcome))


# ---------------------------------------------------------------------- /schedule


@_answers_refusals
async def schedule_command(update: Update, context: Context) -> None:
    """/schedule [@name] daily HH:MM [collection:NAME] [words] | list | remove N."""
    message, chat, user = _parts(update)
    args = context.args or []
    posting = bot_data_of(context.bot_data).posting
    timezone = bot_data_of(context.bot_data).timezone
    private = chat.type == ChatType.PRIVATE
    creator = user.id
    action = args[0].lower() if args else ""
    if action == "list" and len(args) == 1:
        found = (
            await posting.schedules_of_user(user.id)
            if private
            else await posting.schedules_of_chat(chat.id)
        )
        await send(update, context, post_render.render_schedules(found, timezone))
        return
    if action == "remove" and len(args) == 2:
        await _remove_schedule(update, context, args[1])
        return
    if private and len(args) >= 3:
        target = await posting.resolve(user.id, parse_chat_ref(args[0]))
        where = ChatInfo(target.chat_id, target.chat_type, target.title, target.username)
        spec = parse_schedule(args[1:])
        if problem := await chat_access.user_problem(context.bot, where, user.id):
            raise PostingError(problem)
    elif not private and len(args) >= 2:
        spec = parse_schedule(args)
        creator = await _require_group_admin(message, chat, user, context)
        where = _this_group(chat)
    else:
        usage = post_render.SCHEDULE_USAGE if private else post_render.SCHEDULE_USAGE_GROUP
        await send(update, context, usage)
        return
    created = await posting.add_schedule(creator, where, spec)
    schedule.start_job(context.job_queue, created, timezone)
    await send(update, context, post_render.render_schedule_added(created, timezone))


async def _remove_schedule(update: Update, context: Context, number: str) -> None:
    """Remove schedule #N: its creator may, and so may an administrator of its chat."""
    message, chat, user = _parts(update)
    schedule_id = parse_digits(number, 12)
    if schedule_id is None:
        raise PostingError("Say which: /schedule remove N, with N from /schedule list.")
    posting = bot_data_of(context.bot_data).posting
    found = await posting.schedule(schedule_id)
    private = chat.type == ChatType.PRIVATE
    if found is None or (not private and found.chat_id != chat.id):
        raise PostingError(NO_SCHEDULE.format(schedule_id))
    if found.creator_id != user.id:
        if not private:
            await _require_group_admin(message, chat, user, context)
        else:
            where = ChatInfo(found.chat_id, found.chat_type, found.chat_title, found.chat_username)
            if await chat_access.user_problem(context.bot, where, user.id):
                raise PostingError(NO_SCHEDULE.format(found.id))
    await posting.remove_schedule(found.id)
    schedule.stop_job(context.job_queue, found.id)
    await send(update, context, post_render.render_schedule_removed(found))
