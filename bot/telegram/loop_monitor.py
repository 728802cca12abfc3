"""How long the event loop stalls: a timer that notices when it wakes up late.

Everything the bot does for all users runs on one event loop; a callback that blocks it
(CPU work, a synchronous call) delays every other user.  :class:`LoopMonitor` sleeps
:data:`TICK` seconds at a time and records how much later than asked it woke up — the
longest stall since the last report.  It logs a WARNING for a stall over
:data:`WARN_SECONDS`, an INFO line with the longest stall every :data:`REPORT_SECONDS`,
and one at shutdown (``event loop: longest stall … ms since start``), which
``bench/load.py`` reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

log = logging.getLogger(__name__)

TICK = 0.02  # seconds between wake-ups
WARN_SECONDS = 1.0
REPORT_SECONDS = 300.0


class LoopMonitor:
    """Measure the event loop's stalls while :meth:`start` ed; see the module docstring."""

    def __init__(self, tick: float = TICK) -> None:
        self.tick = tick
        self.longest = 0.0  # seconds, since start
        self.window_longest = 0.0  # since the last report
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start measuring (in the running loop)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="loop-monitor")

    async def stop(self) -> None:
        """Stop, and log the longest stall since start."""
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        log.info("event loop: longest stall %.1f ms since start", self.longest * 1000)

    async def _run(self) -> None:
        last_report = time.monotonic()
        while True:
            before = time.monotonic()
            await asyncio.sleep(self.tick)
            now = time.monotonic()
            stall = max(0.0, now - before - self.tick)
            self.longest = max(self.longest, stall)
            self.window_longest = max(self.window_longest, stall)
            if stall > WARN_SECONDS:
                log.warning("event loop stalled for %.2f s", stall)
            if now - last_report >= REPORT_SECONDS:
                log.info("event loop: longest stall %.1f ms", self.window_longest * 1000)
                self.window_longest, last_report = 0.0, now
