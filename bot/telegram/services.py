"""The services over one opened corpus database, opened in one place for the bot
(:func:`bot.telegram.app._post_init`) and for each snapshot a replica opens
(:mod:`bot.telegram.replica`): the search pool, the shared state
(:func:`store.state.open_state_store`), and :class:`~bot.core.service.VerbatimService`,
:class:`~bot.core.posting.PostingService` and :class:`~bot.core.watching.WatchService`
over them.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from telegram.ext import Application

from bot.core.posting import PostingService
from bot.core.service import VerbatimService
from bot.core.watching import WatchService
from bot.telegram.bot_data import bot_data_of
from bot.telegram.chat_access import TelegramChats
from bot.telegram.watch_alerts import TelegramAlerts
from store import Database, SearcherPool
from store.state import open_state_store

SEARCH_CONNECTIONS = 3  # searches run side by side on this many read connections


@dataclass(frozen=True, slots=True)
class Services:
    """The services over one database, and where its shared state is (for logs)."""

    service: VerbatimService
    posting: PostingService
    watching: WatchService
    state_where: str


async def open_services(
    stack: AsyncExitStack,
    app: Application[Any, Any, Any, Any, Any, Any],
    db: Database,
    path: Path,
    chats: TelegramChats,
    *,
    read_only: bool = False,
) -> Services:
    """Open the search pool over ``path`` (the file of ``db``) and the shared state of
    ``app``'s settings on ``stack``, and make the services over them."""
    data = bot_data_of(app.bot_data)
    pool = await stack.enter_async_context(
        SearcherPool.open(path, SEARCH_CONNECTIONS, read_only=read_only)
    )
    state = await stack.enter_async_context(open_state_store(data.state_url, db, data.state_where))
    service = await VerbatimService.create(db, pool, state.queries)
    posting = PostingService(state.posting, service, chats, timezone=data.timezone)
    watching = WatchService(state.watches, service, chats, TelegramAlerts(app.bot))
    return Services(service, posting, watching, state.where)
