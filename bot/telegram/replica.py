"""Replica mode: the corpus is a published snapshot, read-only, followed as it is republished.

``verbatim run --snapshot SNAPDIR/corpus.db`` (or ``VERBATIM_CORPUS_SNAPSHOT``) serves
from the file that ``verbatim publish-snapshot`` renames into place
(:mod:`store.db.snapshot`).  :class:`SnapshotFollower` opens it read-only — the main
connection and the search pool — with the services over it, and looks again every
``VERBATIM_SNAPSHOT_CHECK_SECONDS`` (a JobQueue job) and on ``SIGHUP``.  When the file
is a new one (another inode, size or time), it opens the new file beside the old, checks
that it opened the file it looked at, and puts the new services in
:class:`~bot.telegram.bot_data.BotData`: updates arriving from then on search the new
snapshot.  The old snapshot stays open until every update that was in flight at the
switch has finished (the update processor knows them,
:meth:`~bot.telegram.fairness.FairUpdateProcessor.in_flight`; at most
:data:`DRAIN_SECONDS`), then it is closed: no update is dropped or fails for the switch.
A new file that cannot be opened (damaged, another schema) is logged and the replica
keeps serving the one it has; so it does when the file disappears.

What the bot keeps beside the corpus lives in the shared state (:mod:`store.state`):
with ``VERBATIM_STATE_URL`` in PostgreSQL, shared by every replica — stored queries, so
that a button works whichever replica its press reaches; inline choices; links, posts
and schedules, whose runs are claimed so that one replica posts each (the schedules are
restored as in one process).  Without it the state is the snapshot itself, which cannot
be written: searches are answered without the buttons that need a stored query
(:class:`bot.core.queries.QueryMemory`), inline choices are not counted, no schedule is
run, and /channel, /post, /schedule and /watch are answered with a short notice.  With a
shared state, watches are shared too (:class:`store.state.WatchState`): /watch works on
every replica, and each replica checks them against its snapshot, the new paragraphs of a
newly published one included; a watch with something to send is claimed first, so one
replica sends each alert.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sqlite3
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, CommandHandler, filters

from bot.core.posting import PostingService
from bot.core.service import VerbatimService
from bot.core.watching import WatchService
from bot.telegram import jobs
from bot.telegram.bot_data import Context, bot_data_of
from bot.telegram.chat_access import TelegramChats
from bot.telegram.fairness import FairUpdateProcessor
from bot.telegram.services import open_services
from store import (
    NewerSchemaError,
    NotVerbatimDatabase,
    OlderSchemaError,
    SnapshotIdentity,
    open_database,
    snapshot_identity,
)
from store.state import StateUnavailable

log = logging.getLogger(__name__)

AnyApplication = Application[Any, Any, Any, Any, Any, Any]

# Commands whose state a snapshot cannot hold (without a shared state store)
STATE_COMMANDS = ("channel", "post", "schedule", "watch")
NOT_ON_A_REPLICA = (
    "That is not available on this server yet: it answers searches only. Please try again later."
)
DRAIN_SECONDS = 120.0  # longest wait for the updates still using a replaced snapshot
JOB_NAME = "corpus-snapshot-check"
_OPEN_ATTEMPTS = 3  # a snapshot republished while it was being opened is opened again
_OPEN_ERRORS = (
    sqlite3.Error,
    OSError,
    StateUnavailable,
    NewerSchemaError,
    OlderSchemaError,
    NotVerbatimDatabase,
)


class SnapshotChanging(RuntimeError):
    """The snapshot was republished each time it was being opened."""


@dataclass(eq=False, slots=True)
class _Generation:
    """One opened snapshot file and the services over it."""

    identity: SnapshotIdentity | None
    stack: AsyncExitStack
    service: VerbatimService
    posting: PostingService
    watching: WatchService | None  # with a shared state only
    documents: int


class SnapshotFollower:
    """The services over the published snapshot at ``path``, reopened when it changes."""

    def __init__(self, app: AnyApplication, path: Path) -> None:
        self.app = app
        self.path = path
        self.switches = 0  # new snapshots switched to since the start
        self._chats = TelegramChats(app.bot, bot_data_of(app.bot_data).pictures)
        self._current: _Generation | None = None
        self._lock = asyncio.Lock()
        self._retiring: set[asyncio.Task[None]] = set()
        self._checks: set[asyncio.Task[bool]] = set()
        self._refused: SnapshotIdentity | None = None  # failed to open: not retried as is
        self._missing_logged = False

    @property
    def open_snapshots(self) -> int:
        """Snapshot files open now: the current one and those still draining."""
        return (self._current is not None) + len(self._retiring)

    async def start(self) -> None:
        """Open the snapshot and put its services in BotData (raises if it cannot)."""
        generation = await self._open()
        self._current = generation
        self._serve(generation)
        log.info(
            "serving the corpus snapshot %s (%d documents), read-only",
            self.path,
            generation.documents,
        )

    async def check(self) -> bool:
        """Switch to a newly published snapshot if there is one; True if it switched.

        The previous snapshot is closed in the background once the updates in flight at
        the switch have finished (:meth:`drained` waits for that)."""
        async with self._lock:
            identity = snapshot_identity(self.path)
            current = self._current
            if identity is None:
                if not self._missing_logged:
                    log.warning("no corpus snapshot at %s: still serving the last one", self.path)
                    self._missing_logged = True
                return False
            self._missing_logged = False
            if current is not None and identity == current.identity:
                return False
            if identity == self._refused:
                return False
            try:
                generation = await self._open()
            except (*_OPEN_ERRORS, SnapshotChanging) as exc:
                self._refused = identity
                log.error(
                    "could not open the new corpus snapshot %s (%s): still serving the "
                    "previous one",
                    self.path,
                    exc,
                )
                return False
            self._current = generation
            self._serve(generation)
            self.switches += 1
        log.info(
            "switched to the new corpus snapshot %s: %d documents (were %d)",
            self.path,
            generation.documents,
            current.documents if current is not None else 0,
        )
        if current is not None:
            # the updates that may still read the old snapshot: those in flight now
            processor = self.app.update_processor
            running = processor.in_flight() if isinstance(processor, FairUpdateProcessor) else set()
            this = asyncio.current_task()
            if this is not None:
                running.discard(this)  # (a check made by an update itself)
            task = asyncio.create_task(self._retire(current, running))
            self._retiring.add(task)
            task.add_done_callback(self._retiring.discard)
        return True

    def _serve(self, generation: _Generation) -> None:
        """Put ``generation``'s services in BotData: new updates and jobs use them."""
        data = bot_data_of(self.app.bot_data)
        data.start(generation.service, generation.posting)
        if generation.watching is not None:
            data.start_watching(generation.watching)

    def check_soon(self) -> None:
        """Run :meth:`check` in a task of its own (from a signal handler)."""
        log.info("SIGHUP: looking for a new corpus snapshot at %s", self.path)
        task = asyncio.get_running_loop().create_task(self.check())
        self._checks.add(task)
        task.add_done_callback(self._checks.discard)

    async def drained(self) -> None:
        """Wait until every replaced snapshot is closed."""
        while self._retiring:
            await asyncio.gather(*self._retiring, return_exceptions=True)

    async def close(self) -> None:
        """Close every snapshot (at shutdown: the updates have stopped)."""
        for task in (*self._checks, *self._retiring):
            task.cancel()
        await asyncio.gather(*self._checks, *self._retiring, return_exceptions=True)
        current, self._current = self._current, None
        if current is not None:
            await current.stack.aclose()

    async def _open(self) -> _Generation:
        """Open the file now at the path, and make sure it stayed the same file while
        its connections were opened (else open again)."""
        for _ in range(_OPEN_ATTEMPTS):
            before = snapshot_identity(self.path)
            stack = AsyncExitStack()
            data = bot_data_of(self.app.bot_data)
            try:
                db = await stack.enter_async_context(open_database(self.path, read_only=True))
                opened = await open_services(
                    stack, self.app, db, self.path, self._chats, read_only=True
                )
                documents = await db.count_documents()
            except BaseException:
                await stack.aclose()
                raise
            if snapshot_identity(self.path) == before:
                watching = opened.watching if data.state_url is not None else None
                return _Generation(
                    before, stack, opened.service, opened.posting, watching, documents
                )
            await stack.aclose()
        raise SnapshotChanging(f"{self.path} was replaced each time it was being opened")

    async def _retire(self, old: _Generation, running: set[asyncio.Task[Any]]) -> None:
        """Close ``old`` once the updates that may be reading it (``running``) have
        finished."""
        try:
            if running:
                _, pending = await asyncio.wait(running, timeout=DRAIN_SECONDS)
                if pending:
                    log.warning(
                        "closing the previous corpus snapshot with %d updates still running "
                        "after %.0f s",
                        len(pending),
                        DRAIN_SECONDS,
                    )
        finally:
            await old.stack.aclose()
            log.info("closed the previous corpus snapshot")


