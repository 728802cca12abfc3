"""/channel and /post offline: linking rules, posting to a channel or group, refusals.

The fake Bot API answers getChat / getChatMember / sendMessage for channels and groups
the way Telegram does (see FakeTelegram.add_chat / set_member).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from fake_bot_api import BOT_ID, BOT_USERNAME, TOKEN, ApiCall, FakeTelegram, OfflineBot
from fake_bot_api import RecordingRequest as Recording

from bot.core.access import ChatInfo
from bot.core.posting import GROUP_ADMINS_ONLY, MAX_SCHEDULES_PER_CHAT, MAX_TARGETS_PER_USER
from bot.core.posting_args import PostingError, ScheduleSpec, parse_chat_ref
from bot.telegram import chat_access
from bot.telegram.app import build_application, running
from bot.telegram.bot_data import bot_data_of
from bot.telegram.render import posting as post_render

USER = 111  # the private chat of a user has the user's id
OTHER = 222
CHANNEL = -1001234567890
NAME = "verbatim_quotes"
GROUP = -1009876543210
TYPO_QUERY = "servent the peple with the heart of a mothr"  # ¶ 10 of the sample, misspelt


class Bot(OfflineBot):
    """The bot under test with a private chat, a channel and a group."""

    async def say(self, text: str, **kw: Any) -> list[ApiCall]:
        return await self.feed("message", self.fake.message(text, **kw))

    async def reply(self, text: str, **kw: Any) -> str:
        """The one message the bot sent back to the sender's chat."""
        chat_id = kw.get("chat_id", kw.get("user_id", USER))
        sent = [c for c in await self.say(text, **kw) if c.method == "sendMessage"]
        assert [c.params["chat_id"] for c in sent] == [chat_id], sent
        return str(sent[0].params["text"])

    def channel(self, *, bot: str = "administrator", user: str = "creator", **bot_rights: bool):
        self.fake.add_chat(CHANNEL, "channel", title="Quotes & <Co>", username=NAME)
        self.fake.set_member(CHANNEL, BOT_ID, bot, **bot_rights)
        self.fake.set_member(CHANNEL, USER, user)

    async def linked(self) -> None:
        self.channel()
        assert "Linked" in await self.reply(f"/channel add @{NAME}")


@pytest.fixture
async def bot(posting_db: Path) -> AsyncIterator[Bot]:
    fake = FakeTelegram()
    fake.chat(USER)  # the user has a private chat with the bot (for notices)
    app = build_application(TOKEN, posting_db, request=Recording(fake), rate_limit=False)
    async with running(app):
        yield Bot(app, fake)


def posts_to(calls: list[ApiCall], chat_id: int) -> list[dict[str, Any]]:
    return [c.params for c in calls if c.method == "sendMessage" and c.params["chat_id"] == chat_id]


def only_url_button(params: dict[str, Any]) -> str:
    rows = params["reply_markup"]["inline_keyboard"]
    assert len(rows) == 1 and len(rows[0]) == 1 and set(rows[0][0]) == {"text", "url"}
    return str(rows[0][0]["url"])


# ---------------------------------------------------------------------- linking


async def test_linking_a_channel_checks_both_and_lists_it(bot: Bot) -> None:
    bot.channel()
    calls = await bot.say(f"/channel add @{NAME}")
    assert [c.method for c in calls] == ["getChat", "getChatMember", "getChatMember", "sendMessage"]
    assert calls[0].params["chat_id"] == f"@{NAME}"
    assert [c.params["user_id"] for c in calls[1:3]] == [BOT_ID, USER]
    text = calls[-1].params["text"]
    assert text.startswith(f"Linked Quotes &amp; &lt;Co&gt; (@{NAME})")  # title escaped
    assert "already linked" in await bot.reply(f"/channel add {CHANNEL}")  # by id, same chat
    listed = await bot.reply("/channel list")
    assert f"1. Quotes &amp; &lt;Co&gt; (@{NAME}) · channel" in listed


async def test_a_group_can_be_linked_when_the_bot_may_send_there(bot: Bot) -> None:
    bot.fake.add_chat(GROUP, "supergroup", title="Readers")
    bot.fake.set_member(GROUP, BOT_ID, "member")
    bot.fake.set_member(GROUP, USER, "administrator")
    assert "Linked Readers" in await bot.reply(f"/channel add {GROUP}")


