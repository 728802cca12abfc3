"""The bot's own state in PTB's ``bot_data``: one typed object under one key.

:func:`bot.telegram.app.build_application` puts a :class:`BotData` (database path,
whether to load the sample, the schedules' timezone, where the shared state is) in
``bot_data``; the Application's
post_init opens the database and :meth:`BotData.start` s the services over it,
post_shutdown :meth:`BotData.stop` s them.  A replica (``snapshot_check_seconds`` set)
starts them again over each new corpus snapshot (:mod:`bot.telegram.replica`).  Handlers
and jobs read it with :func:`bot_data_of` — no string keys, no ``cast()``.  Kept apart
from ``app`` so that the handlers can import it without importing the module that
registers them.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from telegram.ext import ContextTypes

from bot.core.posting import PostingService
from bot.core.service import VerbatimService
from bot.core.watching import WatchService
from bot.settings import DEFAULT_TIMEZONE, DEFAULT_WATCH_SECONDS
from bot.telegram.pictures import PictureCache

Context = ContextTypes.DEFAULT_TYPE  # what every handler and job receives

_KEY = "verbatim"


class SnapshotChecker(Protocol):
    """What follows a replica's corpus snapshot (:class:`bot.telegram.replica.SnapshotFollower`)."""

    async def check(self) -> bool:
        """Switch to a newly published snapshot if there is one; True if it switched."""
        ...


@dataclass(slots=True)
class BotData:
    """The Application's configuration and, while it runs, its services."""

    db_path: Path
    load_sample: bool = False  # load the bundled sample into an empty database at start
    timezone: str = DEFAULT_TIMEZONE  # IANA name; the times of /schedule are in this zone
    state_url: str | None = None  # the shared state in PostgreSQL (None: the database file)
    state_where: str = ""  # state_url as logs show it (without its password)
    pictures: PictureCache = field(default_factory=PictureCache)  # uploaded pictures' file_ids
    watch_seconds: float = DEFAULT_WATCH_SECONDS  # how often /watch looks for new paragraphs
    # replica mode: db_path is a published corpus snapshot, looked at again this often (s;
    # 0: on SIGHUP only); None: an ordinary database.  ``follower`` follows it while running
    snapshot_check_seconds: float | None = None
    follower: SnapshotChecker | None = field(default=None, repr=False)
    _service: VerbatimService | None = field(default=None, repr=False)
    _posting: PostingService | None = field(default=None, repr=False)
    _watching: WatchService | None = field(default=None, repr=False)
    _exit_stack: AsyncExitStack | None = field(default=None, repr=False)

    @property
    def service(self) -> VerbatimService:
        """The search service (open between post_init and post_shutdown)."""
        if self._service is None:
            raise RuntimeError("the bot is not running: its services are not open")
        return self._service

    @property
    def posting(self) -> PostingService:
        """The posting service (open between post_init and post_shutdown)."""
        if self._posting is None:
            raise RuntimeError("the bot is not running: its services are not open")
        return self._posting

    @property
    def watching(self) -> WatchService:
        """The /watch service (open between post_init and post_shutdown)."""
        if self._watching is None:
            raise RuntimeError("the bot is not running: its services are not open")
        return self._watching

    def start_watching(self, watching: WatchService) -> None:
        """The /watch service is ready (after :meth:`start`)."""
        self._watching = watching

    def opened(self, exit_stack: AsyncExitStack) -> None:
        """Keep what post_init opened, for :meth:`stop` to close (even if start-up fails)."""
        self._exit_stack = exit_stack

    def start(self, service: VerbatimService, posting: PostingService) -> None:
        """The services are ready: handlers and jobs may use them."""
        self._service, self._posting = service, posting

    def stop(self) -> AsyncExitStack | None:
        """Forget the services; returns what post_init opened, for the caller to close."""
        stack, self._exit_stack = self._exit_stack, None
        self._service = self._posting = None
        self._watching = None
        self.follower = None
        return stack


def put_bot_data(bot_data: MutableMapping[Any, Any], data: BotData) -> None:
    """Store ``data`` in an Application's ``bot_data`` (once, when it is built)."""
    bot_data[_KEY] = data


def bot_data_of(bot_data: Mapping[Any, Any]) -> BotData:
    """The :class:`BotData` in an Application's (or a context's) ``bot_data``."""
    found = bot_data.get(_KEY)
    if not isinstance(found, BotData):
        raise RuntimeError("no BotData in bot_data: build the Application with build_application")
    return found
