"""Bot API hiccups and a blocked event loop: retried calls, measured stalls.

The Application's rate limiter (bot/telegram/retry.py) retries a call that failed with a
5xx, a timeout or a repeated 429; the loop monitor (bot/telegram/loop_monitor.py) reports
the longest event-loop stall.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from pathlib import Path
from typing import Any

import pytest
from fake_bot_api import TOKEN, FakeTelegram, OfflineBot, RecordingRequest
from telegram.error import TimedOut

from bot.telegram.app import build_application, running
from bot.telegram.loop_monitor import LoopMonitor

QUERY = "servent the peple with the heart of a mothr"
# PTB's RetryAfter warns about its own int/timedelta migration when it is made
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


class Hiccups(RecordingRequest):
    """The recording fake, failing the first calls of some methods as scripted."""

    def __init__(self, fake: FakeTelegram, script: dict[str, list[str]]) -> None:
        super().__init__(fake)
        self.script = script

    async def do_request(  # type: ignore[override]  # the recorder's keywords, passed on
        self, url: str, method: str, request_data: Any = None, **kw: Any
    ) -> Any:
        api_method = url.rstrip("/").rsplit("/", 1)[-1]
        faults = self.script.get(api_method)
        if faults:
            fault = faults.pop(0)
            if fault == "timeout":
                raise TimedOut("Timed out")
            if fault == "429":
                body = {
                    "ok": False,
                    "error_code": 429,
                    "description": "Too Many Requests: retry after 1",
                    "parameters": {"retry_after": 1},
                }
                return 429, json.dumps(body).encode()
            code = int(fault)
            body = {"ok": False, "error_code": code, "description": "Bad Gateway"}
            return code, json.dumps(body).encode()
        return await super().do_request(url, method, request_data, **kw)


@pytest.mark.parametrize(
    "faults", [["502"], ["timeout"], ["429", "429"], ["500", "timeout", "429"]]
)
async def test_a_reply_survives_transient_failures(posting_db: Path, faults: list[str]) -> None:
    fake = FakeTelegram()
    request = Hiccups(fake, {"sendMessage": list(faults)})
    app = build_application(TOKEN, posting_db, request=request)  # with the rate limiter
    async with running(app):
        bot = OfflineBot(app, fake)
        started = time.monotonic()
        await bot.feed("message", fake.message(f"/q {QUERY}"))
    (sent,) = fake.sent  # exactly one message, and it is the card
    assert "¶ 10 of 32" in sent["text"]
    assert time.monotonic() - started < 3 + 1.2 * faults.count("429")


async def test_a_bad_request_is_not_retried(posting_db: Path) -> None:
    fake = FakeTelegram()
    request = Hiccups(fake, {"answerCallbackQuery": ["400", "400", "400", "400"]})
    app = build_application(TOKEN, posting_db, request=request)
    async with running(app):
        bot = OfflineBot(app, fake)
        await bot.feed(
            "callback_query", fake.callback_query("1:ffffff:x", message=fake.message("x"))
        )
    # the handler's answer and the error handler's: one try each, no retries
    assert request.script["answerCallbackQuery"] == ["400", "400"]


async def test_the_loop_monitor_sees_a_blocked_loop(caplog: pytest.LogCaptureFixture) -> None:
    monitor = LoopMonitor(tick=0.01)
    with caplog.at_level(logging.INFO, logger="bot.telegram.loop_monitor"):
        monitor.start()
        await asyncio.sleep(0.05)
        time.sleep(0.3)  # a synchronous call on the event loop
        await asyncio.sleep(0.05)
        await monitor.stop()
    assert 0.25 <= monitor.longest < 1.0
    assert "event loop: longest stall" in caplog.text
