"""Inline mode: ``@bot words`` in any chat, and counting the results people choose.

The inline-query handler is thin: parse the query and offset, ask the service (the
same search as ``/q``), build the answer (:mod:`bot.telegram.render.inline`) and answer once.
An empty query gets the default list: the most chosen passages, then the opening
passages of the latest speeches.  Inline queries arrive as the user types, so a newer
query from the same user cancels an older one still running: the stale one is never
answered.  Messages sent through inline mode carry the card's ◀ ▶ buttons; their
presses arrive with ``inline_message_id`` and are served by
:func:`bot.telegram.handlers.chat.button`.

Counting chosen results needs inline feedback switched on with @BotFather
(``/setinlinefeedback``); without it the default list still has the opening passages.
Answering an inline query writes nothing: the query its cards' buttons refer to is stored
when a result is chosen (or, without feedback, when a button of a card this process
answered needs it; see :mod:`bot.core.queries`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Awaitable
from typing import Any, TypeVar

from telegram import Update
from telegram.constants import InlineQueryLimit
from telegram.ext import Application, ChosenInlineResultHandler, InlineQueryHandler

from bot.core.digits import parse_digits
from bot.core.service import VerbatimService
from bot.core.views import CardPage
from bot.telegram.bot_data import Context, bot_data_of
from bot.telegram.render import inline as inline_render
from bot.telegram.render.inline import InlineAnswer

log = logging.getLogger(__name__)

PAGE_SIZE = 10  # results per answer (Telegram allows 50; smaller pages answer sooner)
SEARCH_DEPTH = 200  # search hits are paged no further than this
DEFAULT_DEPTH = 50  # nor is the empty-query list
DEFAULT_REUSE_SECONDS = 30.0  # an empty-query page is rebuilt after this, or a choice

T = TypeVar("T")


def parse_offset(raw: str | None, depth: int) -> int:
    """The offset a client sent back: a number we could have given, else 0 (first page)."""
    value = parse_digits(raw or "", 6)
    if value is None:
        return 0
    return value if value < depth else 0


def clean_query(raw: str | None) -> str:
    """The query text, whitespace collapsed, at most Telegram's 256 characters."""
    return " ".join((raw or "")[: InlineQueryLimit.MAX_QUERY_LENGTH].split())


def _next(offset: int, more: bool, depth: int) -> int | None:
    following = offset + PAGE_SIZE
    return following if more and following < depth else None


async def default_page(service: VerbatimService, offset: int) -> CardPage:
    """The empty-query list: most chosen passages first, then openings of recent speeches."""
    if offset >= DEFAULT_DEPTH:
        return CardPage("", 0, [], offset, None)
    cards, more = await service.popular(offset, PAGE_SIZE)
    return CardPage("", 0, cards, offset, _next(offset, more, DEFAULT_DEPTH))


async def build_answer(
    service: VerbatimService, query: str, offset: str | None, bot_username: str | None
) -> InlineAnswer:
    """The answer to one inline query (``query`` and ``offset`` as the client sent them)."""
    text = clean_query(query)
    if not text:
        page = await default_page(service, parse_offset(offset, DEFAULT_DEPTH))
        return inline_render.page_answer(
            page, bot_username, cache_time=inline_render.DEFAULT_CACHE_SECONDS
        )
    start = parse_offset(offset, SEARCH_DEPTH)
    outcome = await service.search_page(text, offset=start, limit=PAGE_SIZE)
    if not isinstance(outcome, CardPage):
        return inline_render.problem_answer(outcome)
    if outcome.next_offset is not None and outcome.next_offset >= SEARCH_DEPTH:
        outcome = dataclasses.replace(outcome, next_offset=None)
    return inline_render.page_answer(outcome, bot_username)


class InlineMode:
    """The inline handlers of one Application, with the queries each user has running."""

    def __init__(self) -> None:
        self._running: dict[int, asyncio.Task[Any]] = {}
        self._defaults: dict[str, tuple[float, InlineAnswer]] = {}  # empty-query pages

    async def answer(
        self, service: VerbatimService, query: str, offset: str, bot_username: str | None
    ) -> InlineAnswer:
        """:func:`build_answer`, reusing recent empty-query pages (the same for everyone)."""
        if clean_query(query):
            return await build_answer(service, query, offset, bot_username)
        key = str(parse_offset(offset, DEFAULT_DEPTH))
        cached = self._defaults.get(key)
        if cached is not None and time.monotonic() - cached[0] < DEFAULT_REUSE_SECONDS:
            return cached[1]
        answer = await build_answer(service, "", key, bot_username)
        self._defaults[key] = (time.monotonic(), answer)
        return answer

    async def latest_only(self, user_id: int, work: Awaitable[T]) -> T | None:
        """Run ``work`` unless a newer call for the same user supersedes it.

        A newer call cancels this one's work; the superseded call returns ``None``.
        """
        previous = self._running.get(user_id)
        if previous is not None:
            previous.cancel()
        task: asyncio.Task[T] = asyncio.ensure_future(work)
        self._running[user_id] = task
        try:
            return await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if task.cancelled() and (current is None or not current.cancelling()):
                return None  # superseded by a newer query
            raise
        finally:
            if self._running.get(user_id) is task:
                del self._running[user_id]

    async def on_inline_query(self, update: Update, context: Context) -> None:
        """Answer ``@bot words`` (or the empty query) with one page of result cards."""
        inline_query = update.inline_query
        if inline_query is None:
            return
        service = bot_data_of(context.bot_data).service
        work = self.answer(service, inline_query.query, inline_query.offset, context.bot.username)
        answer = await self.latest_only(inline_query.from_user.id, work)
        if answer is None:
            log.debug("inline query superseded by a newer one from the same user")
            return
        await inline_query.answer(
            answer.results,
            cache_time=answer.cache_time,
            is_personal=False,  # results depend on the query only, never on the user
            next_offset=answer.next_offset or "",
            button=answer.button,
        )

    async def on_chosen(self, update: Update, context: Context) -> None:
        """Count a chosen result (the counts order the empty-query list) and store its
        query, which the card's buttons refer to (inline queries store nothing)."""
        chosen = update.chosen_inline_result
        if chosen is None:
            return
        paragraph_id = inline_render.parse_result_id(chosen.result_id)
        if paragraph_id is None:
            return
        service = bot_data_of(context.bot_data).service
        if await service.record_choice(paragraph_id, clean_query(chosen.query)):
            self._defaults.clear()  # the order of the empty-query list may have changed
        else:
            log.info("a chosen inline result names a paragraph that is gone")


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> InlineMode:
    """Add the inline-query and chosen-result handlers to ``app``."""
    mode = InlineMode()
    app.add_handler(InlineQueryHandler(mode.on_inline_query))
    app.add_handler(ChosenInlineResultHandler(mode.on_chosen))
    return mode
