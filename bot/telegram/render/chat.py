"""The Telegram HTML of chat answers: the result card and its keyboard, "not sure" with the
closest passages, no match, help, sources, stats, and the command list.

The result card works the same in a chat and in a message sent through inline mode.
The pieces every renderer shares (escaping, the paragraph with its matched words, the
citation footer, the 4096-character limit) are in :mod:`bot.telegram.render.common`.
"""

from __future__ import annotations

from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import InlineQueryLimit

from bot.core.citation import short_citation
from bot.core.views import Card, NoMatch, NotSure, SourcesView, StatsView
from bot.telegram import callback_data as cb
from bot.telegram.render.common import (
    ELLIPSIS,
    MAX_MESSAGE,
    NOT_SURE_LABEL,
    PICTURE_BUTTON,
    RenderedMessage,
    card_footer,
    clip,
    confidence_label,
    esc,
    excerpt,
    fit_card,
    fit_lines,
    original_button,
    permalink,
    plural,
    tg_len,
)

NOT_SURE_HEAD = "Not sure — nothing matches closely enough. Closest passages:"
SUGGESTION_TITLE = 150  # characters of a suggestion's title in the "not sure" list
SUGGESTION_EXCERPT = 160  # characters of a suggested passage shown around its matched words
SUGGESTION_BUTTON = 48  # characters of a suggestion's button label
_MATCH_LABELS = ("🔎 Other matches", "⏮ Best match")

COMMANDS = (
    BotCommand("q", "Find a quotation: /q words you remember"),
    BotCommand("random", "A random passage"),
    BotCommand("sources", "The speeches I know"),
    BotCommand("stats", "How much I know"),
    BotCommand("watch", "Tell me when a new speech has these words: /watch words"),
    BotCommand("post", "Post a passage to your channel or group: /post @name words"),
    BotCommand("schedule", "A passage of the day: /schedule @name daily 08:30"),
    BotCommand("channel", "Link a channel or group to post to: /channel add @name"),
    BotCommand("help", "How to use me"),
)


def render_card(
    card: Card, bot_username: str | None, heading: str | None = None
) -> RenderedMessage:
    """The result card: paragraph (matched words bold), citation, confidence, buttons;
    under ``heading`` (a line of HTML, e.g. a /watch alert's), if given."""
    head = f"{heading}\n" if heading else ""
    head += f"<i>{esc(card.notice)}</i>\n" if card.notice else ""
    tail_lines = card_footer(card)
    if card.query and not card.is_anchor:
        tail_lines.append("<i>Context around your match</i>")
    elif card.suggested:
        tail_lines.append(NOT_SURE_LABEL)
    elif card.confidence:
        tail_lines.append(confidence_label(card.confidence, marked=True))
    return RenderedMessage(fit_card(head, card, tail_lines), card_keyboard(card, bot_username))


def card_keyboard(card: Card, bot_username: str | None) -> InlineKeyboardMarkup:
    """◀ ▶ context, other matches / back to match, share, permalink and picture buttons
    (the picture marks the matched words when the card shows the matched paragraph)."""
    rows: list[list[InlineKeyboardButton]] = []
    nav = []
    if card.prev_id is not None:
        nav.append(_show(card, card.prev_id, f"◀ ¶ {card.paragraph.position - 1}"))
    if card.next_id is not None:
        nav.append(_show(card, card.next_id, f"¶ {card.paragraph.position + 1} ▶"))
    if nav:
        rows.append(nav)
    search_row = []
    if card.query_id and not card.is_anchor:
        search_row.append(_show(card, card.anchor_id, "↩ Back to match"))
    other, first = ("🔎 Other passages", "⏮ Closest passage") if card.suggested else _MATCH_LABELS
    if card.query_id and card.has_more and card.rank < cb.MAX_RANK:  # no dead button at the end
        data = cb.encode(cb.ShowMatch(card.epoch, card.query_id, card.rank + 1))
        search_row.append(InlineKeyboardButton(other, callback_data=data))
    if card.query_id and card.rank > 0:
        data = cb.encode(cb.ShowMatch(card.epoch, card.query_id, 0))
        search_row.append(InlineKeyboardButton(first, callback_data=data))
    if search_row:
        rows.append(search_row)
    share_query = card.query or " ".join(card.paragraph.text.split()[:8])
    share_query = share_query[: InlineQueryLimit.MAX_QUERY_LENGTH]
    last = [InlineKeyboardButton("↗ Share", switch_inline_query=share_query)]
    if bot_username:
        last.append(InlineKeyboardButton("🔗 Link", url=permalink(bot_username, card.paragraph.id)))
    picture = cb.Picture(card.epoch, card.paragraph.id, card.query_id if card.is_anchor else 0)
    last.append(InlineKeyboardButton(PICTURE_BUTTON, callback_data=cb.encode(picture)))
    rows.append(last)
    if (original := original_button(card)) is not None:
        rows.append([original])
    return InlineKeyboardMarkup(rows)


