"""The "🖼 Picture" button offline: the picture drawn off the event loop and uploaded once,
then re-sent by Telegram's file_id; a refused file_id uploaded again; groups, cards sent
via inline mode (the user's private chat, or a start link when the bot may not write
there), stale and gone buttons; the bounded file_id cache."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from fake_bot_api import BOT_USERNAME, TOKEN, ApiCall, FakeTelegram, OfflineBot, RecordingRequest
from fake_bot_photos import png_size

from bot.core.citation import picture_link_payload
from bot.core.picture import render_quote
from bot.core.views import PARAGRAPH_GONE, STALE, Card, QuotePicture
from bot.telegram import callback_data as cb
from bot.telegram import pictures
from bot.telegram.app import build_application, running
from bot.telegram.bot_data import bot_data_of
from bot.telegram.handlers.chat import PICTURE_SENT
from bot.telegram.pictures import PictureCache
from bot.telegram.render.common import picture_caption

TYPO_QUERY = "servent the peple with the heart of a mothr"  # ¶ 10 of the sample, misspelt
GROUP = -100123


class Bot(OfflineBot):
    async def say(self, text: str, **kw: Any) -> list[ApiCall]:
        return await self.feed("message", self.fake.message(text, **kw))

    async def press(self, data: str, **kw: Any) -> list[ApiCall]:
        return await self.feed("callback_query", self.fake.callback_query(data, **kw))

    async def card(self, text: str = f"/q {TYPO_QUERY}", **kw: Any) -> dict[str, Any]:
        """Ask for a card; the card message as sent, with its Picture button's data."""
        calls = await self.say(text, **kw)
        assert [c.method for c in calls] == ["sendMessage"], calls
        return self.fake.sent[-1]

    async def expected_png(self, card: dict[str, Any]) -> tuple[QuotePicture, bytes]:
        action = cb.decode(picture_data(card))
        assert isinstance(action, cb.Picture)
        found = await self.service.picture(action.paragraph_id, action.query_id, BOT_USERNAME)
        assert isinstance(found, QuotePicture)
        return found, render_quote(found.paragraph.text, found.spans, found.citation, found.footer)


@pytest.fixture
async def bot(sample_db: Path) -> AsyncIterator[Bot]:
    fake = FakeTelegram()
    app = build_application(TOKEN, sample_db, request=RecordingRequest(fake), rate_limit=False)
    async with running(app):
        yield Bot(app, fake)


def picture_data(message: dict[str, Any]) -> str:
    rows = message["reply_markup"]["inline_keyboard"]
    return next(str(b["callback_data"]) for row in rows for b in row if b["text"] == "🖼 Picture")


