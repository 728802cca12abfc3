"""Telegram HTML for posting to channels and groups (/channel, /post, /schedule).

Imported by the posting code (:mod:`bot.telegram.handlers.posting`,
:mod:`bot.telegram.jobs`, :mod:`bot.telegram.chat_access`) and by
:mod:`bot.telegram.render.watch` (a channel or group alert is a posted card).  It builds
on :mod:`bot.telegram.render.common` (the same paragraph, footer and confidence words as
the result card): every string from users or the corpus goes through ``esc``.

A card posted to a channel or group has no callback buttons (◀ ▶ would edit the post for
everyone), only a URL button that opens the passage in a private chat with the bot; so
has a passage posted as a quote picture (``/post --picture``), captioned with its citation.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core.views import Card
from bot.telegram.render.common import (
    RenderedMessage,
    card_footer,
    clip,
    confidence_label,
    esc,
    fit_card,
    fit_lines,
    original_button,
    permalink,
    picture_caption,
    render_text,
)
from store import PostSchedule, PostTarget

PASSAGE_OF_THE_DAY = "📜 Passage of the day"
OPEN_BUTTON = "📖 Open in Verbatim"

CHANNEL_USAGE = render_text(
    "/channel add @name — link a channel or group you administer (I must be an "
    "administrator there, with the right to post in a channel)\n"
    "/channel list — your linked chats\n"
    "/channel remove N or @name — unlink one (its schedules go too)"
)
POST_USAGE = render_text(
    "/post @name words — post the passage that best matches the words to a linked chat "
    "(@name, numeric id, or its number in /channel list); /post @name --picture words "
    "posts it as a quote picture; filters (from:2012 by:NAME in:NAME) narrow the search"
)
POST_USAGE_GROUP = render_text(
    "/post words — post a passage here (group administrators); /post --picture words "
    "posts it as a quote picture"
)
SCHEDULE_USAGE = render_text(
    "/schedule @name daily HH:MM [picture] [collection:NAME] [words] — post a passage "
    "every day (as a quote picture with picture); without words a random one, never one "
    "posted there before\n"
    "/schedule list — your schedules\n"
    "/schedule remove N — delete schedule #N"
)
SCHEDULE_USAGE_GROUP = render_text(
    "/schedule daily HH:MM [picture] [collection:NAME] [words] — a passage of the day here "
    "(group administrators)\n/schedule list · /schedule remove N"
)
PRIVATE_ONLY = render_text("Use /channel in a private chat with me.")


def clock(minute_of_day: int, timezone: str) -> str:
    """``08:30 UTC``."""
    return f"{minute_of_day // 60:02d}:{minute_of_day % 60:02d} {timezone}"


def chat_label(title: str, username: str | None) -> str:
    """A chat's title (escaped, clipped) with its @username when it has one."""
    label = esc(clip(title, 80))
    return f"{label} (@{esc(username)})" if username else label


def render_channel_card(
    card: Card, bot_username: str | None, heading: str | None = None
) -> RenderedMessage:
    """A passage posted to a channel or group: paragraph, title, citation, one URL button."""
    head = f"<b>{esc(heading)}</b>\n" if heading else ""
    tail_lines = card_footer(card, filters=False)  # readers typed no filters
    return RenderedMessage(fit_card(head, card, tail_lines), _channel_buttons(card, bot_username))


def render_channel_picture(
    card: Card, bot_username: str | None, heading: str | None = None
) -> RenderedMessage:
    """The caption (heading, title, citation) and URL button of a passage posted to a
    channel or group as a quote picture."""
    caption = picture_caption(card.document, card.paragraph.position, heading)
    return RenderedMessage(caption, _channel_buttons(card, bot_username))


def _channel_buttons(card: Card, bot_username: str | None) -> InlineKeyboardMarkup | None:
    buttons = []
    if bot_username:
        buttons.append(
            InlineKeyboardButton(OPEN_BUTTON, url=permalink(bot_username, card.paragraph.id))
        )
    if (original := original_button(card)) is not None:
        buttons.append(original)
    return InlineKeyboardMarkup([buttons]) if buttons else None


def render_linked(target: PostTarget, created: bool) -> RenderedMessage:
    """A chat was linked (or was already)."""
    label = chat_label(target.title, target.username)
    if not created:
        return RenderedMessage(f"{label} is already linked.")
    return RenderedMessage(
        f"Linked {label}. Post with <code>/post {_ref(target)} words</code>, or schedule a "
        f"passage of the day with <code>/schedule {_ref(target)} daily 08:30</code>."
    )