def _show(card: Card, paragraph_id: int, label: str) -> InlineKeyboardButton:
    action = cb.ShowParagraph(card.epoch, paragraph_id, card.anchor_id, card.query_id, card.rank)
    return InlineKeyboardButton(label, callback_data=cb.encode(action))


def render_not_sure(view: NotSure) -> RenderedMessage:
    """No answer, but passages that come close: say so plainly and list them (short
    citation and the words around what matched), with a button per passage that opens
    it as a result card.  Shorter titles and excerpts when long ones would not fit."""
    head = f"<i>{esc(view.notice)}</i>\n" if view.notice else ""
    for title_chars, excerpt_chars in ((SUGGESTION_TITLE, SUGGESTION_EXCERPT), (60, 60)):
        blocks = [
            _suggestion(n, card, title_chars, excerpt_chars)
            for n, card in enumerate(view.suggestions, start=1)
        ]
        text = head + esc(NOT_SURE_HEAD) + "\n\n" + "\n\n".join(blocks)
        if tg_len(text) <= MAX_MESSAGE:
            break
    rows = []
    for n, card in enumerate(view.suggestions, start=1):
        action = cb.ShowParagraph(
            card.epoch, card.paragraph.id, card.paragraph.id, view.query_id, card.rank
        )
        label = clip(f"{n}. ¶ {card.paragraph.position} · {card.document.title}", SUGGESTION_BUTTON)
        rows.append([InlineKeyboardButton(label, callback_data=cb.encode(action))])
    return RenderedMessage(text, InlineKeyboardMarkup(rows) if rows else None)


def _suggestion(n: int, card: Card, title_chars: int, excerpt_chars: int) -> str:
    """``n. Title · date · ¶ N`` and, in italics, the words around what matched."""
    document = card.document
    date = f" · {document.date.display()}" if document.date else ""
    where = f"{clip(document.title, title_chars)}{date} · ¶ {card.paragraph.position}"
    passage = excerpt(card.paragraph.text, card.spans, excerpt_chars)
    return f"{n}. {esc(where)}\n<i>{passage}</i>"


def render_no_match(result: NoMatch) -> RenderedMessage:
    """Nothing found: say so and suggest what to try."""
    head = f"<i>{esc(result.notice)}</i>\n" if result.notice else ""
    query = result.query if len(result.query) <= 200 else result.query[:200] + ELLIPSIS
    tips = "\n".join(f"• {esc(tip)}" for tip in result.suggestions)
    return RenderedMessage(f"{head}No passage matches <i>{esc(query)}</i>.\n{tips}")