@pytest.mark.parametrize(
    ("setup", "ref", "expected"),
    [
        ({"bot": "left"}, f"@{NAME}", "I am not an administrator of that channel"),
        ({"bot": "member"}, f"@{NAME}", "I am not an administrator of that channel"),
        ({"can_post_messages": False}, f"@{NAME}", "I am not an administrator of that channel"),
        ({"user": "member"}, f"@{NAME}", "Only the channel's administrators can do that"),
        ({"user": "left"}, f"@{NAME}", "Only the channel's administrators can do that"),
        ({}, "@no_such_channel", "I can't find that chat"),
        ({}, "-100555", "I can't find that chat"),
        ({}, "@a!b", "I can't read that chat name"),
        ({}, "1", "I can't read that chat name"),  # a list number can't be linked
        ({}, "hello", "I can't read that chat name"),
    ],
)
async def test_linking_refusals_are_short_and_store_nothing(
    bot: Bot, setup: dict[str, Any], ref: str, expected: str
) -> None:
    bot.channel(**setup)
    assert (await bot.reply(f"/channel add {ref}")).startswith(expected)
    assert "No linked chats yet" in await bot.reply("/channel list")


async def test_a_channel_admin_who_may_not_post_cannot_link_it(bot: Bot) -> None:
    bot.channel(user="administrator")
    bot.fake.set_member(CHANNEL, USER, "administrator", can_post_messages=False)
    assert "may not post there" in await bot.reply(f"/channel add @{NAME}")


async def test_group_link_refusals(bot: Bot) -> None:
    bot.fake.add_chat(GROUP, "supergroup", title="Readers", username="readers")
    bot.fake.set_member(GROUP, BOT_ID, "kicked")
    bot.fake.set_member(GROUP, USER, "creator")
    assert "I am not a member of that group" in await bot.reply("/channel add @readers")
    bot.fake.add_chat(
        GROUP, "supergroup", title="Readers", username="readers", members_can_send=False
    )
    bot.fake.set_member(GROUP, BOT_ID, "member")
    assert "I may not send messages" in await bot.reply("/channel add @readers")


async def test_channel_command_usage_and_private_only(bot: Bot) -> None:
    assert (await bot.reply("/channel")).startswith("/channel add @name")
    assert (await bot.reply("/channel add")).startswith("/channel add @name")
    group = await bot.reply("/channel list", chat_id=GROUP, chat_type="supergroup")
    assert group == post_render.PRIVATE_ONLY.text


async def test_unlinking_by_number_or_name(bot: Bot) -> None:
    await bot.linked()
    assert "You have no linked chat number 2" in await bot.reply("/channel remove 2")
    assert "That chat is not linked" in await bot.reply("/channel remove @other_chan")
    assert "I can't read that chat name" in await bot.reply("/channel remove <b>")
    assert (await bot.reply("/channel remove 1")).startswith("Unlinked Quotes")
    await bot.linked()
    assert (await bot.reply(f"/channel remove @{NAME.upper()}")).startswith("Unlinked")
    assert "No linked chats yet" in await bot.reply("/channel list")


def test_chat_references() -> None:
    assert parse_chat_ref("@Quotes_1").username == "Quotes_1"
    assert parse_chat_ref("https://t.me/quotes_1").username == "quotes_1"
    assert parse_chat_ref("-1001234").chat_id == -1001234
    assert parse_chat_ref("3").number == 3
    for bad in ("@abc", "@1abcd", "@" + "a" * 33, "123456", "-0", "1e3", "@na me", ""):
        with pytest.raises(PostingError):
            parse_chat_ref(bad)
    assert chat_access.message_link(CHANNEL, None, 5) == "https://t.me/c/1234567890/5"
    assert chat_access.message_link(-42, None, 5) is None


# ---------------------------------------------------------------------- posting


async def test_post_to_a_linked_channel(bot: Bot) -> None:
    await bot.linked()
    calls = await bot.say(f"/post @{NAME} {TYPO_QUERY}")
    assert [c.method for c in calls] == ["getChatMember", "sendMessage", "sendMessage"]
    (post,) = posts_to(calls, CHANNEL)
    assert "¶ 10 of 32" in post["text"] and re.search(r"<b>[^<]*heart[^<]*</b>", post["text"])
    assert "reply_parameters" not in post and post["parse_mode"] == "HTML"
    url = only_url_button(post)  # no ◀ ▶ callbacks in a channel: they would edit the post
    assert re.fullmatch(rf"https://t\.me/{BOT_USERNAME}\?start=p_\d+", url)
    message_id = bot.fake.sent[-2]["message_id"]
    (confirm,) = posts_to(calls, USER)
    assert (
        f'<a href="https://t.me/{NAME}/{message_id}">Quotes &amp; &lt;Co&gt;</a>' in confirm["text"]
    )
    assert "exact match" in confirm["text"] or "close match" in confirm["text"]
    # the deep link in the post opens the same passage in the bot
    opened = await bot.reply(f"/start {url.rsplit('=', 1)[1]}")
    assert "¶ 10 of 32" in opened
    # and the list number works as well as the name
    assert posts_to(await bot.say(f"/post 1 {TYPO_QUERY}"), CHANNEL)


