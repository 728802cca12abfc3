"""Each user a fair share: python-telegram-bot's update processor, replaced.

PTB hands every incoming update (polling or webhook) to the Application's update
processor before any handler sees it.  :class:`FairUpdateProcessor` is that processor:

- at most ``max_concurrent`` updates are processed at once, over all users;
- at most one update of a user is in flight; the user's other updates wait their turn in
  the order they arrived, without taking one of the ``max_concurrent`` places;
- each user has a token bucket (``per_minute`` tokens a minute, at most ``burst``): an
  update that would overdraw it is answered "Slow down: …" and not processed — a private
  chat gets one message per throttled spell, a button press an ``answerCallbackQuery``
  notice, an inline query an empty answer whose button says so; a group message is
  dropped silently.  A private message or a command costs one token, a button press half
  (most are a step to a neighbouring paragraph: reading a speech paragraph by paragraph
  is quick work), an inline query a quarter (clients send one per pause in typing);
  other updates (group chatter the bot ignores, chosen inline results, membership
  changes) cost nothing;
- a newer inline query of a user drops that user's older ones still waiting and cancels
  the one running: its answer would be stale;
- an update without a user (a channel post) takes only the global bound;
- lone surrogates (from ``\\ud800`` escapes in JSON) in any string of the update are
  replaced with U+FFFD before a handler sees it, so they cannot break saving or sending.

The processor needs the Application to rebuild a sanitised update: :func:`attach` it
after ``build()``.  ``Application.process_update`` called directly (tests, the terminal
chat) bypasses the processor.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from telegram import InlineQueryResultsButton, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import BaseUpdateProcessor

from bot.settings import DEFAULT_RATE_BURST, DEFAULT_RATE_PER_MINUTE
from bot.telegram.sanitize import clean_update

log = logging.getLogger(__name__)

INLINE_COST = 0.25  # an inline query costs a quarter token
BUTTON_COST = 0.5  # a button press half
MAX_PENDING = 100_000  # PTB's own bound on started update tasks; ours is ``max_concurrent``
QUEUE_FULL_WAIT = 5.0  # "try again in" when a user's queue is full
_SWEEP_EVERY = 512  # arrivals between sweeps of idle users


@dataclass(frozen=True, slots=True)
class FairnessLimits:
    """The bounds the processor enforces (from :class:`bot.settings.Settings`)."""

    max_concurrent: int = 64  # updates in flight over all users (one per user)
    per_minute: float = DEFAULT_RATE_PER_MINUTE  # tokens a user gets back per minute; 0: none
    burst: float = DEFAULT_RATE_BURST  # tokens a user may spend at once
    max_waiting: int = 16  # updates of one user waiting their turn; more are refused


class TokenBucket:
    """A token bucket that refills at ``rate`` tokens a second up to ``capacity``."""

    __slots__ = ("capacity", "rate", "stamp", "tokens")

    def __init__(self, rate: float, capacity: float, now: float) -> None:
        self.rate, self.capacity = rate, capacity
        self.tokens, self.stamp = capacity, now

    def _refill(self, now: float) -> None:
        if now > self.stamp:
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = max(self.stamp, now)

    def take(self, cost: float, now: float) -> float:
        """Spend ``cost`` tokens and return 0, or spend nothing and return the seconds
        until ``cost`` tokens will be there."""
        self._refill(now)
        if self.tokens + 1e-9 >= cost:
            self.tokens = max(0.0, self.tokens - cost)
            return 0.0
        if self.rate <= 0:
            return math.inf
        return (cost - self.tokens) / self.rate

    def full(self, now: float) -> bool:
        """Whether the bucket is full again (an idle user can be forgotten)."""
        self._refill(now)
        return self.tokens >= self.capacity


@dataclass(eq=False, slots=True)
class _Turn:
    """One update of a user: waiting, running, or dropped (superseded or refused)."""

    inline: bool
    ready: asyncio.Future[bool] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )
    task: asyncio.Task[Any] | None = None
    superseded: bool = False


@dataclass(slots=True)
class _User:
    bucket: TokenBucket | None
    waiting: deque[_Turn] = field(default_factory=deque)
    running: _Turn | None = None
    quiet_until: float = 0.0  # no further "Slow down" message before this


def update_cost(update: Update) -> float:
    """Tokens an update costs (see the module docstring)."""
    if update.inline_query is not None:
        return INLINE_COST
    if update.callback_query is not None:
        return BUTTON_COST
    message = update.message
    if message is None:
        return 0.0
    if message.chat.type == ChatType.PRIVATE:
        return 1.0
    return 1.0 if (message.text or "").startswith("/") else 0.0


def slow_down_text(wait: float) -> str:
    """The notice for a user over the rate limit."""
    seconds = max(1, math.ceil(wait)) if math.isfinite(wait) else 60
    return f"Slow down: too many requests. Try again in {seconds} s."


class FairUpdateProcessor(BaseUpdateProcessor):
    """The Application's update processor: a global bound, one update in flight per user,
    a per-user rate limit (see the module docstring)."""

    def __init__(self, limits: FairnessLimits, clock: Callable[[], float] = time.monotonic) -> None:
        # PTB's semaphore (taken before do_process_update) only bounds the started tasks:
        # an update waiting for its user's turn must not hold one of the real places.
        super().__init__(MAX_PENDING)
        if limits.max_concurrent < 1:
            raise ValueError("max_concurrent must be at least 1")
        self.limits = limits
        self._clock = clock
        self._slots = asyncio.Semaphore(limits.max_concurrent)
        self._users: dict[int, _User] = {}
        self._arrivals = 0
        self._process: Callable[[object], Coroutine[Any, Any, None]] | None = None
        self.refused = 0  # updates answered "Slow down" or dropped over a limit
        self._in_flight: set[asyncio.Task[Any]] = set()  # see in_flight()

    def attach(self, process_update: Callable[[object], Coroutine[Any, Any, None]]) -> None:
        """Give the processor ``Application.process_update`` (to run sanitised updates)."""
        self._process = process_update

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Forget every user."""
        self._users.clear()

    @property
    def users(self) -> int:
        """Users the processor currently keeps state for."""
        return len(self._users)

    def in_flight(self) -> set[asyncio.Task[Any]]:
        """The tasks of the updates being processed or waiting their turn now (a replica
        waits for them before it closes the corpus snapshot they may be reading)."""
        return set(self._in_flight)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Sanitise, rate-limit and order one update, then run it (PTB calls this)."""
        task = asyncio.current_task()
        if task is not None:
            self._in_flight.add(task)
        try:
            await self._admit(update, coroutine)
        finally:
            if task is not None:
                self._in_flight.discard(task)

    async def _admit(self, update: object, coroutine: Awaitable[Any]) -> None:
        if not isinstance(update, Update):
            async with self._slots:
                await coroutine
            return
        coroutine = self._sanitised(update, coroutine)
        user = update.effective_user
        if user is None:  # channel posts and the like: only the global bound
            async with self._slots:
                await coroutine
            return
        sender = update.effective_sender
        key = sender.id if sender is not None else user.id  # anonymous admins: the chat
        now = self._clock()
        state = self._user(key, now)
        cost = update_cost(update)
        wait = state.bucket.take(cost, now) if state.bucket is not None and cost else 0.0
        if wait > 0 or len(state.waiting) >= self.limits.max_waiting:
            wait = max(wait, QUEUE_FULL_WAIT)
            _close(coroutine)
            self.refused += 1
            if cost:
                await self._slow_down(update, state, wait, now)
            return
        turn = _Turn(inline=update.inline_query is not None)
        if turn.inline:
            _supersede_inline(state)
        if state.running is None and not state.waiting:
            state.running = turn
        else:
            state.waiting.append(turn)
            try:
                given = await turn.ready
            except asyncio.CancelledError:  # (shutdown) a cancelled wait must not hold the turn
                _close(coroutine)
                if turn.ready.done() and not turn.ready.cancelled() and turn.ready.result():
                    self._next_turn(key, state)  # the turn came just before: pass it on
                raise
            if not given:  # superseded while waiting
                _close(coroutine)
                return
        try:
            await self._run(turn, coroutine)
        finally:
            self._next_turn(key, state)

    def _sanitised(self, update: Update, coroutine: Awaitable[Any]) -> Awaitable[Any]:
        cleaned = clean_update(update)
        if cleaned is None or self._process is None:
            return coroutine
        log.info("update %d: replaced lone surrogates in its text", update.update_id)
        _close(coroutine)
        return self._process(cleaned)

    def _user(self, key: int, now: float) -> _User:
        self._arrivals += 1
        if self._arrivals % _SWEEP_EVERY == 0:
            self._sweep(now)
        state = self._users.get(key)
        if state is None:
            limits = self.limits
            bucket = (
                TokenBucket(limits.per_minute / 60.0, limits.burst, now)
                if limits.per_minute > 0
                else None
            )
            state = self._users[key] = _User(bucket)
        return state

    def _sweep(self, now: float) -> None:
        idle = [
            key
            for key, s in self._users.items()
            if s.running is None
            and not s.waiting
            and now >= s.quiet_until
            and (s.bucket is None or s.bucket.full(now))
        ]
        for key in idle:
            del self._users[key]

    async def _run(self, turn: _Turn, coroutine: Awaitable[Any]) -> None:
        async with self._slots:
            if turn.superseded:  # a newer inline query came while this one waited
                _close(coroutine)
                return
            turn.task = asyncio.ensure_future(coroutine)
            try:
                await turn.task
            except asyncio.CancelledError:
                current = asyncio.current_task()
                if turn.superseded and not (current is not None and current.cancelling()):
                    log.debug("inline query superseded by a newer one from the same user")
                    return
                raise

    def _next_turn(self, key: int, state: _User) -> None:
        state.running = None
        while state.waiting:
            turn = state.waiting.popleft()
            if not turn.ready.done():
                state.running = turn
                turn.ready.set_result(True)
                return
        now = self._clock()
        idle = state.bucket is None or state.bucket.full(now)
        if idle and self._users.get(key) is state and now >= state.quiet_until:
            del self._users[key]

    async def _slow_down(self, update: Update, state: _User, wait: float, now: float) -> None:
        """Tell the user to slow down (once per spell in a chat); never raises."""
        text = slow_down_text(wait)
        try:
            if update.callback_query is not None:
                await update.callback_query.answer(text)
            elif update.inline_query is not None:
                button = InlineQueryResultsButton(text=text, start_parameter="slow_down")
                await update.inline_query.answer([], cache_time=0, is_personal=True, button=button)
            elif update.message is not None and update.message.chat.type == ChatType.PRIVATE:
                if now < state.quiet_until:
                    return
                state.quiet_until = now + (wait if math.isfinite(wait) else 60.0)
                log.info("update %d: a user is over the rate limit", update.update_id)
                await update.message.get_bot().send_message(update.message.chat.id, text)
        except TelegramError as exc:
            log.warning("could not tell a user to slow down: %s", exc)


def _supersede_inline(state: _User) -> None:
    """A newer inline query: drop the waiting ones, cancel the running one."""
    for turn in state.waiting:
        if turn.inline and not turn.ready.done():
            turn.superseded = True
            turn.ready.set_result(False)
    running = state.running
    if running is not None and running.inline:
        running.superseded = True
        if running.task is not None:
            running.task.cancel()


def _close(coroutine: Awaitable[Any]) -> None:
    """Discard a coroutine that will not be awaited (no "never awaited" warning)."""
    close = getattr(coroutine, "close", None)
    if close is not None:
        close()
