"""Bot API calls that survive a hiccup: PTB's rate limiter, with retries.

PTB's :class:`~telegram.ext.AIORateLimiter` keeps within Telegram's rate limits and
retries a call Telegram answered 429 ("retry after N s").  :class:`RetryingRateLimiter`
also retries, a bounded number of times with a short pause, a call that failed on the
way: a 5xx answer or a broken connection (``NetworkError``, not ``BadRequest``), a
timeout (``TimedOut``), or a 429 that came again.  A request that timed out may have
reached Telegram: retrying it can, rarely, send a message twice — better than never
answering.  ``getUpdates`` never comes here (PTB's updater retries its own polls).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import warnings
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut
from telegram.ext import AIORateLimiter

log = logging.getLogger(__name__)

RETRIES = 3  # further attempts after a failed one
PAUSES = (0.25, 1.0, 2.0)  # seconds before each further attempt (after a 5xx or timeout)
MAX_RETRY_AFTER = 30.0  # a longer "retry after" is not waited for here


def retry_after_seconds(exc: RetryAfter) -> float:
    """The wait Telegram asked for, in seconds (without PTB's int/timedelta warning)."""
    value = getattr(exc, "_retry_after", None)  # what PTB's own rate limiter reads
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        given = exc.retry_after
    return given.total_seconds() if isinstance(given, dt.timedelta) else float(given)


def transient(exc: BaseException) -> bool:
    """Whether a failed call is worth another try."""
    if isinstance(exc, RetryAfter):
        return retry_after_seconds(exc) <= MAX_RETRY_AFTER
    return isinstance(exc, TimedOut) or (
        isinstance(exc, NetworkError) and not isinstance(exc, BadRequest)
    )


class RetryingRateLimiter(AIORateLimiter):
    """:class:`AIORateLimiter` that also retries transient failures (see module docstring)."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Run the call through the rate limiter; retry it when it fails transiently."""
        for attempt in range(RETRIES + 1):
            try:
                return await super().process_request(
                    callback, args, kwargs, endpoint, data, rate_limit_args
                )
            except (NetworkError, RetryAfter) as exc:
                if attempt == RETRIES or not transient(exc):
                    raise
                pause = (
                    retry_after_seconds(exc) + 0.1
                    if isinstance(exc, RetryAfter)
                    else PAUSES[min(attempt, len(PAUSES) - 1)]
                )
                log.info("%s failed (%s): trying again in %.2f s", endpoint, exc, pause)
                await asyncio.sleep(pause)
        raise AssertionError("unreachable")  # pragma: no cover
