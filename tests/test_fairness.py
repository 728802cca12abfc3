"""Each user a fair share (bot/telegram/fairness.py) and clean text at the boundary.

The Application runs with its real update processor: updates go through
``app.update_queue`` as they do from polling or the webhook (``process_update`` called
directly would bypass the processor), and the Bot API is the recording fake.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

import pytest
from fake_bot_api import TOKEN, ApiCall, FakeTelegram, RecordingRequest
from telegram import Update

from bot.telegram.app import AnyApplication, build_application, running
from bot.telegram.bot_data import bot_data_of
from bot.telegram.fairness import FairnessLimits, FairUpdateProcessor, TokenBucket
from bot.telegram.render import chat as render

QUERY = "servent the peple with the heart of a mothr"  # ¶ 10 of the sample, misspelt
SEARCH_SECONDS = 0.05  # each search is held this long (so "one search" is measurable)
NO_RATE_LIMIT = FairnessLimits(per_minute=0, max_waiting=100)


async def make_app(db: Path, limits: FairnessLimits | None = None) -> tuple[Any, FakeTelegram]:
    fake = FakeTelegram()
    app = build_application(
        TOKEN, db, request=RecordingRequest(fake), rate_limit=False, limits=limits
    )
    return app, fake


@pytest.fixture
async def app_fake(
    posting_db: Path, request: pytest.FixtureRequest
) -> AsyncIterator[tuple[AnyApplication, FakeTelegram]]:
    limits = getattr(request, "param", None)
    app, fake = await make_app(posting_db, limits)
    async with running(app):
        real_search = bot_data_of(app.bot_data).service.search

        async def held_search(text: str) -> Any:
            await asyncio.sleep(SEARCH_SECONDS)
            return await real_search(text)

        bot_data_of(app.bot_data).service.search = held_search  # type: ignore[method-assign]
        await app.start()
        try:
            yield app, fake
        finally:
            await app.stop()


async def deliver(
    app: AnyApplication, fake: FakeTelegram, updates: Iterable[dict[str, Any]]
) -> None:
    """Queue updates as polling would, and wait until every one has been processed."""
    for data in updates:
        await app.update_queue.put(Update.de_json(data, app.bot))
    await asyncio.wait_for(app.update_queue.join(), timeout=30)


def message(fake: FakeTelegram, text: str, user: int, **kw: Any) -> dict[str, Any]:
    return fake.update("message", fake.message(text, chat_id=user, user_id=user, **kw))


def replies_to(calls: list[ApiCall], chat_id: int) -> list[str]:
    return [
        c.params["text"]
        for c in calls
        if c.method == "sendMessage" and c.params["chat_id"] == chat_id
    ]


# ---------------------------------------------------------------------- the token bucket


def test_token_bucket_refills_up_to_its_capacity() -> None:
    bucket = TokenBucket(rate=1.0, capacity=3, now=0.0)
    assert [bucket.take(1, 0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take(1, 0.0) == pytest.approx(1.0)  # seconds until one token is back
    assert bucket.take(1, 0.5) == pytest.approx(0.5)
    assert bucket.take(1, 1.0) == 0.0
    assert bucket.take(0.25, 1.0) == pytest.approx(0.25)
    assert bucket.full(100.0) and bucket.tokens == 3  # never more than the capacity
    assert bucket.take(1, 50.0) == 0.0  # a clock that goes back changes nothing


def test_limits_are_checked() -> None:
    with pytest.raises(ValueError):
        FairUpdateProcessor(FairnessLimits(max_concurrent=0))


# ---------------------------------------------------------------------- fairness


@pytest.mark.parametrize("app_fake", [NO_RATE_LIMIT, None], indirect=True)
async def test_one_users_flood_does_not_delay_another_user_beyond_one_search(
    app_fake: tuple[AnyApplication, FakeTelegram],
) -> None:
    app, fake = app_fake
    flood = [message(fake, f"/q {QUERY}", user=1) for _ in range(50)]
    await deliver(app, fake, [*flood, message(fake, f"/q {QUERY}", user=2)])
    # when user 2's answer went out, at most the search user 1 had running had finished
    # (before: all 50 ran side by side on the three search connections, user 2's last)
    cards_ahead = [t for t in replies_to(fake.calls[: _call_index(fake, 2)], 1) if "¶" in t]
    assert len(cards_ahead) <= 1, len(cards_ahead)
    assert "¶ 10 of 32" in replies_to(fake.calls, 2)[0]


def _call_index(fake: FakeTelegram, chat_id: int) -> int:
    return next(
        i
        for i, c in enumerate(fake.calls)
        if c.method == "sendMessage" and c.params["chat_id"] == chat_id
    )


@pytest.mark.parametrize("app_fake", [NO_RATE_LIMIT], indirect=True)
async def test_a_users_updates_are_answered_in_order(
    app_fake: tuple[AnyApplication, FakeTelegram],
) -> None:
    app, fake = app_fake
    texts = [f"/q {QUERY}", "/help", "/q heart of a mother", "/stats", "/sources"]
    await deliver(app, fake, [message(fake, t, user=5) for t in texts])
    replies = replies_to(fake.calls, 5)
    assert len(replies) == 5
    # a search is held 50 ms; /help, /stats and /sources are quick: before, they overtook it
    assert "¶ 10 of 32" in replies[0] and "/q" in replies[1] and "¶" in replies[2]
    assert "Sources" in replies[4]


@pytest.mark.parametrize("app_fake", [FairnessLimits(per_minute=1, burst=8)], indirect=True)
async def test_an_abusive_user_is_told_to_slow_down(
    app_fake: tuple[AnyApplication, FakeTelegram],
) -> None:
    app, fake = app_fake
    await deliver(app, fake, [message(fake, f"/q {QUERY}", user=7) for _ in range(20)])
    replies = replies_to(fake.calls, 7)
    cards = [t for t in replies if "¶ 10 of 32" in t]
    slow = [t for t in replies if t.startswith("Slow down:")]
    assert len(cards) == 8 and len(slow) == 1, replies  # one notice per spell, not 12
    assert len(replies) == 9

    # a button press over the limit: the spinner stops with the notice
    before = len(fake.calls)
    card = fake.sent[-1] if fake.sent[-1]["chat"]["id"] == 7 else fake.sent[0]
    press = fake.callback_query("1:ffffff:x", message=card, user_id=7)
    await deliver(app, fake, [fake.update("callback_query", press)])
    (answer,) = fake.calls[before:]
    assert answer.method == "answerCallbackQuery" and answer.params["text"].startswith("Slow down:")

    # an inline query over the limit: no results, a button that says so
    before = len(fake.calls)
    inline = {"id": "99", "from": fake.user(7), "query": "heart of a mother", "offset": ""}
    await deliver(app, fake, [fake.update("inline_query", inline)])
    (answer,) = fake.calls[before:]
    assert answer.method == "answerInlineQuery" and answer.params["results"] == []
    assert answer.params["button"]["text"].startswith("Slow down:")

    # everyone else is served as usual
    await deliver(app, fake, [message(fake, f"/q {QUERY}", user=8)])
    assert "¶ 10 of 32" in replies_to(fake.calls, 8)[0]


@pytest.mark.parametrize("app_fake", [FairnessLimits(per_minute=1, burst=2)], indirect=True)
async def test_group_chatter_is_free_and_an_over_limit_group_command_is_dropped_quietly(
    app_fake: tuple[AnyApplication, FakeTelegram],
) -> None:
    app, fake = app_fake
    group = -100500
    chatter = [
        fake.update(
            "message", fake.message(f"hello {n}", chat_id=group, chat_type="supergroup", user_id=9)
        )
        for n in range(10)
    ]
    await deliver(app, fake, chatter)
    assert fake.calls == [c for c in fake.calls if c.method != "sendMessage"]  # ignored, free
    commands = [
        fake.update(
            "message", fake.message(f"/q {QUERY}", chat_id=group, chat_type="supergroup", user_id=9)
        )
        for _ in range(4)
    ]
    await deliver(app, fake, commands)
    assert len(replies_to(fake.calls, group)) == 2  # the burst; no "Slow down" in a group


@pytest.mark.parametrize("app_fake", [NO_RATE_LIMIT], indirect=True)
async def test_a_newer_inline_query_supersedes_the_older_ones(
    app_fake: tuple[AnyApplication, FakeTelegram],
) -> None:
    app, fake = app_fake
    typed = ["h", "he", "heart", "heart of", "heart of a mother"]
    updates = [
        fake.update("inline_query", {"id": str(n), "from": fake.user(3), "query": q, "offset": ""})
        for n, q in enumerate(typed)
    ]
    await deliver(app, fake, updates)
    answers = fake.calls_of("answerInlineQuery")
    # the first was running when the others came; the last one is always answered
    assert answers[-1].params["inline_query_id"] == "4"
    assert len(answers) <= 2


async def test_updates_without_a_user_bypass_the_per_user_part(posting_db: Path) -> None:
    app, fake = await make_app(posting_db)
    async with running(app):
        await app.start()
        try:
            channel = fake.add_chat(-1009, "channel", title="News")
            post = {
                "message_id": 5,
                "date": 0,
                "chat": channel,
                "sender_chat": channel,
                "text": "hi",
            }
            await deliver(app, fake, [fake.update("channel_post", post) for _ in range(30)])
            processor = app.update_processor
            assert isinstance(processor, FairUpdateProcessor)
            assert processor.users == 0 and processor.refused == 0
        finally:
            await app.stop()


# ---------------------------------------------------------------------- clean text (#9)


@pytest.mark.parametrize("app_fake", [NO_RATE_LIMIT], indirect=True)
async def test_lone_surrogates_do_not_break_an_update(
    app_fake: tuple[AnyApplication, FakeTelegram],
) -> None:
    app, fake = app_fake
    inline = {"id": "1", "from": fake.user(12), "query": "heart \udc80 mother", "offset": "\ud800"}
    card = fake.message("x", chat_id=13, user_id=13)
    updates = [
        message(fake, "/q servent the peple with the heart\ud800 of a mothr", user=11),
        message(fake, "heart of a mother \udfff", user=14),
        fake.update("inline_query", inline),
        fake.update("callback_query", fake.callback_query("1:\udc00:x", message=card, user_id=13)),
    ]
    await deliver(app, fake, updates)
    for user in (11, 14):
        (reply,) = replies_to(fake.calls, user)
        assert reply != render.SOMETHING_WRONG.text and "¶ 10 of 32" in reply
    (answer,) = fake.calls_of("answerInlineQuery")
    assert answer.params["results"]
    (alert,) = fake.calls_of("answerCallbackQuery")
    assert "not valid" in alert.params["text"]


async def test_a_cancelled_wait_does_not_block_the_user() -> None:
    processor = FairUpdateProcessor(NO_RATE_LIMIT)
    user = {"id": 21, "is_bot": False, "first_name": "Ada"}
    chat = {"id": 21, "type": "private", "first_name": "Ada"}

    def update(n: int) -> Update:
        message = {"message_id": n, "date": 0, "chat": chat, "from": user, "text": "x"}
        return Update.de_json({"update_id": n, "message": message}, None)

    done: list[int] = []
    tasks: dict[int, asyncio.Task[None]] = {}
    pass_turn = processor._next_turn

    def pass_then_cancel(key: int, state: Any) -> None:
        pass_turn(key, state)  # the turn goes to update 2 ...
        if 2 in tasks and not tasks[2].done():
            tasks[2].cancel()  # ... which is cancelled (shutdown) before it resumes

    processor._next_turn = pass_then_cancel  # type: ignore[method-assign]

    async def work(n: int) -> None:
        await asyncio.sleep(0.01)
        done.append(n)

    for n in (1, 2):
        tasks[n] = asyncio.create_task(processor.process_update(update(n), work(n)))
    await asyncio.gather(*tasks.values(), return_exceptions=True)
    assert tasks[2].cancelled()
    await asyncio.wait_for(processor.process_update(update(3), work(3)), timeout=2)
    assert done == [1, 3] and processor.users == 0
