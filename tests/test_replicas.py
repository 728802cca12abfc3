"""Two replicas of the bot over one shared state — the SQLite file (two connections to
it) or PostgreSQL (tests/pg.py; skipped, saying why, without it): a schedule's daily run
is posted once however the replicas race, a run whose holder died is taken over once its
claim expires, and inline queries write nothing while the buttons of a chosen result work
on the other replica.

Each replica is a whole Application (``build_application`` + ``running``) answered by
one shared :class:`FakeTelegram`; jobs are run by calling their callbacks, as the job
queue would.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest
from fake_bot_api import BOT_ID, TOKEN, ApiCall, FakeTelegram, OfflineBot, RecordingRequest
from telegram.ext import JobQueue

from bot.core.schedule_runs import due_time
from bot.core.service import VerbatimService
from bot.core.views import CardPage
from bot.telegram import jobs
from bot.telegram.app import AnyApplication, build_application, running
from bot.telegram.bot_data import bot_data_of
from store.db.posting import PostSchedule
from store.state import QueryState

USER = 111
CHANNEL = -1001234567890
NAME = "verbatim_quotes"
MANY_HITS = "secretaries of primary party committees"  # 11 matching paragraphs in the sample


def queue(app: AnyApplication) -> JobQueue[Any]:
    assert app.job_queue is not None
    return app.job_queue


class Replicas:
    """Two running replicas, ``a`` and ``b``, and the fake Telegram both talk to."""

    def __init__(self, fake: FakeTelegram, a: AnyApplication, b: AnyApplication) -> None:
        self.fake, self.a, self.b = fake, a, b

    async def feed(self, app: AnyApplication, kind: str, payload: dict[str, Any]) -> list[ApiCall]:
        return await OfflineBot(app, self.fake).feed(kind, payload)

    async def run_job(self, app: AnyApplication, name: str) -> None:
        """Run the job called ``name`` of ``app`` now, as its job queue would."""
        (job,) = queue(app).get_jobs_by_name(name)
        context = app.context_types.context.from_job(job, app)
        await jobs.post_scheduled(context)

    def retry_jobs(self, app: AnyApplication) -> list[Any]:
        return list(queue(app).get_jobs_by_name(jobs.job_name(1) + jobs.RETRY_SUFFIX))

    def channel_posts(self, since: int) -> list[dict[str, Any]]:
        return [
            c.params
            for c in self.fake.calls[since:]
            if c.method == "sendMessage" and c.params["chat_id"] == CHANNEL
        ]


@pytest.fixture
async def replicas(posting_db: Path, state_url: str | None) -> AsyncIterator[Replicas]:
    """Replica a links the channel and makes schedule #1; replica b then starts (and
    restores it), both over the same database file and shared state."""
    fake = FakeTelegram()
    fake.chat(USER)
    fake.add_chat(CHANNEL, "channel", title="Quotes", username=NAME)
    fake.set_member(CHANNEL, BOT_ID, "administrator")
    fake.set_member(CHANNEL, USER, "creator")

    def replica() -> AnyApplication:
        request = RecordingRequest(fake)
        return build_application(
            TOKEN, posting_db, request=request, rate_limit=False, state_url=state_url
        )

    async with AsyncExitStack() as stack:
        a = await stack.enter_async_context(running(replica()))
        for command in (f"/channel add @{NAME}", f"/schedule @{NAME} daily 06:15"):
            await OfflineBot(a, fake).feed("message", fake.message(command))
        assert queue(a).get_jobs_by_name(jobs.job_name(1))
        b = await stack.enter_async_context(running(replica()))
        assert queue(b).get_jobs_by_name(jobs.job_name(1))  # restored from the state
        yield Replicas(fake, a, b)


async def stored(app: AnyApplication) -> PostSchedule:
    schedule = await bot_data_of(app.bot_data).posting.store.get_schedule(1)
    assert schedule is not None
    return schedule


async def test_replicas_racing_on_a_run_post_it_once(replicas: Replicas) -> None:
    a, b = replicas.a, replicas.b
    before = len(replicas.fake.calls)
    await asyncio.gather(
        replicas.run_job(a, jobs.job_name(1)), replicas.run_job(b, jobs.job_name(1))
    )
    assert len(replicas.channel_posts(before)) == 1
    # the replica that lost the race found the run done, or held: then it looks again
    # once the winner's claim would expire
    retries = [(app, job) for app in (a, b) for job in replicas.retry_jobs(app)]
    assert len(retries) <= 1
    for loser, retry in retries:
        wait = retry.job.trigger.run_date - dt.datetime.now(dt.UTC)
        assert dt.timedelta(seconds=200) < wait <= dt.timedelta(seconds=302)
        await replicas.run_job(loser, retry.name)  # the winner finished: nothing to take over
    await replicas.run_job(a, jobs.job_name(1))  # nor does the day's job run again
    assert len(replicas.channel_posts(before)) == 1
    schedule = await stored(b)
    assert schedule.enabled and schedule.last_posted_at and schedule.last_error is None


async def test_a_run_whose_holder_died_is_taken_over_once_its_claim_expires(
    replicas: Replicas,
) -> None:
    a, b = replicas.a, replicas.b
    posting_a = bot_data_of(a.bot_data).posting
    due = due_time((await stored(a)).minute_of_day, "UTC", dt.datetime.now(dt.UTC))
    lease = 0.5
    claim = await posting_a.store.claim_schedule_run(1, due, lease)  # then replica a dies
    assert claim.claimed
    before = len(replicas.fake.calls)
    await replicas.run_job(b, jobs.job_name(1))
    assert replicas.channel_posts(before) == []  # held: b does not post over a's claim
    (retry,) = replicas.retry_jobs(b)
    assert retry.job.trigger.run_date - dt.datetime.now(dt.UTC) <= dt.timedelta(seconds=lease + 1)
    await asyncio.sleep(lease + 0.1)  # the lease has run out: a did not finish
    await replicas.run_job(b, retry.name)  # what b's job queue does at that moment
    assert len(replicas.channel_posts(before)) == 1
    await replicas.run_job(b, jobs.job_name(1))
    assert len(replicas.channel_posts(before)) == 1  # that run is done
    assert (await stored(a)).last_posted_at is not None


class CountingQueries:
    """A :class:`~store.state.QueryState` that counts the writes passed through it."""

    def __init__(self, inner: QueryState) -> None:
        self.inner = inner
        self.writes: list[tuple[str, Sequence[Any]]] = []

    async def bot_epoch(self) -> str:
        return await self.inner.bot_epoch()

    async def query_key(self) -> bytes:
        return await self.inner.query_key()

    async def remember_query(self, text: str) -> int:
        self.writes.append(("remember_query", (text,)))
        return await self.inner.remember_query(text)

    async def store_query(self, query_id: int, text: str) -> bool:
        self.writes.append(("store_query", (query_id, text)))
        return await self.inner.store_query(query_id, text)

    async def get_query(self, query_id: int) -> str | None:
        return await self.inner.get_query(query_id)

    async def record_inline_choice(self, paragraph_id: int) -> bool:
        self.writes.append(("record_inline_choice", (paragraph_id,)))
        return await self.inner.record_inline_choice(paragraph_id)

    async def most_chosen(self, limit: int) -> list[int]:
        return await self.inner.most_chosen(limit)


def count_writes(app: AnyApplication) -> CountingQueries:
    """Put a counting state under ``app``'s search service."""
    data = bot_data_of(app.bot_data)
    service = data.service
    counting = CountingQueries(service.state)
    data.start(VerbatimService(service.db, service.searcher, service.epoch, counting), data.posting)
    return counting


