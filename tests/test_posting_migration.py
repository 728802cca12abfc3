"""A basic group that became a supergroup (Telegram's ChatMigrated, ``migrate_to_chat_id``):
links, /post and schedules follow it to its new id instead of failing or stopping."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from conftest import next_day
from fake_bot_api import BOT_ID, TOKEN, ApiCall, FakeTelegram, OfflineBot, decode_params
from fake_bot_api import RecordingRequest as Recording
from telegram.request import RequestData

from bot.telegram import jobs as schedule
from bot.telegram.app import build_application, running
from bot.telegram.bot_data import bot_data_of

USER = 111
OLD = -4001  # the basic group
NEW = -1004001  # the supergroup it became
TYPO_QUERY = "servent the peple with the heart of a mothr"


class MigratingRequest(Recording):
    """Answers calls naming a migrated group's old id the way Telegram does: 400 with
    ``parameters.migrate_to_chat_id``."""

    def __init__(self, fake: FakeTelegram) -> None:
        super().__init__(fake)
        self.moved: dict[int, int] = {}

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        params = decode_params(request_data.json_parameters) if request_data else {}
        chat_id = params.get("chat_id")
        if isinstance(chat_id, int) and chat_id in self.moved:
            self.fake.calls.append(ApiCall(url.rsplit("/", 1)[-1], params))
            body = {
                "ok": False,
                "error_code": 400,
                "description": "Bad Request: group chat was upgraded to a supergroup chat",
                "parameters": {"migrate_to_chat_id": self.moved[chat_id]},
            }
            return 400, json.dumps(body).encode()
        return await super().do_request(
            url, method, request_data, read_timeout, write_timeout, connect_timeout, pool_timeout
        )


class Bot(OfflineBot):
    request: MigratingRequest

    async def reply(self, text: str) -> str:
        calls = await self.feed("message", self.fake.message(text))
        (sent,) = [c for c in calls if c.method == "sendMessage"]
        return str(sent.params["text"])

    def migrate(self) -> None:
        self.fake.add_chat(NEW, "supergroup", title="Readers")
        self.fake.set_member(NEW, BOT_ID, "member")
        self.fake.set_member(NEW, USER, "creator")
        self.request.moved[OLD] = NEW


@pytest.fixture
async def bot(posting_db: Path) -> AsyncIterator[Bot]:
    fake = FakeTelegram()
    fake.chat(USER)
    fake.add_chat(OLD, "group", title="Readers")
    fake.set_member(OLD, BOT_ID, "member")
    fake.set_member(OLD, USER, "creator")
    request = MigratingRequest(fake)
    app = build_application(TOKEN, posting_db, request=request, rate_limit=False)
    async with running(app):
        made = Bot(app, fake)
        made.request = request
        yield made


def sent_to(calls: list[ApiCall]) -> list[int]:
    return [c.params["chat_id"] for c in calls if c.method == "sendMessage"]


async def test_a_post_follows_the_group_to_its_supergroup_and_moves_the_link(bot: Bot) -> None:
    assert "Linked Readers" in await bot.reply(f"/channel add {OLD}")
    bot.migrate()
    calls = await bot.feed("message", bot.fake.message(f"/post 1 {TYPO_QUERY}"))
    assert sent_to(calls) == [OLD, NEW, USER]  # refused at the old id, posted at the new
    assert "¶ 10 of 32" in calls[-2].params["text"] and "Posted ¶ 10" in calls[-1].params["text"]
    assert "1. Readers · supergroup" in await bot.reply("/channel list")
    again = await bot.feed("message", bot.fake.message(f"/post 1 {TYPO_QUERY}"))
    assert sent_to(again) == [NEW, USER] and again[0].params["chat_id"] == NEW


async def test_linking_by_the_old_id_links_the_supergroup(bot: Bot) -> None:
    bot.migrate()
    assert "Linked Readers" in await bot.reply(f"/channel add {OLD}")
    assert "1. Readers · supergroup" in await bot.reply("/channel list")


async def test_a_schedule_follows_the_group_and_never_repeats_a_paragraph(bot: Bot) -> None:
    await bot.reply(f"/channel add {OLD}")
    assert "Schedule #1" in await bot.reply("/schedule 1 daily 08:00")
    posting = bot_data_of(bot.app.bot_data).posting
    (job,) = bot.app.job_queue.get_jobs_by_name(schedule.job_name(1))
    context = bot.app.context_types.context.from_job(job, bot.app)
    before = len(bot.fake.calls)
    next_day(posting)  # a day's run is posted once: these are two days' runs
    await schedule.post_scheduled(context)
    bot.migrate()
    next_day(posting)
    await schedule.post_scheduled(context)
    state = await posting.store.get_schedule(1)
    assert state is not None and state.enabled and state.last_error is None
    assert (state.chat_id, state.chat_type) == (NEW, "supergroup")
    posts = [c.params for c in bot.fake.calls[before:] if c.method == "sendMessage"]
    assert [p["chat_id"] for p in posts] == [OLD, OLD, NEW]
    first, second = (paragraph(p) for p in (posts[0], posts[2]))
    assert await posting.store.posted_among(NEW, [first, second]) == {first, second}
    assert [t.chat_id for t in await posting.store.list_targets(USER)] == [NEW]


def paragraph(post: dict[str, Any]) -> int:
    url = post["reply_markup"]["inline_keyboard"][0][0]["url"]
    return int(url.rsplit("p_", 1)[1])
