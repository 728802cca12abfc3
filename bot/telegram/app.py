"""Build the python-telegram-bot Application: handlers, error handler, start-up, shutdown.

The database is opened in ``post_init`` (inside the Application's event loop) and the
services over it (:class:`~bot.core.service.VerbatimService`,
:class:`~bot.core.posting.PostingService`) are started in the Application's
:class:`~bot.telegram.bot_data.BotData`; ``post_shutdown`` closes them.
``run_polling`` calls both; code that drives the Application itself (tests, the terminal
chat) uses :func:`running`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest

from bot.settings import DEFAULT_TIMEZONE, DEFAULT_WATCH_SECONDS, check_timezone
from bot.telegram import jobs, replica, update_log
from bot.telegram.bot_data import BotData, bot_data_of, put_bot_data
from bot.telegram.chat_access import TelegramChats
from bot.telegram.fairness import FairnessLimits, FairUpdateProcessor
from bot.telegram.handlers import chat, inline, posting, watch
from bot.telegram.loop_monitor import LoopMonitor
from bot.telegram.render.chat import COMMANDS
from bot.telegram.retry import RetryingRateLimiter
from bot.telegram.services import open_services
from store import ensure_sample_loaded, open_database

log = logging.getLogger(__name__)

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


def api_urls(base_url: str) -> tuple[str, str]:
    """The Bot API and file URLs for a custom server.

    ``http://host:8081`` and ``http://host:8081/bot`` both mean the server's
    ``/bot<token>/<method>`` endpoints; a URL containing ``{token}`` is used as given.
    """
    base = base_url.rstrip("/")
    if "{token}" in base:
        return base, base.replace("/bot{token}", "/file/bot{token}")
    if base.endswith("/bot"):
        base = base[: -len("/bot")]
    return f"{base}/bot", f"{base}/file/bot"


def build_application(
    token: str,
    db_path: Path,
    *,
    load_sample: bool = False,
    base_url: str | None = None,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    rate_limit: bool = True,
    timezone: str = DEFAULT_TIMEZONE,
    limits: FairnessLimits | None = None,
    watch_seconds: float = DEFAULT_WATCH_SECONDS,
    state_url: str | None = None,
    state_where: str = "",
    snapshot_check_seconds: float | None = None,
) -> AnyApplication:
    """The bot's Application over the database at ``db_path``.

    ``load_sample`` loads the bundled sample speech into an empty database at start.
    ``timezone`` (an IANA name) is the zone of the times given to /schedule.
    ``request`` / ``get_updates_request`` replace the HTTP layer (tests, terminal chat).
    ``limits`` bound the updates processed at once and each user's share
    (default: those of :class:`~bot.telegram.fairness.FairnessLimits`).  ``watch_seconds``:
    how often /watch looks for new paragraphs.
    ``state_url`` puts the shared state (stored queries, inline choices,
    links, schedules, posted log, epoch, watches) in PostgreSQL instead of the database file;
    ``state_where`` is how logs name it (without its password).
    ``snapshot_check_seconds`` (not ``None``) makes it a replica: ``db_path`` is a published
    corpus snapshot, opened read-only and followed (:mod:`bot.telegram.replica`).
    """
    check_timezone(timezone)
    processor = FairUpdateProcessor(limits or FairnessLimits())
    builder = (
        ApplicationBuilder()
        .token(token)
        .concurrent_updates(processor)
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
    )
    if rate_limit:
        # Telegram's rate limits; 429s, 5xx and timeouts retried (bot/telegram/retry.py)
        limiter: Any = RetryingRateLimiter(max_retries=1)  # PTB's builder typing wants [None]
        builder = builder.rate_limiter(limiter)
    if base_url:
        api, files = api_urls(base_url)
        builder = builder.base_url(api).base_file_url(files)
    if request is not None:
        builder = builder.request(request)
    if get_updates_request is not None:
        builder = builder.get_updates_request(get_updates_request)
    app: AnyApplication = builder.build()
    processor.attach(app.process_update)  # to process sanitised copies of updates
    data = BotData(
        db_path,
        load_sample,
        timezone,
        watch_seconds=watch_seconds,
        state_url=state_url,
        state_where=state_where,
        snapshot_check_seconds=snapshot_check_seconds,
    )
    put_bot_data(app.bot_data, data)
    add_handlers(app)
    if snapshot_check_seconds is not None:  # what a replica cannot do, said before trying
        replica.add_replica_handlers(app, shared_state=state_url is not None)
    return app


def add_handlers(app: AnyApplication) -> None:
    """Register the chat handlers and the error handler."""
    new_messages = filters.UpdateType.MESSAGE
    app.add_handler(CommandHandler("start", chat.start, filters=new_messages))
    app.add_handler(CommandHandler("help", chat.help_command, filters=new_messages))
    app.add_handler(CommandHandler(["q", "quote", "find"], chat.quote, filters=new_messages))
    app.add_handler(CommandHandler("random", chat.random_command, filters=new_messages))
    app.add_handler(CommandHandler("sources", chat.sources, filters=new_messages))
    app.add_handler(CommandHandler("stats", chat.stats, filters=new_messages))
    app.add_handler(CommandHandler("channel", posting.channel_command, filters=new_messages))
    app.add_handler(CommandHandler("post", posting.post_command, filters=new_messages))
    app.add_handler(CommandHandler("schedule", posting.schedule_command, filters=new_messages))
    app.add_handler(CommandHandler("watch", watch.watch_command, filters=new_messages))
    app.add_handler(MessageHandler(filters.COMMAND & new_messages, chat.unknown_command))
    app.add_handler(
        MessageHandler(
            filters.TEXT
            & ~filters.COMMAND
            & ~filters.VIA_BOT
            & filters.ChatType.PRIVATE
            & new_messages,
            chat.plain_text,
        )
    )
    app.add_handler(CallbackQueryHandler(chat.button))
    inline.register(app)  # inline queries and chosen inline results (inline mode)
    app.add_error_handler(chat.on_error)
    update_log.install(app)  # one INFO line per update with its latency (ops)


async def _post_init(app: AnyApplication) -> None:
    data = bot_data_of(app.bot_data)
    db_path = data.db_path
    stack = AsyncExitStack()
    monitor = LoopMonitor()  # the event loop's longest stall, logged at shutdown
    monitor.start()
    stack.push_async_callback(monitor.stop)
    if data.snapshot_check_seconds is not None:  # a replica: the corpus is a snapshot
        data.opened(stack)
        await replica.follow_snapshot(app, stack, data.snapshot_check_seconds)
        await _register_commands(app)
        return
    db = await stack.enter_async_context(open_database(db_path))
    data.opened(stack)
    if data.load_sample and await ensure_sample_loaded(db):
        log.info("loaded the bundled sample speech into the empty database")
    if await db.count_documents() == 0:
        log.warning("the database %s is empty: load speeches with `verbatim ingest`", db_path)
    chats = TelegramChats(app.bot, data.pictures)  # pictures: the same file_id cache
    opened = await open_services(stack, app, db, db_path, chats)
    log.info("shared state (queries, choices, links, schedules, watches): %s", opened.state_where)
    data.start(opened.service, opened.posting)
    await jobs.restore(app)  # scheduled posts: jobs run once the Application starts
    data.start_watching(opened.watching)
    jobs.start_watch_job(app.job_queue, data.watch_seconds)  # /watch alerts
    await _register_commands(app)


async def _register_commands(app: AnyApplication) -> None:
    try:
        await app.bot.set_my_commands(list(COMMANDS))
    except TelegramError as exc:
        log.warning("could not register the command list with Telegram: %s", exc)


async def _post_shutdown(app: AnyApplication) -> None:
    stack = bot_data_of(app.bot_data).stop()
    if stack is not None:
        await stack.aclose()


@asynccontextmanager
async def running(app: AnyApplication) -> AsyncIterator[AnyApplication]:
    """Initialise the Application and open its database, without polling; undo on exit.

    For code that feeds updates itself with ``app.process_update`` (tests, ``verbatim chat``).
    """
    await app.initialize()
    try:
        await _post_init(app)
        try:
            yield app
        finally:
            await _post_shutdown(app)
    finally:
        await app.shutdown()