def render_help(
    bot_username: str | None, examples: list[str], filter_example: str | None = None
) -> RenderedMessage:
    """What the bot is for, how to ask, example queries drawn from the corpus, and the
    filters with an example that finds something here (``filter_example``)."""
    lines = [
        "<b>Verbatim</b> finds the exact wording of a half-remembered quotation and "
        "tells you where it comes from: speech, date, place and paragraph.",
        "",
        "Send the words you remember (typos and wrong order are fine), or use "
        "<code>/q words</code>. Reply <code>/q</code> to a message to find where its quote "
        "comes from.",
    ]
    if examples:
        lines += ["", "Try:"] + [f"<code>/q {esc(e)}</code>" for e in examples]
    else:  # examples come from the corpus: none means there is nothing to search yet
        lines += ["", "The database is empty: load speeches with <code>verbatim ingest</code>."]
    lines += [
        "",
        "Narrow a search down with filters among the words: <code>from:2012</code>, "
        "<code>to:2013-06</code> (dates), <code>by:NAME</code> (speaker), "
        "<code>in:COLLECTION</code>; /sources lists the collections and speakers.",
    ]
    if filter_example:
        lines.append(f"Try: <code>/q {esc(filter_example)}</code>")
    lines += ["", "/random a random passage · /sources the speeches · /stats counts"]
    lines.append(
        "<code>/watch words</code> tells you when a newly added document answers them "
        "(<code>/watch list</code>, <code>/watch remove N</code>)."
    )
    lines.append(
        "Channels and groups: <code>/channel add @name</code> links one you administer, "
        "<code>/post @name words</code> posts a passage, "
        "<code>/schedule @name daily 08:30</code> posts a passage of the day."
    )
    if bot_username:
        lines.append(f"In any chat: <code>@{esc(bot_username)} words</code>")
    return RenderedMessage("\n".join(lines))


def render_sources(view: SourcesView) -> RenderedMessage:
    """One page of /sources — collections (``in:``) and speakers (``by:``) with their
    counts, then the documents — with ◀ page ▶ buttons."""
    if view.total == 0:
        return RenderedMessage("No documents yet.")
    lines = [f"<b>Sources</b> ({plural(view.total, 'document')})"]
    if view.collections:
        lines.append("<i>Collections</i> · filter with <code>in:NAME</code>")
    for c in view.collections:
        counts = f"{plural(c['documents'], 'document')}, {plural(c['paragraphs'], 'paragraph')}"
        lines.append(f"• {esc(clip(str(c['collection']), 100))}: {counts}")
    if view.speakers:
        lines.append("<i>Speakers</i> · filter with <code>by:NAME</code>")
    for name, documents in view.speakers:
        lines.append(f"• {esc(clip(name, 100))}: {plural(documents, 'document')}")
    if view.documents:
        lines.append("<i>Documents</i>")
    for doc in view.documents:
        lines.append(
            f"• {esc(short_citation(doc))} · {doc.paragraph_count} ¶ · {esc(doc.collection)}"
        )
    markup = None
    if view.pages > 1:
        buttons = []
        if view.page > 0:
            buttons.append(_page_button(view.epoch, view.page - 1, "◀"))
        label = f"{view.page + 1}/{view.pages}"
        buttons.append(InlineKeyboardButton(label, callback_data=cb.encode(cb.Noop(view.epoch))))
        if view.page < view.pages - 1:
            buttons.append(_page_button(view.epoch, view.page + 1, "▶"))
        markup = InlineKeyboardMarkup([buttons])
    # extremely long titles: lines are dropped from the end
    return RenderedMessage(fit_lines("\n".join(lines)), markup)


def _page_button(epoch: str, page: int, label: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=cb.encode(cb.SourcesPage(epoch, page)))


def render_stats(view: StatsView) -> RenderedMessage:
    """Document and paragraph counts per collection."""
    lines = [f"{plural(view.documents, 'document')}, {plural(view.paragraphs, 'paragraph')}"]
    for c in view.collections:
        counts = f"{plural(c['documents'], 'document')}, {plural(c['paragraphs'], 'paragraph')}"
        lines.append(f"• {esc(str(c['collection']))}: {counts}")
    return RenderedMessage("\n".join(lines))


UNKNOWN_COMMAND = RenderedMessage("I don't know that command. /help shows what I can do.")
SOMETHING_WRONG = RenderedMessage("Sorry, something went wrong on my side. Please try again.")
