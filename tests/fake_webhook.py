"""Webhook delivery for the fake Bot API: what Telegram does after ``setWebhook``.

:class:`WebhookDelivery` takes the updates queued in a :class:`fake_bot_api.FakeTelegram`
(``fake.push``) once a webhook is set, and POSTs each as JSON to the webhook's path on a
test address (the bot's listener, or the proxy in front of several), with the
``X-Telegram-Bot-Api-Secret-Token`` header of ``setWebhook``.  As Telegram does:

- an update counts as delivered only when the answer is 2xx; any other answer, a refused
  or broken connection, or no answer within ``timeout`` is a failed delivery, tried again
  after a short back-off (doubling from ``backoff`` to ``max_backoff``) up to
  ``max_attempts`` times — an update is lost only if it is never acknowledged;
- one user's updates go one at a time, in order (the next is sent once the one before was
  acknowledged or given up); at most ``max_connections`` requests are open at once
  (``setWebhook``'s own value when it gave one, else this one: Telegram's default 40;
  1 delivers strictly one at a time, in order).

Every attempt is recorded (:attr:`WebhookDelivery.attempts`), with what came of it.
Polling tests are not affected: the fake hands out updates by ``getUpdates`` as before
unless a webhook is set and a delivery runs.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from fake_bot_api import FakeTelegram

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
TELEGRAM_MAX_CONNECTIONS = 40  # setWebhook's default


@dataclass(frozen=True, slots=True)
class Attempt:
    """One delivery attempt: the update, when, and the HTTP status or what failed."""

    update_id: int
    at: float
    status: int | None  # None: no HTTP answer (see ``error``)
    error: str = ""

    @property
    def ok(self) -> bool:
        """Acknowledged (2xx)."""
        return self.status is not None and 200 <= self.status < 300


def update_key(update: dict[str, Any]) -> int:
    """Whose update this is (the sender, else the chat), for per-user order; an update of
    no one gets a key of its own (minus its id)."""
    for kind, payload in update.items():
        if kind == "update_id" or not isinstance(payload, dict):
            continue
        sender = payload.get("from") or payload.get("user")
        if isinstance(sender, dict) and "id" in sender:
            return int(sender["id"])
        chat = payload.get("chat")
        if isinstance(chat, dict) and "id" in chat:
            return int(chat["id"])
    return -int(update["update_id"])


class WebhookDelivery:
    """Deliver a fake's queued updates to ``target`` (``http://127.0.0.1:PORT``) at the
    path of the webhook URL the bot set; a context manager (a thread and its workers)."""

    def __init__(
        self,
        fake: FakeTelegram,
        target: str,
        *,
        max_connections: int | None = None,
        timeout: float = 30.0,
        backoff: float = 0.05,
        max_backoff: float = 1.0,
        max_attempts: int = 100,
    ) -> None:
        self.fake = fake
        self.target = urlsplit(target)
        self.max_connections = max_connections
        self.timeout = timeout
        self.backoff, self.max_backoff = backoff, max_backoff
        self.max_attempts = max_attempts
        self.attempts: list[Attempt] = []
        self.acknowledged: dict[int, float] = {}  # update_id -> when
        self.lost: list[int] = []  # given up after max_attempts
        self._cond = threading.Condition()
        self._waiting: deque[dict[str, Any]] = deque()
        self._busy: set[int] = set()
        self._open = 0
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    # ------------------------------------------------------------------ running

    def __enter__(self) -> WebhookDelivery:
        for target in (self._take, self._dispatch):
            thread = threading.Thread(target=target, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        for thread in self._threads:
            thread.join(timeout=self.timeout + 5)

    def _take(self) -> None:
        """Move updates from the fake's queue to ours."""
        while not self._stop.is_set():
            taken = self.fake.take_updates(timeout=0.1)
            if taken:
                with self._cond:
                    self._waiting.extend(taken)
                    self._cond.notify_all()

    def _limit(self) -> int:
        webhook = self.fake.webhook or {}
        given = webhook.get("max_connections")
        if self.max_connections is not None:
            return self.max_connections
        return int(given) if given else TELEGRAM_MAX_CONNECTIONS

    def _dispatch(self) -> None:
        """Start a delivery for each waiting update whose user has none open, in order,
        while fewer than the limit are open."""
        while not self._stop.is_set():
            with self._cond:
                started = False
                blocked: set[int] = set()
                for update in list(self._waiting):
                    if self._open >= self._limit():
                        break
                    key = update_key(update)
                    if key in self._busy or key in blocked:
                        blocked.add(key)  # an earlier update of this user goes first
                        continue
                    self._waiting.remove(update)
                    self._busy.add(key)
                    self._open += 1
                    thread = threading.Thread(target=self._deliver, args=(update, key))
                    thread.daemon = True
                    thread.start()
                    started = True
                if not started:
                    self._cond.wait(0.1)

    def _deliver(self, update: dict[str, Any], key: int) -> None:
        delay = self.backoff
        try:
            for _ in range(self.max_attempts):
                if self._stop.is_set():
                    return
                attempt = self._post(update)
                with self._cond:
                    self.attempts.append(attempt)
                    if attempt.ok:
                        self.acknowledged[update["update_id"]] = attempt.at
                        self._cond.notify_all()
                        return
                time.sleep(delay)
                delay = min(delay * 2, self.max_backoff)
            with self._cond:
                self.lost.append(update["update_id"])
        finally:
            with self._cond:
                self._busy.discard(key)
                self._open -= 1
                self._cond.notify_all()

    def _post(self, update: dict[str, Any]) -> Attempt:
        webhook = self.fake.webhook or {}
        path = urlsplit(str(webhook.get("url", "/"))).path or "/"
        headers = {"Content-Type": "application/json"}
        if webhook.get("secret_token"):
            headers[SECRET_HEADER] = str(webhook["secret_token"])
        host, port = self.target.hostname or "127.0.0.1", self.target.port or 80
        conn = http.client.HTTPConnection(host, port, timeout=self.timeout)
        update_id = int(update["update_id"])
        try:
            conn.request("POST", path, body=json.dumps(update), headers=headers)
            response = conn.getresponse()
            response.read()
            return Attempt(update_id, time.monotonic(), response.status)
        except (OSError, http.client.HTTPException) as exc:
            return Attempt(update_id, time.monotonic(), None, type(exc).__name__)
        finally:
            conn.close()

    # ------------------------------------------------------------------ inspecting

    def failed_attempts(self, update_id: int | None = None) -> list[Attempt]:
        """The attempts that were not acknowledged (of one update, or all)."""
        with self._cond:
            return [
                a
                for a in self.attempts
                if not a.ok and (update_id is None or a.update_id == update_id)
            ]

    def wait_delivered(self, update_ids: list[int], timeout: float = 30.0) -> None:
        """Wait until each of ``update_ids`` was acknowledged or given up."""
        deadline = time.monotonic() + timeout
        wanted = set(update_ids)
        with self._cond:
            while not wanted <= set(self.acknowledged) | set(self.lost):
                left = deadline - time.monotonic()
                if left <= 0:
                    missing = sorted(wanted - set(self.acknowledged) - set(self.lost))
                    raise AssertionError(f"updates not delivered in {timeout} s: {missing}")
                self._cond.wait(left)
