"""Telegram handlers for chats: parse the update, ask the service, render, send once.

``/q`` (and ``/quote``, ``/find``) is :func:`quote`; plain text in a private chat is
:func:`plain_text`; the result card's buttons are :func:`button` ("🖼 Picture" sends the
passage as a photo: :func:`picture_button`, the sending itself in
:mod:`bot.telegram.pictures`).  Registered by
:func:`bot.telegram.app.build_application`.  In groups the bot answers only commands
(``/q@botname`` with privacy mode on) and replies to the command message; plain text is
searched in private chats only.  :func:`send` and :func:`render_outcome` serve the
other handler modules too.
"""

from __future__ import annotations

import logging

from telegram import (
    CallbackQuery,
    Message,
    MessageEntity,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.core.citation import picture_link_payload
from bot.core.views import STALE, Card, Gone, NoMatch, NotSure, Problem, SearchOutcome
from bot.telegram import callback_data as cb
from bot.telegram.bot_data import Context, bot_data_of
from bot.telegram.pictures import send_picture
from bot.telegram.render import chat as render
from bot.telegram.render.common import NO_PREVIEW, RenderedMessage, render_text

log = logging.getLogger(__name__)

BAD_BUTTON = "This button is not valid. Please search again."
CANNOT_EDIT = "I can't change this message any more. Please search again."
PICTURE_SENT = "🖼 Sent to our private chat"


def reply_to(message: Message) -> ReplyParameters | None:
    """How an answer refers to ``message``: in groups as a reply to it, else not at all."""
    if message.chat.type == ChatType.PRIVATE:
        return None
    return ReplyParameters(message_id=message.message_id, allow_sending_without_reply=True)


async def send(update: Update, context: Context, message: RenderedMessage) -> None:
    """Send ``message`` to the update's chat; in groups as a reply to the command."""
    msg = update.effective_message
    chat = update.effective_chat
    if msg is None or chat is None:
        return
    await context.bot.send_message(
        chat_id=chat.id,
        text=message.text,
        parse_mode=message.parse_mode,
        reply_markup=message.reply_markup,
        reply_parameters=reply_to(msg),
        message_thread_id=msg.message_thread_id if msg.is_topic_message else None,
        link_preview_options=NO_PREVIEW,
    )


def render_outcome(outcome: SearchOutcome | Gone, bot_username: str | None) -> RenderedMessage:
    """The message for whatever a search or a paragraph lookup returned."""
    if isinstance(outcome, Card):
        return render.render_card(outcome, bot_username)
    if isinstance(outcome, NotSure):
        return render.render_not_sure(outcome)
    if isinstance(outcome, NoMatch):
        return render.render_no_match(outcome)
    return render_text(outcome.message)


# ---------------------------------------------------------------------- commands


async def start(update: Update, context: Context) -> None:
    """/start, /start p_<id> deep links, and /start i_<id>[_<query>] (a picture asked for
    in inline mode before the user had started the bot)."""
    service = bot_data_of(context.bot_data).service
    chat = update.effective_chat
    if context.args:
        card = await service.deep_link(context.args[0])
        if card is not None:
            await send(update, context, render_outcome(card, context.bot.username))
            return
        picture = await service.picture_link(context.args[0], context.bot.username)
        if isinstance(picture, Gone):
            await send(update, context, render_text(picture.message))
            return
        if picture is not None and chat is not None:
            cache = bot_data_of(context.bot_data).pictures
            await send_picture(context.bot, chat.id, picture, cache)
            return
    await help_command(update, context)


async def help_command(update: Update, context: Context) -> None:
    """/help: what the bot does, with examples drawn from the corpus (one with a filter)."""
    service = bot_data_of(context.bot_data).service
    examples, example = await service.examples(), await service.filter_example()
    await send(update, context, render.render_help(context.bot.username, examples, example))


def query_from(message: Message, args: list[str]) -> str:
    """The query of a /q command: its arguments, else the text of the message it replies to."""
    if args:
        return " ".join(args)
    replied = message.reply_to_message
    if replied is not None:
        return replied.text or replied.caption or ""
    return ""


async def quote(update: Update, context: Context) -> None:
    """/q words (aliases /quote, /find); a reply /q searches the replied-to message."""
    message = update.effective_message
    if message is None:
        return
    service = bot_data_of(context.bot_data).service
    outcome = await service.search(query_from(message, context.args or []))
    await send(update, context, render_outcome(outcome, context.bot.username))


async def plain_text(update: Update, context: Context) -> None:
    """Any text in a private chat is a search."""
    message = update.effective_message
    if message is None or not message.text:
        return
    outcome = await bot_data_of(context.bot_data).service.search(message.text)
    await send(update, context, render_outcome(outcome, context.bot.username))


async def random_command(update: Update, context: Context) -> None:
    """/random: a random passage."""
    card = await bot_data_of(context.bot_data).service.random()
    if card is None:
        await send(update, context, render_text("The database is empty."))
        return
    await send(update, context, render.render_card(card, context.bot.username))


async def sources(update: Update, context: Context) -> None:
    """/sources: the documents, paged with buttons."""
    view = await bot_data_of(context.bot_data).service.sources(0)
    await send(update, context, render.render_sources(view))


async def stats(update: Update, context: Context) -> None:
    """/stats: how many documents and paragraphs."""
    stats = await bot_data_of(context.bot_data).service.stats()
    await send(update, context, render.render_stats(stats))


async def unknown_command(update: Update, context: Context) -> None:
    """A command we do not know: a help pointer in private chats, or when addressed to us."""
    message = update.effective_message
    chat = update.effective_chat
    if message is None or chat is None or not message.text:
        return
    if chat.type != ChatType.PRIVATE:
        entity = next(
            (e for e in message.entities if e.type == MessageEntity.BOT_COMMAND and e.offset == 0),
            None,
        )
        command = message.parse_entity(entity) if entity else ""
        username = (context.bot.username or "").casefold()
        if not username or not command.casefold().endswith(f"@{username}"):
            return
    await send(update, context, render.UNKNOWN_COMMAND)


# ---------------------------------------------------------------------- buttons


async def button(update: Update, context: Context) -> None:
    """A result-card or sources button: validate the data, then edit the message in place."""
    query = update.callback_query
    if query is None:
        return
    service = bot_data_of(context.bot_data).service
    try:
        action = cb.decode(query.data)
    except cb.CallbackDataError as exc:
        log.info("refused callback data (%s)", exc)
        await query.answer(BAD_BUTTON, show_alert=True)
        return
    if action.epoch != service.epoch:
        await query.answer(STALE.message, show_alert=True)
        return
    if isinstance(action, cb.Noop):
        await query.answer()
        return
    if isinstance(action, cb.Picture):
        await picture_button(query, context, action)
        return
    if isinstance(action, cb.SourcesPage):
        rendered = render.render_sources(await service.sources(action.page))
    else:
        if isinstance(action, cb.ShowParagraph):
            outcome: Card | Problem | Gone = await service.paragraph(
                action.paragraph_id,
                anchor_id=action.anchor_id,
                query_id=action.query_id,
                rank=action.rank,
            )
        else:
            outcome = await service.match(action.query_id, action.rank)
        if not isinstance(outcome, Card):
            await query.answer(outcome.message, show_alert=True)
            return
        rendered = render.render_card(outcome, context.bot.username)
    try:
        await query.edit_message_text(
            rendered.text,
            parse_mode=rendered.parse_mode,
            reply_markup=rendered.reply_markup,
            link_preview_options=NO_PREVIEW,
        )
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():  # e.g. deleted, or not editable any more
            log.info("could not edit the message of a button: %s", exc)
            await query.answer(CANNOT_EDIT, show_alert=True)
            return
    await query.answer()


async def picture_button(query: CallbackQuery, context: Context, action: cb.Picture) -> None:
    """ "🖼 Picture": send the passage as a quote picture into the card's chat (in a group
    as a reply to the card); for a card sent via inline mode (no chat to see), into the
    user's private chat with the bot — or, when the user never started the bot, answer
    with a link that starts it and sends the picture there."""
    data = bot_data_of(context.bot_data)
    username = context.bot.username
    picture = await data.service.picture(action.paragraph_id, action.query_id, username)
    if isinstance(picture, Gone):
        await query.answer(picture.message, show_alert=True)
        return
    card = query.message
    if card is None:  # an inline message: only the user who pressed can be written to
        try:
            await send_picture(context.bot, query.from_user.id, picture, data.pictures)
        except Forbidden:
            payload = picture_link_payload(action.paragraph_id, action.query_id)
            await query.answer(url=f"https://t.me/{username}?start={payload}")
            return
        await query.answer(PICTURE_SENT)
        return
    reply, thread = None, None
    if isinstance(card, Message):  # else too old to reply to
        reply = reply_to(card)
        thread = card.message_thread_id if card.is_topic_message else None
    await send_picture(
        context.bot, card.chat.id, picture, data.pictures, reply_parameters=reply, thread_id=thread
    )
    await query.answer()


# ---------------------------------------------------------------------- errors


async def on_error(update: object, context: Context) -> None:
    """Log the traceback and tell the user, briefly, that something went wrong."""
    log.error("error while handling an update", exc_info=context.error)
    if not isinstance(update, Update):
        return
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(render.SOMETHING_WRONG.text, show_alert=True)
        elif update.effective_message is not None and update.effective_chat is not None:
            await send(update, context, render.SOMETHING_WRONG)
    except TelegramError as exc:
        log.warning("could not tell the user about the error: %s", exc)