def keys(markup: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["text"]: b for row in markup["inline_keyboard"] for b in row}


async def test_inline_queries_write_nothing_and_a_chosen_cards_buttons_work_elsewhere(
    replicas: Replicas,
) -> None:
    a, b, fake = replicas.a, replicas.b, replicas.fake
    counting = count_writes(a)
    answers = []
    for typed in range(4, len(MANY_HITS) + 1):  # one inline query per keystroke
        payload = {"id": f"iq{typed}", "from": fake.user(), "query": MANY_HITS[:typed]}
        calls = await replicas.feed(a, "inline_query", {**payload, "offset": ""})
        assert [c.method for c in calls] == ["answerInlineQuery"]
        answers.append(calls[0].params)
    assert counting.writes == []  # no write on the hot path
    best = answers[-1]["results"][0]
    chosen = {
        "result_id": best["id"],
        "from": fake.user(),
        "query": MANY_HITS,
        "inline_message_id": "im-1",
    }
    assert await replicas.feed(a, "chosen_inline_result", chosen) == []
    query_id = int(
        keys(best["reply_markup"])["🔎 Other matches"]["callback_data"].split(":")[3], 36
    )
    assert counting.writes == [
        ("record_inline_choice", (int(best["id"][1:]),)),
        ("store_query", (query_id, MANY_HITS)),
    ]
    # the press of its "other matches" reaches replica b, which never saw the query
    other = keys(best["reply_markup"])["🔎 Other matches"]["callback_data"]
    press = fake.callback_query(other, inline_message_id="im-1")
    calls = await replicas.feed(b, "callback_query", press)
    assert [c.method for c in calls] == ["editMessageText", "answerCallbackQuery"]
    assert calls[0].params["inline_message_id"] == "im-1"
    second = await bot_data_of(b.bot_data).service.search_page(MANY_HITS, offset=1, limit=1)
    assert isinstance(second, CardPage)
    assert f"¶ {second.cards[0].paragraph.position} of 32" in calls[0].params["text"]
    # a result never chosen (no inline feedback): its buttons work where it was answered,
    # which stores the query when the button needs it
    unchosen = answers[-2]  # one letter shorter
    data = keys(unchosen["results"][0]["reply_markup"])["🔎 Other matches"]["callback_data"]
    calls = await replicas.feed(
        a, "callback_query", fake.callback_query(data, inline_message_id="im-2")
    )
    assert [c.method for c in calls] == ["editMessageText", "answerCallbackQuery"]
    assert [name for name, _ in counting.writes[2:]] == ["store_query"]
