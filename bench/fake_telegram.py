"""The tests' fake Bot API (``tests/fake_bot_api.py``), served with injected faults.

``bench/load.py`` runs the real ``verbatim run`` against this server on 127.0.0.1.  The
state machine is the tests' :class:`FakeTelegram` (imported from ``tests/`` beside this
package: the benchmark runs from a clone, like the tests); this module adds what a load
run needs and the test server does not have:

- faults on a share of the bot's calls, drawn with a seeded generator: 429 with
  ``parameters.retry_after`` (as Telegram sends it), 5xx, and timeouts (the request is
  held past the bot's read timeout and never reaches the state machine, so a retry cannot
  make a second message); ``getUpdates`` gets 429s and 5xx but no timeouts (a held poll
  is only a slow one);
- a record of every answer the bot gave (``sendMessage``, ``answerInlineQuery``,
  ``answerCallbackQuery``) with the time it arrived, for end-to-end latencies.
"""

from __future__ import annotations

import importlib
import json
import random
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

TESTS = Path(__file__).resolve().parents[1] / "tests"
ANSWERS = frozenset({"sendMessage", "answerInlineQuery", "answerCallbackQuery"})
TIMEOUT_HOLD = 6.0  # seconds a "timed out" request is held (the bot's read timeout is 5)


def fake_bot_api() -> Any:
    """The tests' ``fake_bot_api`` module (``tests/`` must be beside ``bench/``)."""
    if not (TESTS / "fake_bot_api.py").is_file():
        raise SystemExit(f"bench/load.py needs the tests' fake Bot API: {TESTS} not found")
    if str(TESTS) not in sys.path:
        sys.path.insert(0, str(TESTS))
    return importlib.import_module("fake_bot_api")


@dataclass
class Answer:
    """One answer the bot sent, as the fake received it."""

    at: float
    method: str
    params: dict[str, Any]


@dataclass
class FaultPlan:
    """What share of calls fail, and how (shares of ``rate``: 429, 5xx, timeout)."""

    rate: float = 0.0
    seed: int = 11
    mix: tuple[float, float, float] = (0.4, 0.4, 0.2)
    enabled: bool = False  # switched on once the bot has started
    counts: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)
        self._lock = threading.Lock()

    def draw(self, method: str) -> str | None:
        """The fault for one call, or ``None``."""
        with self._lock:
            if not self.enabled or self._random.random() >= self.rate:
                return None
            roll = self._random.random()
            fault = "429" if roll < self.mix[0] else "5xx"
            if roll >= self.mix[0] + self.mix[1] and method != "getUpdates":
                fault = "timeout"
            self.counts[fault] = self.counts.get(fault, 0) + 1
            return fault


class FaultyBotApi:
    """A :class:`FakeTelegram` behind fault injection, recording the bot's answers."""

    def __init__(self, faults: FaultPlan) -> None:
        self.module = fake_bot_api()
        self.fake: Any = self.module.FakeTelegram()
        self.token: str = self.module.TOKEN
        self.faults = faults
        self.answers: list[Answer] = []
        self.cond = threading.Condition()
        self.calls = 0

    @staticmethod
    def bot_username() -> str:
        """The fake bot's username (cards carry it in their permalink button)."""
        return str(fake_bot_api().BOT_USERNAME)

    def handle(self, token: str, method: str, params: dict[str, Any]) -> tuple[int, Any]:
        """``(status, JSON body)`` for one call; may sleep (a timeout)."""
        fault = self.faults.draw(method)
        if fault == "timeout":
            time.sleep(TIMEOUT_HOLD)
            return 504, {"ok": False, "error_code": 504, "description": "Gateway Timeout"}
        if fault == "429":
            return 429, {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests: retry after 1",
                "parameters": {"retry_after": 1},
            }
        if fault == "5xx":
            return 502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}
        try:
            result = self.fake.handle(token, method, params)
        except self.module.ApiError as exc:
            return exc.code, {"ok": False, "error_code": exc.code, "description": exc.description}
        if method in ANSWERS:
            with self.cond:
                self.answers.append(Answer(time.monotonic(), method, params))
                self.cond.notify_all()
        return 200, {"ok": True, "result": result}

    def wait_answer(self, match: Any, since: int, timeout: float) -> tuple[Answer | None, int]:
        """The first answer after index ``since`` for which ``match(answer)`` holds."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for i in range(since, len(self.answers)):
                    if match(self.answers[i]):
                        return self.answers[i], i
                left = deadline - time.monotonic()
                if left <= 0:
                    return None, len(self.answers)
                self.cond.wait(left)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode()
        if self.headers.get("Content-Type", "").startswith("application/json"):
            params: dict[str, Any] = json.loads(body or "{}")
        else:
            raw = dict(parse_qsl(body, keep_blank_values=True))
            params = self.server.api.module.decode_params(raw)
        parts = self.path.rstrip("/").split("/")
        token = parts[-2][3:] if len(parts) >= 2 and parts[-2].startswith("bot") else ""
        status, payload = self.server.api.handle(token, parts[-1], params)
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            self.wfile.write(data)
        except OSError:  # the bot gave up waiting (a timeout)
            self.close_connection = True

    do_GET = do_POST

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    api: FaultyBotApi


class FaultyServer:
    """Serve a :class:`FaultyBotApi` on 127.0.0.1 (a free port); a context manager."""

    def __init__(self, api: FaultyBotApi) -> None:
        self.api = api
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.api = api
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        """The value for ``--base-url``."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/bot"

    def __enter__(self) -> FaultyServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
