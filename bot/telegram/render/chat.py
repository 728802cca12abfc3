"""All Telegram HTML the bot sends: result cards, help, lists, and their keyboards.

Every string from users or from the corpus passes through :func:`esc`.  Every message
stays within Telegram's 4096-character limit: long paragraphs show the matched window,
then the paragraph in an expandable blockquote, trimmed with an ellipsis if needed.
The result card works the same in a chat and in a message sent through inline mode.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode

from bot.core.citation import citation_text, deep_link_payload, short_citation
from bot.core.views import Card, NoMatch, SourcesView, StatsView
from bot.telegram import callback_data as cb

MAX_MESSAGE = 4096  # Telegram's limit for a message text (we count the HTML source)
MAX_TITLE_CHARS = 300  # a title or citation line longer than this is cut
MAX_INLINE_QUERY = 256
SHORT_PARAGRAPH = 900  # paragraphs up to this long are shown whole in one blockquote
WINDOW = 600  # the visible matched window of a longer paragraph
ELLIPSIS = "…"

COMMANDS = (
    BotCommand("q", "Find a quotation: /q words you remember"),
    BotCommand("random", "A random passage"),
    BotCommand("sources", "The speeches I know"),
    BotCommand("stats", "How much I know"),
    BotCommand("post", "Post a passage to your channel or group: /post @name words"),
    BotCommand("schedule", "A passage of the day: /schedule @name daily 08:30"),
    BotCommand("channel", "Link a channel or group to post to: /channel add @name"),
    BotCommand("help", "How to use me"),
)

_CONFIDENCE = {
    "exact": "✅ exact match",
    "close": "🟡 close match",
    "loose": "🟠 loose match: check the wording",
}


@dataclass(frozen=True, slots=True)
class RenderedMessage:
    """A message ready to send or to edit in: HTML text and optional buttons."""

    text: str
    reply_markup: InlineKeyboardMarkup | None = None
    parse_mode: str = ParseMode.HTML


def esc(text: str) -> str:
    """Escape text for Telegram HTML (``&``, ``<``, ``>``)."""
    return html.escape(text, quote=False)


def tg_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def plural(count: int, noun: str) -> str:
    """``1 document``, ``2 documents``."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def permalink(bot_username: str, paragraph_id: int) -> str:
    """``https://t.me/<bot>?start=p_<id>``: opens the paragraph in a private chat."""
    return f"https://t.me/{bot_username}?start={deep_link_payload(paragraph_id)}"


def _clean_spans(spans: tuple[tuple[int, int], ...], length: int) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for start, end in sorted((max(0, s), min(length, e)) for s, e in spans):
        if start >= end:
            continue
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def highlight(text: str, spans: tuple[tuple[int, int], ...], start: int = 0, end: int = -1) -> str:
    """Escaped HTML of ``text[start:end]`` with the spans in bold (clipped to the slice)."""
    end = len(text) if end < 0 else end
    parts: list[str] = []
    pos = start
    for s, e in _clean_spans(spans, len(text)):
        s, e = max(s, start), min(e, end)
        if s >= e:
            continue
        parts.append(esc(text[pos:s]))
        parts.append(f"<b>{esc(text[s:e])}</b>")
        pos = e
    parts.append(esc(text[pos:end]))
    return "".join(parts)


def window(text: str, spans: tuple[tuple[int, int], ...], size: int) -> tuple[int, int]:
    """Bounds of a slice of at most ``size`` characters around the matched words.

    The slice is centred on the spans when they fit, else starts just before the first
    one; its ends are moved to word boundaries.
    """
    if len(text) <= size:
        return 0, len(text)
    clean = _clean_spans(spans, len(text))
    if clean:
        first, last = clean[0][0], clean[-1][1]
        centred = (first + last) // 2 - size // 2
        start = centred if last - first <= size else first - size // 6
    else:
        start = 0
    start = min(max(0, start), len(text) - size)
    end = start + size
    if start > 0:
        space = text.find(" ", start, start + 40)
        start = space + 1 if space >= 0 else start
    if end < len(text):
        space = text.rfind(" ", end - 40, end)
        end = space if space > start else end
    return start, end


def _excerpt(text: str, spans: tuple[tuple[int, int], ...], size: int) -> str:
    start, end = window(text, spans, size)
    lead = ELLIPSIS if start > 0 else ""
    tail = ELLIPSIS if end < len(text) else ""
    return lead + highlight(text, spans, start, end) + tail


