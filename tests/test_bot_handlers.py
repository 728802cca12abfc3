"""Chat handlers offline: the Application's HTTP layer is a recording fake.

Each test feeds updates to ``Application.process_update`` and asserts on the exact
Bot API calls the bot made (method, chat, text, parse_mode, reply_markup).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from fake_bot_api import (
    BOT_USERNAME,
    TOKEN,
    ApiCall,
    ApiError,
    FakeTelegram,
    OfflineBot,
    RecordingRequest,
)
from telegram import Update

from bot.core.views import PARAGRAPH_GONE, STALE, Card
from bot.telegram import callback_data as cb
from bot.telegram.app import build_application, running
from bot.telegram.handlers.chat import BAD_BUTTON, CANNOT_EDIT
from bot.telegram.render import chat as render
from bot.telegram.render import common
from store.db import open_database
from store.ingest import ingest_paths, sample_path

TYPO_QUERY = "servent the peple with the heart of a mothr"  # ¶ 10 of the sample, misspelt
GROUP = -100123


class Bot(OfflineBot):
    """The bot under test, with helpers for this module's updates."""

    async def say(self, text: str, **kw: Any) -> list[ApiCall]:
        return await self.feed("message", self.fake.message(text, **kw))

    async def press(
        self, data: str, message: dict[str, Any] | None = None, **kw: Any
    ) -> list[ApiCall]:
        return await self.feed(
            "callback_query", self.fake.callback_query(data, message=message, **kw)
        )

    async def expected_card(self, query: str) -> common.RenderedMessage:
        card = await self.service.search(query)
        assert isinstance(card, Card)
        return render.render_card(card, BOT_USERNAME)


async def build_sample_db(path: Path) -> Path:
    async with open_database(path) as db:
        await ingest_paths(db, [sample_path()], progress=False)
    return path


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[Bot]:
    db_path = await build_sample_db(tmp_path / "bot.db")
    fake = FakeTelegram()
    app = build_application(TOKEN, db_path, request=RecordingRequest(fake), rate_limit=False)
    async with running(app):
        yield Bot(app, fake)


def only(calls: list[ApiCall], method: str) -> dict[str, Any]:
    assert [c.method for c in calls] == [method], calls
    return calls[0].params


def markup_dict(message: common.RenderedMessage) -> Any:
    return message.reply_markup.to_dict() if message.reply_markup else None


def buttons(params: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["text"]: b for row in params["reply_markup"]["inline_keyboard"] for b in row}


async def test_start_registers_commands_and_greets_with_corpus_examples(bot: Bot) -> None:
    assert bot.fake.calls_of("setMyCommands")[0].params["commands"][0] == {
        "command": "q",
        "description": "Find a quotation: /q words you remember",
    }
    params = only(await bot.say("/start"), "sendMessage")
    assert params["chat_id"] == 111 and params["parse_mode"] == "HTML"
    assert "reply_parameters" not in params  # private chat: no quoting
    examples = re.findall(r"^<code>/q ([^<]+)</code>$", params["text"], re.MULTILINE)
    assert len(examples) == 3
    text = " ".join(p.read_text() for p in sorted(sample_path().glob("*.txt")))
    sample = " ".join(re.findall(r"\w+(?:['’]\w+)*", text)).lower()
    for example in examples:
        assert example in sample  # drawn from the corpus, not hard-coded


async def test_typo_query_finds_the_paragraph(bot: Bot) -> None:
    params = only(await bot.say(f"/q {TYPO_QUERY}"), "sendMessage")
    expected = await bot.expected_card(TYPO_QUERY)
    assert params == {
        "chat_id": 111,
        "text": expected.text,
        "parse_mode": "HTML",
        "reply_markup": markup_dict(expected),
        "link_preview_options": {"is_disabled": True},
    }
    assert "¶ 10 of 32" in params["text"]
    assert re.search(r"<b>[^<]*heart[^<]*</b>", params["text"])
    keys = buttons(params)
    assert {"◀ ¶ 9", "¶ 11 ▶", "↗ Share", "🔗 Link"} <= set(keys)
    assert keys["🔗 Link"]["url"].startswith(f"https://t.me/{BOT_USERNAME}?start=p_")


async def test_plain_text_in_private_chat_is_a_search_and_aliases_work(bot: Bot) -> None:
    plain = only(await bot.say(TYPO_QUERY), "sendMessage")
    for command in ("/quote", "/find", f"/q@{BOT_USERNAME}"):
        assert (
            only(await bot.say(f"{command} {TYPO_QUERY}"), "sendMessage")["text"] == plain["text"]
        )