async def follow_snapshot(app: AnyApplication, stack: AsyncExitStack, check_seconds: float) -> None:
    """Start replica mode for ``app`` (its BotData's ``db_path`` is the snapshot): open
    the snapshot, check for a new one every ``check_seconds`` (0: only on SIGHUP) and on
    SIGHUP; undone by ``stack``."""
    data = bot_data_of(app.bot_data)
    # APScheduler logs each run of a job at INFO: one check every few seconds is no news
    logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)
    follower = SnapshotFollower(app, data.db_path)
    await follower.start()
    stack.push_async_callback(follower.close)
    data.follower = follower
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
        loop.add_signal_handler(signal.SIGHUP, follower.check_soon)
        stack.callback(loop.remove_signal_handler, signal.SIGHUP)
    if data.state_url is not None:  # schedule runs and watches are claimed in the shared state
        await jobs.restore(app)
        jobs.start_watch_job(app.job_queue, data.watch_seconds)
    if check_seconds > 0 and app.job_queue is not None:
        app.job_queue.run_repeating(
            _check_job,
            interval=check_seconds,
            first=check_seconds,
            name=JOB_NAME,
            job_kwargs={"coalesce": True, "max_instances": 1},
        )
    log.info(
        "replica mode: looking for a new snapshot %s; %s",
        f"every {check_seconds:g} s and on SIGHUP" if check_seconds > 0 else "on SIGHUP",
        "shared state in " + data.state_where
        if data.state_url is not None
        else "no shared state (VERBATIM_STATE_URL): searches are not recorded (no 'other "
        "matches' button), no schedules are run, posting and watch commands are declined",
    )


def add_replica_handlers(app: AnyApplication, *, shared_state: bool) -> None:
    """Answer the commands whose state the replica cannot keep with a short notice,
    before their own handlers (``shared_state``: a state store keeps it; nothing declined)."""
    if shared_state:
        return
    app.add_handler(
        CommandHandler(list(STATE_COMMANDS), _not_on_a_replica, filters=filters.UpdateType.MESSAGE),
        group=-2,  # before update_log's first group and the bot's own handlers
    )


async def _not_on_a_replica(update: Update, context: Context) -> None:
    message = update.effective_message
    if message is not None:
        await message.reply_text(NOT_ON_A_REPLICA)
    raise ApplicationHandlerStop


def follower_of(app: AnyApplication) -> SnapshotFollower:
    """The running replica's :class:`SnapshotFollower` (RuntimeError if not a replica)."""
    found = bot_data_of(app.bot_data).follower
    if not isinstance(found, SnapshotFollower):
        raise RuntimeError("the bot is not running as a replica on a corpus snapshot")
    return found


async def _check_job(context: Context) -> None:
    follower = bot_data_of(context.bot_data).follower
    if follower is not None:
        await follower.check()