async def test_no_match_posts_nothing_and_escapes_the_query(bot: Bot) -> None:
    await bot.linked()
    calls = await bot.say(f"/post @{NAME} <b>zqxjv</b> & wqpfk")
    assert posts_to(calls, CHANNEL) == []
    (answer,) = posts_to(calls, USER)
    assert "No passage matches" in answer["text"]
    assert "&lt;b&gt;zqxjv&lt;/b&gt; &amp; wqpfk" in answer["text"]


async def test_post_to_an_unlinked_chat_is_refused(bot: Bot) -> None:
    bot.channel()  # the bot could post there, but the user never linked it
    calls = await bot.say(f"/post @{NAME} {TYPO_QUERY}")
    assert [c.method for c in calls] == ["sendMessage"]
    assert "That chat is not linked" in calls[0].params["text"]
    assert "no linked chat number 1" in await bot.reply(f"/post 1 {TYPO_QUERY}")
    assert (await bot.reply(f"/post @{NAME}")).startswith("/post @name words")


async def test_post_rechecks_rights_at_posting_time(bot: Bot) -> None:
    await bot.linked()
    bot.fake.set_member(CHANNEL, USER, "member")  # demoted since linking
    calls = await bot.say(f"/post @{NAME} {TYPO_QUERY}")
    assert posts_to(calls, CHANNEL) == []
    assert "Only the channel's administrators" in posts_to(calls, USER)[0]["text"]
    bot.fake.set_member(CHANNEL, USER, "creator")
    bot.fake.set_member(CHANNEL, BOT_ID, "administrator", can_post_messages=False)
    calls = await bot.say(f"/post @{NAME} {TYPO_QUERY}")  # Telegram refuses the post
    assert len(posts_to(calls, CHANNEL)) == 1 and bot.fake.sent[-1]["chat"]["id"] == USER
    text = posts_to(calls, USER)[0]["text"]
    assert text.startswith("I couldn't post to Quotes &amp; &lt;Co&gt;:")
    assert "need administrator rights" in text.lower()


async def test_group_admins_post_into_the_group(bot: Bot) -> None:
    bot.fake.add_chat(GROUP, "supergroup", title="Readers")
    bot.fake.set_member(GROUP, BOT_ID, "member")
    bot.fake.set_member(GROUP, USER, "administrator")
    kw: dict[str, Any] = {"chat_id": GROUP, "chat_type": "supergroup"}
    calls = await bot.say(f"/post {TYPO_QUERY}", **kw)
    assert [c.method for c in calls] == ["getChatMember", "sendMessage"]
    (post,) = posts_to(calls, GROUP)
    assert "reply_parameters" not in post and "¶ 10 of 32" in post["text"]
    only_url_button(post)
    member = await bot.reply(f"/post {TYPO_QUERY}", user_id=OTHER, **kw)
    assert member == GROUP_ADMINS_ONLY
    msg = bot.fake.message(f"/post {TYPO_QUERY}", user_id=1087968824, **kw)
    msg["sender_chat"] = {"id": GROUP, "type": "supergroup", "title": "Readers"}
    anonymous = await bot.feed("message", msg)  # an anonymous admin writes as the group
    assert [c.method for c in anonymous] == ["sendMessage"] and posts_to(anonymous, GROUP)
    assert (await bot.reply("/post", **kw)).startswith("/post words")


async def test_concurrent_requests_stay_within_the_limits(bot: Bot) -> None:
    posting = bot_data_of(bot.app.bot_data).posting  # updates are handled concurrently
    for n in range(MAX_TARGETS_PER_USER - 1):
        await posting.link(USER, ChatInfo(-1000 - n, "channel", f"C{n}"))
    links = [posting.link(USER, ChatInfo(-2000 - n, "channel", "X")) for n in range(3)]
    results = await asyncio.gather(*links, return_exceptions=True)
    assert [isinstance(r, PostingError) for r in results].count(True) == 2
    assert len(await posting.store.list_targets(USER)) == MAX_TARGETS_PER_USER
    chat, spec = ChatInfo(CHANNEL, "channel", "Q"), ScheduleSpec(60)
    for _ in range(MAX_SCHEDULES_PER_CHAT - 1):
        await posting.add_schedule(USER, chat, spec)
    adds = [posting.add_schedule(OTHER + n, chat, spec) for n in range(3)]
    added = await asyncio.gather(*adds, return_exceptions=True)
    assert [isinstance(r, PostingError) for r in added].count(True) == 2
    assert len(await posting.store.list_schedules(chat_id=CHANNEL)) == MAX_SCHEDULES_PER_CHAT
