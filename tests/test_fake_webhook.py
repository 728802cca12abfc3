"""The fake Bot API's webhook delivery (tests/fake_webhook.py) behaves as Telegram does:
updates go out after ``setWebhook`` with its secret, one user's in order, and a failed
delivery (refused connection, 5xx, no answer in time) is tried again until it is
acknowledged; only an update never acknowledged is lost."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cluster_harness import free_port
from fake_bot_api import TOKEN, FakeTelegram
from fake_webhook import SECRET_HEADER, WebhookDelivery

HOOK = "https://bot.example.org/telegram/hook"
SECRET = "webhook-secret"


@dataclass
class Received:
    """What the receiving end saw: (update_id, path, secret) per request, in order."""

    requests: list[tuple[int, str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ids(self) -> list[int]:
        with self.lock:
            return [r[0] for r in self.requests]


Script = Callable[[int, int], str]  # (update_id, how many times seen before) -> behaviour


@contextmanager
def receiver(script: Script, port: int = 0) -> Iterator[tuple[int, Received]]:
    """A webhook endpoint on 127.0.0.1 answering as ``script`` says: "ok" (200), "500",
    or "hang" (answer nothing for 2 s)."""
    seen = Received()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            update_id = int(body["update_id"])
            with seen.lock:
                before = sum(1 for r in seen.requests if r[0] == update_id)
                seen.requests.append((update_id, self.path, self.headers.get(SECRET_HEADER, "")))
            what = script(update_id, before)
            if what == "hang":
                time.sleep(2.0)
            self.send_response(500 if what == "500" else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server.server_address[1], seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def set_webhook(fake: FakeTelegram, **extra: Any) -> None:
    fake.handle(TOKEN, "setWebhook", {"url": HOOK, "secret_token": SECRET, **extra})


def push_messages(fake: FakeTelegram, users: list[int]) -> list[int]:
    return [
        fake.push("message", fake.message(f"m{n}", chat_id=u, user_id=u))
        for n, u in enumerate(users)
    ]


def test_updates_go_out_after_set_webhook_in_order_with_the_secret() -> None:
    fake = FakeTelegram()
    with receiver(lambda uid, n: "ok") as (port, seen):
        with WebhookDelivery(fake, f"http://127.0.0.1:{port}", max_connections=1) as delivery:
            ids = push_messages(fake, [1, 2, 1, 3, 2])
            time.sleep(0.3)
            assert seen.ids() == []  # no webhook yet: Telegram keeps them
            set_webhook(fake)
            delivery.wait_delivered(ids, timeout=10)
        assert seen.ids() == ids  # one connection: strictly in order
        assert {(path, secret) for _, path, secret in seen.requests} == {("/telegram/hook", SECRET)}
        assert not delivery.failed_attempts() and not delivery.lost
        assert fake.polls == []  # nothing was handed out by getUpdates


def test_a_failed_delivery_is_tried_again_until_it_is_acknowledged() -> None:
    fake = FakeTelegram()
    port = free_port()
    failing, hanging = 2, 3  # by update id: a 500, then no answer in time

    def script(update_id: int, before: int) -> str:
        if before == 0 and update_id == failing:
            return "500"
        if before == 0 and update_id == hanging:
            return "hang"
        return "ok"

    target = f"http://127.0.0.1:{port}"
    with WebhookDelivery(fake, target, timeout=0.5, backoff=0.05) as delivery:
        set_webhook(fake)
        first = push_messages(fake, [10])
        deadline = time.monotonic() + 10
        while len(delivery.failed_attempts(first[0])) < 2:  # nothing listens yet: refused,
            assert time.monotonic() < deadline  # and tried again
            time.sleep(0.02)
        with receiver(script, port) as (_, seen):
            later = push_messages(fake, [20, 30, 20])  # ids 2, 3, 4
            delivery.wait_delivered(first + later, timeout=15)
            ids = seen.ids()
    assert (failing, hanging) == (later[0], later[1])
    assert not delivery.lost and set(delivery.acknowledged) == set(first + later)
    assert {a.error for a in delivery.failed_attempts(first[0])} == {"ConnectionRefusedError"}
    assert [a.status for a in delivery.failed_attempts(failing)] == [500]
    assert [a.status for a in delivery.failed_attempts(hanging)] == [None]  # timed out
    assert ids.count(hanging) == 2  # a delivery that timed out is sent again (as Telegram)
    # user 20's second update went out only after the first was acknowledged
    assert ids.index(later[2]) > max(i for i, u in enumerate(ids) if u == failing)


def test_users_do_not_wait_for_each_other() -> None:
    fake = FakeTelegram()
    released = threading.Event()

    def script(update_id: int, before: int) -> str:
        if update_id == 1:
            released.wait(10)  # user 1's first update is held …
        return "ok"

    with (
        receiver(script) as (port, seen),
        WebhookDelivery(fake, f"http://127.0.0.1:{port}") as delivery,
    ):
        set_webhook(fake)
        ids = push_messages(fake, [1, 1, 2, 3])
        delivery.wait_delivered(ids[2:], timeout=10)  # … users 2 and 3 are not
        assert ids[1] not in seen.ids()  # nor is user 1's next one sent
        released.set()
        delivery.wait_delivered(ids, timeout=10)
    assert seen.ids().index(ids[1]) > seen.ids().index(ids[0])


def test_an_update_never_acknowledged_is_reported_lost() -> None:
    fake = FakeTelegram()
    with receiver(lambda uid, n: "500") as (port, seen):
        target = f"http://127.0.0.1:{port}"
        with WebhookDelivery(fake, target, max_attempts=3, backoff=0.01) as delivery:
            set_webhook(fake)
            ids = push_messages(fake, [5])
            delivery.wait_delivered(ids, timeout=10)
    assert delivery.lost == ids and not delivery.acknowledged
    assert seen.ids() == ids * 3
