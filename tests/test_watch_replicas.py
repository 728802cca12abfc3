"""/watch on two replicas over one shared state — PostgreSQL (tests/pg.py; skipped, saying
why, without it) or the SQLite file itself (two connections to it) — and one corpus file:
a watch made on one replica is listed and removed on the other; a new document stored
in the corpus alerts once however the replicas' checks race; a replica whose check hangs
or dies mid-check holds its watch only until its claim's lease ends, and the other sends
what is left, nothing twice.

Each replica is a whole Application (``build_application`` + ``running``) answered by one
shared :class:`FakeTelegram`; the watch job is run by calling its callback, as the job
queue would.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest
from fake_bot_api import TOKEN, ApiError, FakeTelegram, OfflineBot, RecordingRequest
from watch_docs import WATCHED, brigade_report, orchard

from bot.core.watching import Alert, AlertSender, MoreAlerts, WatchService
from bot.telegram import jobs
from bot.telegram.app import AnyApplication, build_application, running
from bot.telegram.bot_data import bot_data_of
from store import content_hash, open_database
from store.models import ParsedDocument
from store.state import WatchState

USER = 111
BELL = "🔔 New in "


class Replicas:
    """Two running replicas, ``a`` and ``b``, the fake Telegram both talk to and the
    corpus file they share."""

    def __init__(
        self, fake: FakeTelegram, a: AnyApplication, b: AnyApplication, corpus: Path
    ) -> None:
        self.fake, self.a, self.b, self.corpus = fake, a, b, corpus

    async def reply(self, app: AnyApplication, text: str) -> str:
        calls = await OfflineBot(app, self.fake).feed("message", self.fake.message(text))
        (sent,) = [c for c in calls if c.method == "sendMessage"]
        return str(sent.params["text"])

    async def check(self, app: AnyApplication) -> None:
        """One run of ``app``'s watch job, as its job queue would run it."""
        assert app.job_queue is not None
        (job,) = app.job_queue.get_jobs_by_name(jobs.WATCH_JOB)
        await jobs.check_watches(app.context_types.context.from_job(job, app))

    async def store(self, *docs: ParsedDocument) -> None:
        """Store documents in the shared corpus file as another process's ingest does."""
        async with open_database(self.corpus) as db:
            await db.insert_documents([(d, content_hash(d.paragraphs)) for d in docs])
            await db.after_bulk_load()

    def alerts(self) -> list[str]:
        """The first lines of every alert sent so far."""
        return [
            str(c.params["text"]).split("\n")[0]
            for c in self.fake.calls
            if c.method == "sendMessage" and str(c.params["text"]).startswith(BELL)
        ]


def watching(app: AnyApplication) -> WatchService:
    return bot_data_of(app.bot_data).watching


@pytest.fixture
async def replicas(posting_db: Path, state_url: str | None) -> AsyncIterator[Replicas]:
    fake = FakeTelegram()
    fake.chat(USER)

    def replica() -> AnyApplication:
        return build_application(
            TOKEN,
            posting_db,
            request=RecordingRequest(fake),
            rate_limit=False,
            state_url=state_url,
        )

    async with AsyncExitStack() as stack:
        a = await stack.enter_async_context(running(replica()))
        b = await stack.enter_async_context(running(replica()))
        yield Replicas(fake, a, b, posting_db)


async def test_a_watch_made_on_one_replica_is_listed_and_removed_on_the_other(
    replicas: Replicas,
) -> None:
    a, b = replicas.a, replicas.b
    assert (await replicas.reply(a, f"/watch {WATCHED}")).startswith("Watching")
    listed = await replicas.reply(b, "/watch list")
    assert listed.splitlines() == ["<b>Your watches</b>", f"1. “<i>{WATCHED}</i>” → here"]
    assert (await replicas.reply(b, f"/watch {WATCHED}")).startswith("You already watch")
    assert (await replicas.reply(b, "/watch remove 1")).startswith("Stopped watching")
    assert (await replicas.reply(a, "/watch list")).startswith("No watches yet")


async def test_racing_checks_send_a_new_documents_alert_once(replicas: Replicas) -> None:
    a, b = replicas.a, replicas.b
    await replicas.reply(a, f"/watch {WATCHED}")
    await asyncio.gather(replicas.check(a), replicas.check(b))
    assert replicas.alerts() == []  # nothing new yet
    await replicas.store(orchard())
    await asyncio.gather(replicas.check(a), replicas.check(b))
    assert replicas.alerts() == [f"{BELL}<b>Orchard Address</b>: your watch “<i>{WATCHED}</i>”"]
    await replicas.store(
        orchard("Second Orchard Address", year=2022, paragraphs=[WATCHED + " again"])
    )
    await asyncio.gather(replicas.check(b), replicas.check(a))
    await asyncio.gather(replicas.check(a), replicas.check(b))
    assert len(replicas.alerts()) == 2 and "Second Orchard Address" in replicas.alerts()[1]
    (watch,) = await watching(b).watches_of(USER)
    assert watch.seen_paragraph_id == 36 and watch.last_alert_at is not None


class HeldSender:
    """An :class:`AlertSender` that waits for ``go`` before each alert (a replica slow to
    send), saying when it started waiting."""

    def __init__(self, inner: AlertSender) -> None:
        self.inner = inner
        self.waiting = asyncio.Event()
        self.go = asyncio.Event()

    async def deliver(self, alert: Alert | MoreAlerts) -> int:
        self.waiting.set()
        await self.go.wait()
        return await self.inner.deliver(alert)