def paragraph_html(text: str, spans: tuple[tuple[int, int], ...], budget: int) -> str:
    """The paragraph as blockquote(s) in at most ``budget`` characters of HTML."""
    whole = f"<blockquote>{highlight(text, spans)}</blockquote>"
    if len(text) <= SHORT_PARAGRAPH and tg_len(whole) <= budget:
        return whole
    size = min(WINDOW, budget // 2)
    while size > 20:
        visible = f"<blockquote>{_excerpt(text, spans, size)}</blockquote>"
        rest = budget - tg_len(visible) - len("\n<blockquote expandable></blockquote>")
        full_size = len(text)
        while full_size > 20:
            full = _excerpt(text, spans, full_size)
            if tg_len(full) <= rest:
                return f"{visible}\n<blockquote expandable>{full}</blockquote>"
            full_size = int(full_size * 0.85)
        if tg_len(visible) <= budget:
            return visible
        size = int(size * 0.8)
    return f"<blockquote>{ELLIPSIS}</blockquote>"


def clip(text: str, size: int) -> str:
    """``text`` on one line, cut at a word boundary to at most ``size`` characters."""
    text = " ".join(text.split())
    if len(text) <= size:
        return text
    cut = text[: size - 1]
    if " " in cut[size // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:") + ELLIPSIS


def render_card(card: Card, bot_username: str | None) -> RenderedMessage:
    """The result card: paragraph (matched words bold), citation, confidence, buttons."""
    head = f"<i>{esc(card.notice)}</i>\n" if card.notice else ""
    tail_lines = [  # metadata comes from ingested files: cap it so the card always fits
        f"<b>{esc(clip(card.document.title, MAX_TITLE_CHARS))}</b>",
        esc(clip(citation_text(card.document, card.paragraph.position), MAX_TITLE_CHARS)),
    ]
    if card.query and not card.is_anchor:
        tail_lines.append("<i>Context around your match</i>")
    elif card.confidence:
        tail_lines.append(_CONFIDENCE[card.confidence])
    tail = "\n" + "\n".join(tail_lines)
    budget = MAX_MESSAGE - tg_len(head) - tg_len(tail) - 8
    body = paragraph_html(card.paragraph.text, card.spans, budget)
    return RenderedMessage(head + body + tail, card_keyboard(card, bot_username))


def card_keyboard(card: Card, bot_username: str | None) -> InlineKeyboardMarkup:
    """◀ ▶ context, other matches / back to match, share and permalink buttons."""
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
    if card.query_id and card.has_more:
        data = cb.encode(cb.ShowMatch(card.epoch, card.query_id, card.rank + 1))
        search_row.append(InlineKeyboardButton("🔎 Other matches", callback_data=data))
    if card.query_id and card.rank > 0:
        data = cb.encode(cb.ShowMatch(card.epoch, card.query_id, 0))
        search_row.append(InlineKeyboardButton("⏮ Best match", callback_data=data))
    if search_row:
        rows.append(search_row)
    share_query = card.query or " ".join(card.paragraph.text.split()[:8])
    last = [InlineKeyboardButton("↗ Share", switch_inline_query=share_query[:MAX_INLINE_QUERY])]
    if bot_username:
        last.append(InlineKeyboardButton("🔗 Link", url=permalink(bot_username, card.paragraph.id)))
    rows.append(last)
    return InlineKeyboardMarkup(rows)


def _show(card: Card, paragraph_id: int, label: str) -> InlineKeyboardButton:
    action = cb.ShowParagraph(card.epoch, paragraph_id, card.anchor_id, card.query_id, card.rank)
    return InlineKeyboardButton(label, callback_data=cb.encode(action))


def render_no_match(result: NoMatch) -> RenderedMessage:
    """Nothing found: say so and suggest what to try."""
    head = f"<i>{esc(result.notice)}</i>\n" if result.notice else ""
    query = result.query if len(result.query) <= 200 else result.query[:200] + ELLIPSIS
    tips = "\n".join(f"• {esc(tip)}" for tip in result.suggestions)
    return RenderedMessage(f"{head}No passage matches <i>{esc(query)}</i>.\n{tips}")


def render_text(message: str) -> RenderedMessage:
    """A plain sentence (problems, short answers), escaped."""
    return RenderedMessage(esc(message))


def render_help(bot_username: str | None, examples: list[str]) -> RenderedMessage:
    """What the bot is for, how to ask, and example queries drawn from the corpus."""
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
    lines += ["", "/random a random passage · /sources the speeches · /stats counts"]
    lines.append(
        "Channels and groups: <code>/channel add @name</code> links one you administer, "
        "<code>/post @name words</code> posts a passage, "
        "<code>/schedule @name daily 08:30</code> posts a passage of the day."
    )
    if bot_username:
        lines.append(f"In any chat: <code>@{esc(bot_username)} words</code>")
    return RenderedMessage("\n".join(lines))


def render_sources(view: SourcesView) -> RenderedMessage:
    """One page of the document list with ◀ page ▶ buttons."""
    if view.total == 0:
        return RenderedMessage("No documents yet.")
    lines = [f"<b>Sources</b> ({plural(view.total, 'document')})"]
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
    text = "\n".join(lines)
    while tg_len(text) > MAX_MESSAGE:  # extremely long titles: drop lines from the end
        text = text[: text.rindex("\n")]
    return RenderedMessage(text, markup)


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
