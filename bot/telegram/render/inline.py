"""Inline results: result cards as inline articles, and the answers built around them.

The message an inline result sends is the very same result card as in a chat
(:func:`bot.telegram.render.chat.render_card`: HTML, highlight, citation, ◀ ▶ and
permalink buttons), whose HTML comes from there.  What is added here is plain text for the
result list (title, description) and the answer's paging and caching.

A search without an answer lists its closest passages as suggestions, each titled
``Not sure: …`` (the card it sends says so too); with no suggestions either, one
explanatory result says that nothing matches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from telegram import (
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
)

from bot.core.digits import parse_digits
from bot.core.excerpts import excerpt_window
from bot.core.views import INLINE_NO_MATCH_TIPS, Card, CardPage, NoMatch, Problem
from bot.telegram.render import chat as render
from bot.telegram.render import common

TITLE_CHARS = 100
DESCRIPTION_CHARS = 160
SEARCH_CACHE_SECONDS = 300  # hits change only when the database does
DEFAULT_CACHE_SECONDS = 60  # the empty-query list follows what people choose
PROBLEM_CACHE_SECONDS = 10
START_PARAMETER = "inline"  # /start inline: the private chat opens with /help
RESULT_PREFIX = "p"  # result id: p<paragraph id>
NOT_SURE_PREFIX = "Not sure: "  # the title of a suggestion in the result list
NO_MATCH_ID = "none"
PROBLEM_ID = "problem"
PRIVATE_CHAT_BUTTON = InlineQueryResultsButton(
    "Search in a private chat with me", start_parameter=START_PARAMETER
)

# a full stop, then (closing quotes and) space, then no lower-case letter, and not the
# stop of an initial or abbreviation such as "U.S." or "J. F."
_SENTENCE_END = re.compile(r"(?<=[.!?…])(?<!\b[A-Z]\.)[\"”’)\]]*\s+(?![a-z])")


@dataclass(frozen=True, slots=True)
class InlineAnswer:
    """Everything one answerInlineQuery call carries (``next_offset`` None: last page)."""

    results: list[InlineQueryResultArticle] = field(default_factory=list)
    cache_time: int = SEARCH_CACHE_SECONDS
    next_offset: str | None = None
    button: InlineQueryResultsButton | None = None


def result_id(paragraph_id: int) -> str:
    """The inline result id of a paragraph's card (well under Telegram's 64 bytes)."""
    return f"{RESULT_PREFIX}{paragraph_id}"


def parse_result_id(value: str) -> int | None:
    """The paragraph id of a card's result id, or ``None`` for any other id."""
    digits = value[len(RESULT_PREFIX) :] if value.startswith(RESULT_PREFIX) else ""
    return parse_digits(digits, 15)


def matched_sentence(
    text: str, spans: tuple[tuple[int, int], ...], size: int = DESCRIPTION_CHARS
) -> str:
    """The sentence holding most of the matched words (the first one if none), trimmed
    around them to at most ``size`` characters, as plain text."""
    bounds: list[tuple[int, int]] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        bounds.append((start, m.start()))
        start = m.end()
    bounds.append((start, len(text)))
    s, e = max(bounds, key=lambda b: sum(1 for a, _ in spans if b[0] <= a < b[1]))
    local = tuple((max(a, s) - s, min(b, e) - s) for a, b in spans if s <= a < e)
    sentence = text[s:e]
    window = excerpt_window(sentence, local, size - 2)
    lead = common.ELLIPSIS if window.cut_before or s > 0 else ""
    tail = common.ELLIPSIS if window.cut_after else ""
    return " ".join(f"{lead}{sentence[window.start : window.end]}{tail}".split())


def result_title(card: Card) -> str:
    """Short citation for the result list: title (clipped), date, ¶ N; a suggestion's
    starts with ``Not sure:``."""
    document = card.document
    head = NOT_SURE_PREFIX if card.suggested else ""
    tail = f" · {document.date.display()}" if document.date else ""
    tail += f" · ¶ {card.paragraph.position}"
    return head + common.clip(document.title, max(20, TITLE_CHARS - len(head + tail))) + tail


def card_result(card: Card, bot_username: str | None) -> InlineQueryResultArticle:
    """A result card as an inline article: short citation, matched sentence, the card."""
    message = render.render_card(card, bot_username)
    return InlineQueryResultArticle(
        id=result_id(card.paragraph.id),
        title=result_title(card),
        description=matched_sentence(card.paragraph.text, card.spans),
        input_message_content=InputTextMessageContent(
            message.text, parse_mode=message.parse_mode, link_preview_options=common.NO_PREVIEW
        ),
        reply_markup=message.reply_markup,
    )


def page_answer(
    page: CardPage, bot_username: str | None, *, cache_time: int = SEARCH_CACHE_SECONDS
) -> InlineAnswer:
    """One page of cards; a first page without any lists the suggestions ("Not sure: …"),
    or, without those either, is a no-match answer."""
    if not page.cards and page.offset == 0 and page.query:
        if page.suggestions:
            return suggestions_answer(page.suggestions, bot_username)
        return no_match_answer(page.query)
    return InlineAnswer(
        results=[card_result(card, bot_username) for card in page.cards],
        cache_time=cache_time,
        next_offset=str(page.next_offset) if page.next_offset is not None else None,
        button=PRIVATE_CHAT_BUTTON if not page.query and page.offset == 0 else None,
    )


def suggestions_answer(cards: list[Card], bot_username: str | None) -> InlineAnswer:
    """No answer, but passages that come close: each one as a result titled ``Not sure:``
    (sending it sends its card, marked as not sure)."""
    results = [card_result(card, bot_username) for card in cards]
    return InlineAnswer(results, SEARCH_CACHE_SECONDS, None, None)


def no_match_answer(query: str) -> InlineAnswer:
    """Nothing matches: one explanatory result, and the button to the private chat."""
    message = render.render_no_match(NoMatch(query, INLINE_NO_MATCH_TIPS))
    article = InlineQueryResultArticle(
        id=NO_MATCH_ID,
        title=common.clip(f"No passage matches “{query}”", TITLE_CHARS),
        description=" ".join(INLINE_NO_MATCH_TIPS),
        input_message_content=InputTextMessageContent(
            message.text, parse_mode=message.parse_mode, link_preview_options=common.NO_PREVIEW
        ),
    )
    return InlineAnswer([article], SEARCH_CACHE_SECONDS, None, PRIVATE_CHAT_BUTTON)


def problem_answer(problem: Problem) -> InlineAnswer:
    """The query cannot be searched: say why in one result."""
    message = common.render_text(problem.message)
    article = InlineQueryResultArticle(
        id=PROBLEM_ID,
        title="I can't search for that",
        description=common.clip(problem.message, DESCRIPTION_CHARS),
        input_message_content=InputTextMessageContent(
            message.text, parse_mode=message.parse_mode, link_preview_options=common.NO_PREVIEW
        ),
    )
    return InlineAnswer([article], PROBLEM_CACHE_SECONDS, None, PRIVATE_CHAT_BUTTON)