def _ref(target: PostTarget) -> str:
    return f"@{esc(target.username)}" if target.username else str(target.chat_id)


def render_targets(targets: list[PostTarget]) -> RenderedMessage:
    """The user's linked chats, numbered."""
    if not targets:
        return RenderedMessage(
            "No linked chats yet. Make me an administrator of your channel, then send "
            "<code>/channel add @name</code>."
        )
    lines = ["<b>Your linked chats</b>"]
    for n, target in enumerate(targets, 1):
        lines.append(f"{n}. {chat_label(target.title, target.username)} · {esc(target.chat_type)}")
    return RenderedMessage("\n".join(lines))


def render_unlinked(target: PostTarget, removed_schedules: list[int]) -> RenderedMessage:
    """A link was removed, with the user's schedules for that chat."""
    text = f"Unlinked {chat_label(target.title, target.username)}."
    if removed_schedules:
        ids = ", ".join(f"#{n}" for n in removed_schedules)
        text += f" Removed your schedules there: {ids}."
    return RenderedMessage(text)


def render_posted(
    title: str, link: str | None, card: Card, *, picture: bool = False
) -> RenderedMessage:
    """Tell the user where the passage went (and that it went as a picture)."""
    where = f'<a href="{esc(link)}">{esc(clip(title, 80))}</a>' if link else esc(clip(title, 80))
    quality = f" ({confidence_label(card.confidence, marked=False)})" if card.confidence else ""
    how = " as a picture" if picture else ""
    return RenderedMessage(
        f"Posted ¶ {card.paragraph.position} of <i>{esc(clip(card.document.title, 120))}</i>"
        f"{quality}{how} to {where}."
    )


def render_schedule_added(schedule: PostSchedule, timezone: str) -> RenderedMessage:
    """A new schedule, with when it runs."""
    return RenderedMessage(
        f"Schedule #{schedule.id}: every day at {clock(schedule.minute_of_day, timezone)}, "
        f"{_what(schedule)} to {chat_label(schedule.chat_title, schedule.chat_username)}. "
        f"Stop it with <code>/schedule remove {schedule.id}</code>."
    )


def _what(schedule: PostSchedule) -> str:
    what = (
        f"the best new match for <i>{esc(clip(schedule.query, 80))}</i>"
        if schedule.query
        else "a random passage"
    )
    if schedule.collection:
        what += f" from {esc(schedule.collection)}"
    if schedule.picture:
        what += " as a picture"
    return what


def render_schedules(schedules: list[PostSchedule], timezone: str) -> RenderedMessage:
    """A list of schedules with their state."""
    if not schedules:
        return RenderedMessage("No schedules.")
    lines = ["<b>Schedules</b>"]
    for s in schedules:
        state = "" if s.enabled else " · <i>stopped</i>"
        if s.last_error:
            state += f" · last run: {esc(clip(s.last_error, 80))}"
        lines.append(
            f"#{s.id} {clock(s.minute_of_day, timezone)} · {_what(s)} → "
            f"{chat_label(s.chat_title, s.chat_username)}{state}"
        )
    return RenderedMessage(fit_lines("\n".join(lines)))


def render_schedule_removed(schedule: PostSchedule) -> RenderedMessage:
    """A schedule was deleted."""
    label = chat_label(schedule.chat_title, schedule.chat_username)
    return RenderedMessage(f"Removed schedule #{schedule.id} ({label}).")


def render_schedule_stopped(schedule: PostSchedule, reason: str) -> RenderedMessage:
    """To the creator: a schedule was switched off because the bot can't post any more."""
    label = chat_label(schedule.chat_title, schedule.chat_username)
    return RenderedMessage(
        f"I stopped schedule #{schedule.id} ({label}): I can't post there any more "
        f"(<i>{esc(clip(reason, 200))}</i>). Give me the right to post again, then create "
        "a new schedule."
    )


def render_creator_demoted(schedule: PostSchedule) -> RenderedMessage:
    """To the creator: a schedule was switched off because they no longer administer its chat."""
    label = chat_label(schedule.chat_title, schedule.chat_username)
    return RenderedMessage(
        f"I stopped schedule #{schedule.id} ({label}): you are no longer an administrator "
        "there who may post. An administrator of that chat can create a new schedule."
    )
