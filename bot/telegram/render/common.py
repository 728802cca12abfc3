"""The pieces of Telegram HTML every renderer shares: the message type, escaping, the
paragraph with its matched words in bold, the citation footer, confidence labels, the
caption of a quote picture.

Every string from users or from the corpus passes through :func:`esc`.  Every message
stays within Telegram's 4096-character limit: long paragraphs show the matched window,
then the paragraph in an expandable blockquote, trimmed with an ellipsis if needed.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ParseMode

from bot.core.citation import also_in_text, citation_text, deep_link_payload
from bot.core.excerpts import ELLIPSIS as ELLIPSIS
from bot.core.excerpts import excerpt_window
from bot.core.views import Card
from store.models import Confidence, DocumentMeta

MAX_MESSAGE = 4096  # Telegram's limit for a message text (we count the HTML source)
MAX_TITLE_CHARS = 300  # a title or citation line longer than this is cut
SHORT_PARAGRAPH = 900  # paragraphs up to this long are shown whole in one blockquote
WINDOW = 600  # the visible matched window of a longer paragraph

NOT_SURE_LABEL = "🤔 not sure: one of the closest passages, not a match"

# the words for each confidence, and what the result card adds around them
_CONFIDENCE: dict[Confidence, tuple[str, str, str]] = {
    "exact": ("✅ ", "exact match", ""),
    "close": ("🟡 ", "close match", ""),
    "loose": ("🟠 ", "loose match", ": check the wording"),
}

FILTERS_LABEL = "Filters: "
PICTURE_BUTTON = "🖼 Picture"
ORIGINAL_BUTTON = "📰 Original"
INDEX_PAGE_BUTTON = "📰 Index page"
INDEX_PAGE_NOTE = "The link is to the day's index page that lists this story."
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)  # every message: its links show no preview


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


def fit_lines(text: str) -> str:
    """``text`` without the lines at its end that would take it past Telegram's limit."""
    while tg_len(text) > MAX_MESSAGE:
        text = text[: text.rindex("\n")]
    return text


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


def excerpt(text: str, spans: tuple[tuple[int, int], ...], size: int) -> str:
    """Escaped HTML of at most ``size`` characters of ``text`` around the matched words
    (in bold), with an ellipsis where it is cut; cut by the rule of
    :func:`bot.core.excerpts.excerpt_window`, shared with the quote picture."""
    window = excerpt_window(text, spans, size)
    lead = ELLIPSIS if window.cut_before else ""
    tail = ELLIPSIS if window.cut_after else ""
    return lead + highlight(text, spans, window.start, window.end) + tail


def paragraph_html(text: str, spans: tuple[tuple[int, int], ...], budget: int) -> str:
    """The paragraph as blockquote(s) in at most ``budget`` characters of HTML."""
    whole = f"<blockquote>{highlight(text, spans)}</blockquote>"
    if len(text) <= SHORT_PARAGRAPH and tg_len(whole) <= budget:
        return whole
    size = min(WINDOW, budget // 2)
    while size > 20:
        visible = f"<blockquote>{excerpt(text, spans, size)}</blockquote>"
        rest = budget - tg_len(visible) - len("\n<blockquote expandable></blockquote>")
        full_size = len(text)
        while full_size > 20:
            full = excerpt(text, spans, full_size)
            if tg_len(full) <= rest:
                return f"{visible}\n<blockquote expandable>{full}</blockquote>"
            full_size = int(full_size * 0.85)
        if tg_len(visible) <= budget:
            return visible
        size = int(size * 0.8)
    return f"<blockquote>{ELLIPSIS}</blockquote>"


def fit_card(head: str, card: Card, tail_lines: list[str]) -> str:
    """A card's text: ``head``, the paragraph in what the limit leaves, the tail lines."""
    tail = "\n" + "\n".join(tail_lines)
    budget = MAX_MESSAGE - tg_len(head) - tg_len(tail) - 8
    return head + paragraph_html(card.paragraph.text, card.spans, budget) + tail


def clip(text: str, size: int) -> str:
    """``text`` on one line, cut at a word boundary to at most ``size`` characters."""
    text = " ".join(text.split())
    if len(text) <= size:
        return text
    cut = text[: size - 1]
    if " " in cut[size // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:") + ELLIPSIS


def render_text(message: str) -> RenderedMessage:
    """A plain sentence (problems, short answers), escaped."""
    return RenderedMessage(esc(message))


def confidence_label(confidence: Confidence, *, marked: bool) -> str:
    """``close match``; ``marked``: with its sign and, when loose, the warning, as on the
    result card (``🟠 loose match: check the wording``)."""
    sign, words, warning = _CONFIDENCE[confidence]
    return f"{sign}{words}{warning}" if marked else words


def card_footer(card: Card, *, filters: bool = True) -> list[str]:
    """The lines under a passage: its document's title in bold, then the citation, the
    filters the search applied (``Filters: from 2012 · in kcna``; only with ``filters``),
    then the other documents holding the same text (``Also in: …``), if any.

    Metadata comes from ingested files: each line is capped so that a card always fits.
    """
    lines = [
        f"<b>{esc(clip(card.document.title, MAX_TITLE_CHARS))}</b>",
        esc(clip(citation_text(card.document, card.paragraph.position), MAX_TITLE_CHARS)),
    ]
    if filters and card.filters:
        lines.append(f"<i>{FILTERS_LABEL}{esc(clip(card.filters, MAX_TITLE_CHARS))}</i>")
    if card.also_in:
        lines.append(f"<i>{esc(also_in_text(card.also_in))}</i>")
    if card.document.url and card.document.url_is_index:
        lines.append(f"<i>{INDEX_PAGE_NOTE}</i>")
    return lines


def picture_caption(document: DocumentMeta, position: int, heading: str | None = None) -> str:
    """The caption of a quote picture: the ``heading`` (a channel's "passage of the day")
    and the title in bold, then the citation; within Telegram's 1024 characters."""
    lines = [f"<b>{esc(heading)}</b>"] if heading else []
    lines.append(f"<b>{esc(clip(document.title, MAX_TITLE_CHARS))}</b>")
    lines.append(esc(clip(citation_text(document, position), MAX_TITLE_CHARS)))
    return "\n".join(lines)


def original_button(card: Card) -> InlineKeyboardButton | None:
    """A URL button to the published original, where the corpus gave a link ("📰 Index
    page" when the link is to the day's index that lists the story)."""
    url = card.document.url
    if not url:
        return None
    label = INDEX_PAGE_BUTTON if card.document.url_is_index else ORIGINAL_BUTTON
    return InlineKeyboardButton(label, url=url)