async def test_picture_is_uploaded_once_then_sent_by_file_id(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn_in: list[threading.Thread] = []

    def drawing(*args: Any, **kw: Any) -> bytes:
        drawn_in.append(threading.current_thread())
        return render_quote(*args, **kw)

    monkeypatch.setattr(pictures, "render_quote", drawing)
    card = await bot.card()
    picture, png = await bot.expected_png(card)
    assert picture.spans  # the card's matched words choose the stretch shown
    calls = await bot.press(picture_data(card), message=card)
    assert [c.method for c in calls] == ["sendPhoto", "answerCallbackQuery"]
    upload = calls[0].params
    assert upload["photo"] == png and (png_size(png) or (0, 0))[0] == 1080
    assert upload["chat_id"] == 111 and "reply_parameters" not in upload
    assert upload["parse_mode"] == "HTML"
    assert upload["caption"] == picture_caption(picture.document, 10)
    assert "<b>General Secretary Kim Jong Un" in upload["caption"]
    assert "¶ 10 of 32" in upload["caption"]
    assert drawn_in and threading.main_thread() not in drawn_in  # off the event loop
    file_id = bot.fake.sent[-1]["photo"][-1]["file_id"]
    assert bot_data_of(bot.app.bot_data).pictures.get(picture.key) == file_id

    calls = await bot.press(picture_data(card), message=card)
    assert [c.method for c in calls] == ["sendPhoto", "answerCallbackQuery"]
    assert calls[0].params["photo"] == file_id  # by reference: nothing drawn or uploaded
    assert len(drawn_in) == 1 and bot.fake.photos.uploads == [png]

    bot.fake.photos.forget(file_id)  # Telegram no longer knows it: drawn and uploaded again
    calls = await bot.press(picture_data(card), message=card)
    assert [c.method for c in calls] == ["sendPhoto", "sendPhoto", "answerCallbackQuery"]
    assert calls[0].params["photo"] == file_id and calls[1].params["photo"] == png
    new_id = bot.fake.sent[-1]["photo"][-1]["file_id"]
    assert new_id != file_id and bot_data_of(bot.app.bot_data).pictures.get(picture.key) == new_id
    assert len(bot.fake.photos.uploads) == 2


async def test_presses_at_the_same_time_upload_once(bot: Bot) -> None:
    card = await bot.card()
    data = picture_data(card)
    await asyncio.gather(*(bot.press(data, message=card) for _ in range(3)))
    sent = bot.fake.calls_of("sendPhoto")
    assert len(sent) == 3 and len(bot.fake.photos.uploads) == 1
    assert sum(isinstance(c.params["photo"], bytes) for c in sent) == 1


async def test_in_a_group_the_picture_replies_to_the_card(bot: Bot) -> None:
    card = await bot.card(f"/q@{BOT_USERNAME} {TYPO_QUERY}", chat_id=GROUP, chat_type="supergroup")
    calls = await bot.press(picture_data(card), message=card)
    photo = calls[0].params
    assert calls[0].method == "sendPhoto" and photo["chat_id"] == GROUP
    assert photo["reply_parameters"]["message_id"] == card["message_id"]


async def test_a_card_sent_via_inline_mode_sends_to_the_private_chat(bot: Bot) -> None:
    card = await bot.card()  # the same card, as an inline result would carry it
    data = picture_data(card)
    calls = await bot.press(data, inline_message_id="im-1")
    assert [c.method for c in calls] == ["sendPhoto", "answerCallbackQuery"]
    assert calls[0].params["chat_id"] == 111
    assert calls[1].params["text"] == PICTURE_SENT

    bot.fake.not_started.add(333)  # never opened a chat with the bot
    calls = await bot.press(data, inline_message_id="im-2", user_id=333)
    assert [c.method for c in calls] == ["sendPhoto", "answerCallbackQuery"]
    action = cb.decode(data)
    assert isinstance(action, cb.Picture) and action.query_id
    payload = picture_link_payload(action.paragraph_id, action.query_id)
    assert calls[1].params["url"] == f"https://t.me/{BOT_USERNAME}?start={payload}"
    assert "show_alert" not in calls[1].params

    bot.fake.not_started.discard(333)  # the link opened the chat: /start sends the picture
    calls = await bot.say(f"/start {payload}", chat_id=333, user_id=333)
    assert [c.method for c in calls] == ["sendPhoto"] and calls[0].params["chat_id"] == 333
    first = bot.fake.calls_of("sendPhoto")[0].params["photo"]
    assert calls[0].params["photo"] == bot.fake.sent[-2]["photo"][-1]["file_id"]  # cached
    assert isinstance(first, bytes)


async def test_stale_gone_and_malformed_picture_buttons(bot: Bot) -> None:
    card = await bot.card()
    action = cb.decode(picture_data(card))
    assert isinstance(action, cb.Picture)
    stale = cb.encode(cb.Picture("abcdef", action.paragraph_id, action.query_id))
    gone = cb.encode(cb.Picture(bot.service.epoch, 10**9, 0))
    for data, alert in ((stale, STALE.message), (gone, PARAGRAPH_GONE.message)):
        calls = await bot.press(data, message=card)
        assert [c.method for c in calls] == ["answerCallbackQuery"]
        assert calls[0].params["text"] == alert and calls[0].params["show_alert"] is True
    calls = await bot.say(f"/start {picture_link_payload(10**9)}")
    assert [c.method for c in calls] == ["sendMessage"]
    assert calls[0].params["text"] == PARAGRAPH_GONE.message
    assert bot.fake.calls_of("sendPhoto") == []


async def test_every_card_has_the_button_and_a_neighbour_s_picture_is_its_own(bot: Bot) -> None:
    card = await bot.card()
    outcome = await bot.service.search(TYPO_QUERY)
    assert isinstance(outcome, Card)
    next_data = next(
        b["callback_data"]
        for row in card["reply_markup"]["inline_keyboard"]
        for b in row
        if b["text"].endswith("▶")
    )
    calls = await bot.press(next_data, message=card)
    edited = calls[0].params
    action = cb.decode(picture_data(edited))
    assert action == cb.Picture(bot.service.epoch, outcome.next_id or 0, 0)
    for text in ("/random", f"/start p_{outcome.paragraph.id}"):
        picture_data(await bot.card(text))


def test_the_file_id_cache_is_bounded_and_keeps_the_recently_used() -> None:
    cache = PictureCache(size=2)
    cache.put("a", "A")
    cache.put("b", "B")
    assert cache.get("a") == "A"  # now the most recently used
    cache.put("c", "C")
    assert (cache.get("a"), cache.get("b"), cache.get("c"), len(cache)) == ("A", None, "C", 2)
    cache.drop("a")
    assert cache.get("a") is None and len(cache) == 1
    assert PictureCache().size == pictures.MAX_CACHED == 1000