async def test_groups_reply_to_commands_and_ignore_chatter(bot: Bot) -> None:
    assert await bot.say(TYPO_QUERY, chat_id=GROUP, chat_type="supergroup") == []
    assert await bot.say("/q@someotherbot heart", chat_id=GROUP, chat_type="supergroup") == []
    assert await bot.say("/nonsense", chat_id=GROUP, chat_type="supergroup") == []
    msg = bot.fake.message(f"/q@{BOT_USERNAME} {TYPO_QUERY}", chat_id=GROUP, chat_type="group")
    params = only(await bot.feed("message", msg), "sendMessage")
    assert params["chat_id"] == GROUP
    assert params["reply_parameters"] == {
        "message_id": msg["message_id"],
        "allow_sending_without_reply": True,
    }
    assert params["text"] == (await bot.expected_card(TYPO_QUERY)).text
    addressed = only(
        await bot.say(f"/nonsense@{BOT_USERNAME}", chat_id=GROUP, chat_type="group"), "sendMessage"
    )
    assert addressed["text"] == render.UNKNOWN_COMMAND.text


async def test_reply_q_searches_the_replied_message(bot: Bot) -> None:
    original = bot.fake.message(TYPO_QUERY, user_id=222)
    params = only(await bot.say("/q", reply_to=original), "sendMessage")
    assert params["text"] == (await bot.expected_card(TYPO_QUERY)).text


async def test_bad_input_gets_short_clear_answers(bot: Bot) -> None:
    empty = only(await bot.say("/q"), "sendMessage")
    assert empty["text"].startswith("Tell me what you remember")
    assert "reply_markup" not in empty
    unknown = only(await bot.say("/frobnicate"), "sendMessage")
    assert unknown["text"] == "I don't know that command. /help shows what I can do."
    long = only(await bot.say("/q " + "heart of a mother " * 230), "sendMessage")
    assert long["text"].startswith("<i>Your text was long, so I searched its first")
    assert len(long["text"]) <= 4096
    nasty = only(await bot.say('/q <b>zzqx</b> AND "qqq" NEAR(a b) * OR ^'), "sendMessage")
    assert "&lt;b&gt;zzqx&lt;/b&gt;" in nasty["text"] and "<b>zzqx" not in nasty["text"]


async def test_no_match_says_so_and_suggests(bot: Bot) -> None:
    params = only(await bot.say("/q xylophone quasar zeppelin"), "sendMessage")
    assert params["text"].startswith("No passage matches <i>xylophone quasar zeppelin</i>.")
    assert "Try fewer words" in params["text"]


async def test_deep_links(bot: Bot) -> None:
    params = only(await bot.say("/q heart of a mother"), "sendMessage")
    link = buttons(params)["🔗 Link"]["url"]
    payload = link.split("start=")[1]
    opened = only(await bot.say(f"/start {payload}"), "sendMessage")
    assert "¶ 10 of 32" in opened["text"] and "Other matches" not in str(opened["reply_markup"])
    gone = only(await bot.say("/start p_99999999"), "sendMessage")
    assert gone["text"] == PARAGRAPH_GONE.message
    junk = only(await bot.say("/start p_<script>"), "sendMessage")
    assert junk["text"].startswith("<b>Verbatim</b>")  # not a deep link: the greeting


async def test_context_buttons_edit_the_message_in_place(bot: Bot) -> None:
    first = only(await bot.say(TYPO_QUERY), "sendMessage")
    card = bot.fake.sent[-1]
    calls = await bot.press(buttons(card)["¶ 11 ▶"]["callback_data"], card)
    assert [c.method for c in calls] == ["editMessageText", "answerCallbackQuery"]
    edit = calls[0].params
    assert (edit["chat_id"], edit["message_id"]) == (111, card["message_id"])
    assert edit["parse_mode"] == "HTML" and "¶ 11 of 32" in edit["text"]
    assert "Context around your match" in edit["text"] and "<b>" not in edit["text"].split("\n")[0]
    assert calls[1].params.get("show_alert") is None
    moved = bot.fake.sent_message(111, card["message_id"])
    back = await bot.press(buttons(moved)["↩ Back to match"]["callback_data"], moved)
    assert "¶ 10 of 32" in back[0].params["text"]
    # back at the match, the same words are in bold as on the first card
    bold = re.compile(r"<b>[^<]*</b>")
    assert bold.findall(back[0].params["text"]) == bold.findall(first["text"])
    assert any("heart" in b for b in bold.findall(first["text"]))