async def test_a_replica_never_checks_a_watch_another_is_checking(replicas: Replicas) -> None:
    a, b = replicas.a, replicas.b
    await replicas.reply(a, f"/watch {WATCHED}")
    await replicas.store(orchard())
    slow = HeldSender(watching(a).sender)
    watching(a).sender = slow
    a_checks = asyncio.create_task(replicas.check(a))
    await asyncio.wait_for(slow.waiting.wait(), 30)  # a holds the watch, about to send
    report = await watching(b).check()  # b's whole check meanwhile
    assert (report.searched, report.alerts, report.held) == (1, 0, 1)
    slow.go.set()
    await a_checks
    assert len(replicas.alerts()) == 1
    await asyncio.gather(replicas.check(a), replicas.check(b))
    assert len(replicas.alerts()) == 1


class ClaimsLate:
    """A replica's :class:`WatchState` that lets ``first`` happen between its look at a
    watch and its claim on it (another replica's whole check, say)."""

    def __init__(self, inner: WatchState, first: Any) -> None:
        self.inner, self.first = inner, first

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def claim_watch(self, watch_id: int, up_to: int, lease_seconds: float) -> Any:
        first, self.first = self.first, None
        if first is not None:
            await first()
        return await self.inner.claim_watch(watch_id, up_to, lease_seconds)


async def test_what_another_replica_sent_meanwhile_is_not_sent_again(replicas: Replicas) -> None:
    a, b, fake = replicas.a, replicas.b, replicas.fake
    await replicas.reply(a, f"/watch {WATCHED}")
    await replicas.store(brigade_report(1), brigade_report(2))
    answer = fake.handle
    before = len(fake.sent)

    def second_alert_refused(token: str, method: str, params: dict[str, Any]) -> Any:
        if method == "sendMessage" and len(fake.sent) == before + 1:
            raise ApiError(429, "Too Many Requests: retry after 1")
        return answer(token, method, params)

    async def a_sends_one_of_two() -> None:  # a's check, cut short after one alert
        fake.handle = second_alert_refused  # type: ignore[method-assign]
        await replicas.check(a)
        fake.handle = answer  # type: ignore[method-assign]

    watching(b).store = ClaimsLate(watching(b).store, a_sends_one_of_two)
    report = await watching(b).check()  # b looked (two to send), then a sent one
    assert (report.alerts, report.pending) == (1, 0)  # b sent only the other one
    headers = sorted(m["text"].split("\n")[0] for m in fake.sent[before:])
    assert headers == [f"{BELL}Brigade Report {n}: your watch “{WATCHED}”" for n in (1, 2)]
    await asyncio.gather(replicas.check(a), replicas.check(b))
    assert len(fake.sent) == before + 2


class StallingWatches:
    """A replica's :class:`WatchState` that stalls after recording its first alert until
    ``wake`` (a replica that hangs mid-check); a check that wakes finds what the others
    did meanwhile."""

    def __init__(self, inner: WatchState) -> None:
        self.inner = inner
        self.stalled = asyncio.Event()
        self.wake = asyncio.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def record_sent(self, watch_id: int, paragraph_ids: Sequence[int]) -> None:
        await self.inner.record_sent(watch_id, paragraph_ids)
        if not self.stalled.is_set():
            self.stalled.set()
            await self.wake.wait()


async def test_a_replica_that_hangs_mid_check_is_taken_over_once_its_lease_ends(
    replicas: Replicas,
) -> None:
    a, b = replicas.a, replicas.b
    await replicas.reply(a, f"/watch {WATCHED}")
    await replicas.store(brigade_report(1), brigade_report(2))
    lease = 0.5
    stalling = StallingWatches(watching(a).store)
    watching(a).store = stalling
    watching(a).claim_lease_seconds = lease
    a_checks = asyncio.create_task(replicas.check(a))
    await asyncio.wait_for(stalling.stalled.wait(), 30)  # one alert sent, then a hangs
    assert len(replicas.alerts()) == 1
    held = await watching(b).check()
    assert (held.alerts, held.held) == (0, 1)  # a's claim is live: b leaves the watch alone
    await asyncio.sleep(lease + 0.1)  # a's lease runs out
    taken_over = await watching(b).check()
    assert (taken_over.searched, taken_over.alerts) == (1, 1)  # only what a had not sent
    stalling.wake.set()  # a wakes: its claim is gone, so it sends nothing more
    await a_checks
    alerts = replicas.alerts()
    assert sorted(alerts) == [
        f"{BELL}<b>Brigade Report {n}</b>: your watch “<i>{WATCHED}</i>”" for n in (1, 2)
    ], alerts
    await asyncio.gather(replicas.check(a), replicas.check(b))
    assert len(replicas.alerts()) == 2
    (watch,) = await watching(b).watches_of(USER)
    assert watch.seen_paragraph_id == 32 + 2 * len(brigade_report(1).paragraphs)


async def test_a_replica_that_died_holding_a_claim_stops_nothing_for_long(
    replicas: Replicas,
) -> None:
    a, b = replicas.a, replicas.b
    await replicas.reply(a, f"/watch {WATCHED}")
    await replicas.store(orchard())
    (watch,) = await watching(a).watches_of(USER)
    claim = await watching(a).store.claim_watch(watch.id, 35, 0.2)  # then a dies
    assert claim is not None
    await asyncio.sleep(0.3)
    await replicas.check(b)
    assert replicas.alerts() == [f"{BELL}<b>Orchard Address</b>: your watch “<i>{WATCHED}</i>”"]
