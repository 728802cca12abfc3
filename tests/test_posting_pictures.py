"""Posting quote pictures offline: ``/post @name --picture words``, ``/post --picture`` in a
group, the ``picture`` option of ``/schedule`` (stored, and used by each run), and
filters in the words of /post and /schedule."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from fake_bot_api import BOT_ID, BOT_USERNAME, TOKEN, ApiCall, FakeTelegram
from fake_bot_api import RecordingRequest as Recording
from fake_bot_photos import PNG_SIGNATURE
from posting_bot import CHANNEL, NAME, USER, PostingBot

from bot.core.posting_args import PostingError, ScheduleSpec, parse_schedule, take_picture_flag
from bot.telegram.app import build_application, running
from bot.telegram.bot_data import bot_data_of
from bot.telegram.render import posting as post_render
from store.search.filters import FILTER_HELP

GROUP = -1009876543210
TYPO_QUERY = "servent the peple with the heart of a mothr"  # ¶ 10 of the sample, misspelt


@pytest.fixture
async def bot(posting_db: Path) -> AsyncIterator[PostingBot]:
    fake = FakeTelegram()
    fake.chat(USER)
    app = build_application(TOKEN, posting_db, request=Recording(fake), rate_limit=False)
    async with running(app):
        yield PostingBot(app, fake)


def photos_to(calls: list[ApiCall], chat_id: int) -> list[dict[str, Any]]:
    return [c.params for c in calls if c.method == "sendPhoto" and c.params["chat_id"] == chat_id]


def open_url(params: dict[str, Any]) -> str:
    [[button]] = params["reply_markup"]["inline_keyboard"]
    assert button["text"] == post_render.OPEN_BUTTON
    return str(button["url"])


async def test_post_picture_to_a_channel_then_by_file_id(bot: PostingBot) -> None:
    await bot.link_channel()
    calls = await bot.say(f"/post @{NAME} --picture {TYPO_QUERY}")
    [photo] = photos_to(calls, CHANNEL)
    assert isinstance(photo["photo"], bytes) and photo["photo"].startswith(PNG_SIGNATURE)
    assert photo["parse_mode"] == "HTML" and "¶ 10 of 32" in photo["caption"]
    assert photo["caption"].startswith("<b>General Secretary Kim Jong Un")
    assert re.fullmatch(rf"https://t\.me/{BOT_USERNAME}\?start=p_\d+", open_url(photo))
    assert "reply_parameters" not in photo and "message_thread_id" not in photo
    confirmation = [c.params["text"] for c in calls if c.method == "sendMessage"]
    assert len(confirmation) == 1 and " as a picture to " in confirmation[0]
    assert f"https://t.me/{NAME}/" in confirmation[0]  # the link to the post

    calls = await bot.say(f"/post @{NAME} —picture {TYPO_QUERY}")  # a phone's dash, same post
    [again] = photos_to(calls, CHANNEL)
    assert again["photo"] == bot.fake.sent[-2]["photo"][-1]["file_id"]
    assert len(bot.fake.photos.uploads) == 1  # the channel post's upload, re-used

    calls = await bot.say(f"/post @{NAME} {TYPO_QUERY}")  # without the flag: the text card
    assert photos_to(calls, CHANNEL) == [] and any(
        c.method == "sendMessage" and c.params["chat_id"] == CHANNEL for c in calls
    )


async def test_post_takes_filters_and_explains_a_bad_one(bot: PostingBot) -> None:
    await bot.link_channel()
    calls = await bot.say(f"/post @{NAME} --picture in:sample servants of the people")
    [photo] = photos_to(calls, CHANNEL)
    assert "¶ 21 of 32" in photo["caption"] and "Filters" not in photo["caption"]
    calls = await bot.say(f"/post @{NAME} servants of the people from:20x2")
    assert [c.params["chat_id"] for c in calls if c.method.startswith("send")] == [USER]
    answer = calls[-1].params["text"]
    assert "from: takes a date like 2012" in answer and FILTER_HELP in answer


async def test_post_picture_in_a_group(bot: PostingBot) -> None:
    bot.fake.add_chat(GROUP, "supergroup", title="Readers")
    bot.fake.set_member(GROUP, BOT_ID, "member")
    bot.fake.set_member(GROUP, USER, "administrator")
    calls = await bot.say(f"/post --picture {TYPO_QUERY}", chat_id=GROUP, chat_type="supergroup")
    assert [c.method for c in calls] == ["getChatMember", "sendPhoto"]
    [photo] = photos_to(calls, GROUP)
    assert "reply_parameters" not in photo and "¶ 10 of 32" in photo["caption"]


async def test_a_picture_schedule_is_stored_and_posts_pictures(bot: PostingBot) -> None:
    await bot.link_channel()
    text = await bot.reply(f"/schedule @{NAME} daily 08:30 collection:sample picture heart")
    assert text.startswith("Schedule #1: every day at 08:30 UTC, the best new match for")
    assert "from sample as a picture to Quotes" in text
    stored = await bot_data_of(bot.app.bot_data).posting.store.get_schedule(1)
    assert stored is not None and stored.picture and stored.query == "heart"
    assert " as a picture → Quotes" in await bot.reply("/schedule list")
    [photo] = photos_to(await bot.run_job(1), CHANNEL)
    assert photo["caption"].startswith(f"<b>{post_render.PASSAGE_OF_THE_DAY}</b>\n<b>")
    assert isinstance(photo["photo"], bytes) and photo["photo"].startswith(PNG_SIGNATURE)

    assert "Schedule #2" in await bot.reply(f"/schedule @{NAME} daily 09:00")
    second = [c.method for c in await bot.run_job(2) if c.method.startswith("send")]
    assert second == ["sendMessage"]  # no picture option: the text card


async def test_schedule_words_take_filters(bot: PostingBot) -> None:
    await bot.link_channel()
    text = await bot.reply(f"/schedule @{NAME} daily 07:00 in:sample servants of the people")
    assert text.startswith("Schedule #1:")
    [post] = [c.params for c in await bot.run_job(1) if c.method == "sendMessage"]
    assert "¶ 21 of 32" in post["text"]
    refused = await bot.reply(f"/schedule @{NAME} daily 07:00 in:nowhere servants")
    assert "in:nowhere: no such collection" in refused and FILTER_HELP in refused
    assert (
        len(await bot_data_of(bot.app.bot_data).posting.store.list_schedules(chat_id=CHANNEL)) == 1
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ("daily 08:30 picture", ScheduleSpec(510, None, None, True)),
        ("daily 08:30 --picture heart", ScheduleSpec(510, "heart", None, True)),
        ("daily 08:30 collection:kcna picture heart", ScheduleSpec(510, "heart", "kcna", True)),
        ("daily 08:30 Picture collection:kcna heart", ScheduleSpec(510, "heart", "kcna", True)),
        ("daily 08:30 heart picture", ScheduleSpec(510, "heart picture", None, False)),
        ("daily 08:30 picture picture", ScheduleSpec(510, "picture", None, True)),
    ],
)
def test_parse_schedule_picture_option(args: str, expected: ScheduleSpec) -> None:
    assert parse_schedule(args.split()) == expected


def test_take_picture_flag() -> None:
    assert take_picture_flag(["@q", "--picture", "a", "b"]) == (["@q", "a", "b"], True)
    assert take_picture_flag(["@q", "a", "—Picture"]) == (["@q", "a"], True)
    assert take_picture_flag(["@q", "picture", "a"]) == (["@q", "picture", "a"], False)
    with pytest.raises(PostingError):
        parse_schedule(["weekly", "08:30", "picture"])


async def test_a_refused_picture_post_is_reported_and_nothing_is_recorded(bot: PostingBot) -> None:
    await bot.link_channel()
    bot.fake.set_member(CHANNEL, BOT_ID, "administrator", can_post_messages=False)
    bot.fake.set_member(CHANNEL, USER, "creator")
    text = await bot.reply(f"/post @{NAME} --picture {TYPO_QUERY}")
    assert text.startswith("I couldn't post to Quotes: ") and "administrator rights" in text
    assert bot.fake.photos.uploads == []
    posting = bot_data_of(bot.app.bot_data).posting
    assert await posting.store.posted_among(CHANNEL, list(range(1, 40))) == set()