async def test_other_matches_steps_through_hits(bot: Bot) -> None:
    query = "secretaries of primary party committees"
    only(await bot.say(f"/q {query}"), "sendMessage")
    card = bot.fake.sent[-1]
    first_text = only(await bot.say(f"/q {query}"), "sendMessage")["text"]
    calls = await bot.press(buttons(card)["🔎 Other matches"]["callback_data"], card)
    assert [c.method for c in calls] == ["editMessageText", "answerCallbackQuery"]
    second = calls[0].params
    assert second["text"] != first_text
    assert "⏮ Best match" in buttons(second)
    result = await bot.service.searcher.search(query, limit=2)
    assert result.hits[1].paragraph.text[:40] in second["text"].replace("<b>", "").replace(
        "</b>", ""
    )


async def test_forged_stale_and_dangling_callbacks_get_alerts(bot: Bot) -> None:
    epoch = bot.service.epoch
    other = "000000" if epoch != "000000" else "111111"
    cases = {
        "hello": BAD_BUTTON,
        "1:zzzzzz:n:1:1:0:0": BAD_BUTTON,
        f"1:{epoch}:n:1:1:0": BAD_BUTTON,
        f"1:{other}:n:1:1:0:0": STALE.message,
        f"1:{epoch}:n:zzzzz:1:0:0": PARAGRAPH_GONE.message,
        f"1:{epoch}:m:zzzz:0": "I no longer know that search. Please search again.",
    }
    for data, alert in cases.items():
        params = only(await bot.press(data, inline_message_id="AAAA"), "answerCallbackQuery")
        assert params["text"] == alert and params["show_alert"] is True, data


async def test_deleted_document_and_inline_message_callbacks(bot: Bot) -> None:
    only(await bot.say(TYPO_QUERY), "sendMessage")
    card = bot.fake.sent[-1]
    data = buttons(card)["¶ 11 ▶"]["callback_data"]
    inline = await bot.press(data, inline_message_id="inline-1")
    assert [c.method for c in inline] == ["editMessageText", "answerCallbackQuery"]
    assert inline[0].params["inline_message_id"] == "inline-1"
    assert "chat_id" not in inline[0].params and "¶ 11 of 32" in inline[0].params["text"]
    await bot.service.db.conn.execute("DELETE FROM documents")  # the document is removed
    params = only(await bot.press(data, card), "answerCallbackQuery")
    assert params["text"] == PARAGRAPH_GONE.message and params["show_alert"] is True


async def test_random_sources_stats(bot: Bot) -> None:
    card = only(await bot.say("/random"), "sendMessage")
    assert "of 32 · sample" in card["text"] and "🔗 Link" in buttons(card)
    sources = only(await bot.say("/sources"), "sendMessage")
    assert sources["text"].startswith("<b>Sources</b> (1 document)")
    assert "Closing Address at Second Conference" in sources["text"]
    stats = only(await bot.say("/stats"), "sendMessage")
    assert stats["text"] == "1 document, 32 paragraphs\n• sample: 1 document, 32 paragraphs"


async def test_errors_are_logged_without_token_and_reported(
    bot: Bot, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: Any) -> Any:
        raise RuntimeError(f"boom for {TOKEN[:3]}")

    monkeypatch.setattr(bot.service, "search", broken)
    monkeypatch.setattr(bot.service, "match", broken)
    with caplog.at_level(logging.ERROR):
        params = only(await bot.say("/q anything"), "sendMessage")
    assert params["text"] == render.SOMETHING_WRONG.text
    assert "RuntimeError: boom" in caplog.text and TOKEN not in caplog.text
    card_msg = bot.fake.message("x")
    alert = only(await bot.press(f"1:{bot.service.epoch}:m:1:1", card_msg), "answerCallbackQuery")
    assert alert["show_alert"] is True and alert["text"] == render.SOMETHING_WRONG.text


async def test_set_my_commands_failure_is_logged_and_the_bot_carries_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db_path = await build_sample_db(tmp_path / "b.db")
    fake = FakeTelegram()
    fake.fail_methods["setMyCommands"] = ApiError(400, "Bad Request: commands are broken")
    app = build_application(TOKEN, db_path, request=RecordingRequest(fake), rate_limit=False)
    with caplog.at_level(logging.WARNING):
        async with running(app):
            bot = Bot(app, fake)
            assert only(await bot.say(TYPO_QUERY), "sendMessage")["text"]
    assert "could not register the command list" in caplog.text


async def test_a_slow_search_does_not_stall_other_chats(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # two users (one user's updates are processed one at a time: bot/telegram/fairness.py)
    release = asyncio.Event()
    real_search = bot.service.search

    async def search(text: str) -> Any:
        if text == "slow one":
            await release.wait()  # stays blocked until the other chat has been answered
        return await real_search(text)

    monkeypatch.setattr(bot.service, "search", search)
    await bot.app.start()
    try:
        await bot.app.update_queue.put(
            Update.de_json(
                bot.fake.update("message", bot.fake.message("slow one", chat_id=1, user_id=1)),
                bot.app.bot,
            )
        )
        await bot.app.update_queue.put(
            Update.de_json(
                bot.fake.update("message", bot.fake.message(TYPO_QUERY, chat_id=2, user_id=2)),
                bot.app.bot,
            )
        )
        await asyncio.wait_for(_sent_to(bot.fake, 2), timeout=10)
        assert bot.fake.calls_of("sendMessage")[0].params["chat_id"] != 1
        release.set()
        await asyncio.wait_for(_sent_to(bot.fake, 1), timeout=10)
    finally:
        release.set()
        await bot.app.stop()


async def _sent_to(fake: FakeTelegram, chat_id: int) -> None:
    while not any(c.params.get("chat_id") == chat_id for c in fake.calls_of("sendMessage")):
        await asyncio.sleep(0.01)


async def test_empty_database_is_explained(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fake = FakeTelegram()
    app = build_application(
        TOKEN, tmp_path / "empty.db", request=RecordingRequest(fake), rate_limit=False
    )
    with caplog.at_level(logging.WARNING):
        async with running(app):
            bot = Bot(app, fake)
            assert "The database is empty" in only(await bot.say("/help"), "sendMessage")["text"]
            assert only(await bot.say("/random"), "sendMessage")["text"] == "The database is empty."
            assert only(await bot.say("/sources"), "sendMessage")["text"] == "No documents yet."
            nothing = only(await bot.say("/q heart of a mother"), "sendMessage")["text"]
            assert nothing.startswith("No passage matches")
    assert "is empty: load speeches" in caplog.text


async def test_pressing_on_a_message_that_cannot_be_edited(bot: Bot) -> None:
    only(await bot.say(TYPO_QUERY), "sendMessage")
    data = buttons(bot.fake.sent[-1])["¶ 11 ▶"]["callback_data"]
    not_ours = bot.fake.message("a user's message")  # Telegram refuses to edit it
    calls = await bot.press(data, not_ours)
    assert [c.method for c in calls] == ["editMessageText", "answerCallbackQuery"]
    assert calls[1].params == {
        "callback_query_id": calls[1].params["callback_query_id"],
        "text": CANNOT_EDIT,
        "show_alert": True,
    }
    # pressing a button that shows what is already there: Telegram says "not modified"
    pid = int(buttons(bot.fake.sent[-1])["🔗 Link"]["url"].split("p_")[1])
    only(await bot.say(f"/start p_{pid}"), "sendMessage")
    same = cb.encode(cb.ShowParagraph(bot.service.epoch, pid, pid, 0, 0))
    calls = await bot.press(same, bot.fake.sent[-1])
    assert [c.method for c in calls] == ["editMessageText", "answerCallbackQuery"]
    assert "show_alert" not in calls[1].params


async def test_sources_are_paged_with_buttons(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    for n in range(11):
        (folder / f"speech{n:02d}.txt").write_text(
            f"Speech number {n} & co\n\nParagraph one of speech {n}.\n\nParagraph two of it.\n"
        )
    db_path = tmp_path / "many.db"
    async with open_database(db_path) as db:
        await ingest_paths(db, [folder], fmt="text", progress=False)
    fake = FakeTelegram()
    app = build_application(TOKEN, db_path, request=RecordingRequest(fake), rate_limit=False)
    async with running(app):
        bot = Bot(app, fake)
        first = only(await bot.say("/sources"), "sendMessage")
        assert first["text"].startswith("<b>Sources</b> (11 documents)")
        assert "Speech number 0 &amp; co" in first["text"]
        # ten lines a page: the collection (with its counts), then nine documents
        assert "\n• docs: 11 documents, 22 paragraphs\n" in first["text"]
        assert first["text"].count("\n• ") == 10 and "<i>Speakers</i>" not in first["text"]
        keys = buttons(first)
        assert list(keys) == ["1/2", "▶"]
        calls = await bot.press(keys["▶"]["callback_data"], fake.sent[-1])
        assert [c.method for c in calls] == ["editMessageText", "answerCallbackQuery"]
        second = calls[0].params
        assert second["text"].count("\n• ") == 2 and "Speech number 9 &amp; co" in second["text"]
        assert "<i>Collections</i>" not in second["text"]
        assert list(buttons(second)) == ["◀", "2/2"]
        label = await bot.press(buttons(second)["2/2"]["callback_data"], fake.sent[-1])
        assert only(label, "answerCallbackQuery").get("show_alert") is None
