"""Answer tiers in the bot, offline (recording BaseRequest): "not sure" with the closest
passages as labelled suggestions (chat, groups, inline), and one answer per text with
the other documents listed ("Also in").
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from fake_bot_api import BOT_USERNAME, TOKEN, ApiCall, FakeTelegram, OfflineBot, RecordingRequest

from bot.core.citation import also_in_text
from bot.core.views import Card, NotSure
from bot.telegram import callback_data as cb
from bot.telegram.app import build_application, running
from bot.telegram.render import chat as render
from bot.telegram.render import common
from bot.telegram.render import inline as inline_render
from store import DocumentMeta, Paragraph, PartialDate
from store.db import open_database
from store.ingest import content_hash, ingest_paths, sample_path
from store.models import ParsedDocument

# A reworded recollection of ¶ 10 of the sample ("serve the people with the heart of a
# mother and with the attitude of their true servant"): close, but not an answer.
NOT_SURE_QUERY = "mother heart servant people"
TYPO_QUERY = "servent the peple with the heart of a mothr"  # ¶ 10, misspelt: an answer
GROUP = -100777


class Bot(OfflineBot):
    async def say(self, text: str, **kw: Any) -> list[ApiCall]:
        return await self.feed("message", self.fake.message(text, **kw))

    async def press(self, data: str, message: dict[str, Any]) -> list[ApiCall]:
        return await self.feed("callback_query", self.fake.callback_query(data, message=message))

    async def ask(self, query: str) -> dict[str, Any]:
        payload = {"id": "iq-1", "from": self.fake.user(), "query": query, "offset": ""}
        calls = await self.feed("inline_query", payload)
        assert [c.method for c in calls] == ["answerInlineQuery"], calls
        return calls[0].params

    async def position(self, paragraph_id: int) -> int:
        paragraph = await self.service.db.get_paragraph(paragraph_id)
        assert paragraph is not None
        return int(paragraph.position)


async def start(db_path: Path) -> AsyncIterator[Bot]:
    fake = FakeTelegram()
    app = build_application(TOKEN, db_path, request=RecordingRequest(fake), rate_limit=False)
    async with running(app):
        yield Bot(app, fake)


@pytest.fixture
async def bot(posting_db: Path) -> AsyncIterator[Bot]:
    async for b in start(posting_db):
        yield b


def only(calls: list[ApiCall], method: str) -> dict[str, Any]:
    assert [c.method for c in calls] == [method], calls
    return calls[0].params


def keyboard(params: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for row in params["reply_markup"]["inline_keyboard"] for b in row]


def labels(params: dict[str, Any]) -> list[str]:
    return [b["text"] for b in keyboard(params)]


# ---------------------------------------------------------------------- not sure


async def test_a_reworded_query_gets_not_sure_and_a_button_per_suggestion(bot: Bot) -> None:
    outcome = await bot.service.search(NOT_SURE_QUERY)
    assert isinstance(outcome, NotSure)  # the store has no answer but close passages
    expected = render.render_not_sure(outcome)
    params = only(await bot.say(NOT_SURE_QUERY), "sendMessage")
    assert params == {
        "chat_id": 111,
        "text": expected.text,
        "parse_mode": "HTML",
        "reply_markup": expected.reply_markup.to_dict() if expected.reply_markup else None,
        "link_preview_options": {"is_disabled": True},
    }
    text = params["text"]
    assert text.startswith("Not sure — nothing matches closely enough. Closest passages:\n")
    assert "match" not in text.split("\n", 1)[1].lower()  # never called an answer
    # the right paragraph first: its short citation and the words that matched, in bold
    first = text.split("\n\n")[1]
    assert first.startswith("1. General Secretary Kim Jong Un") and first.split("\n")[0].endswith(
        "· ¶ 10"
    )
    assert "<b>heart</b>" in first and "<b>mother</b>" in first and "<b>servant</b>" in first
    buttons = keyboard(params)
    assert 1 <= len(buttons) == len(outcome.suggestions) <= 3
    assert [len(row) for row in params["reply_markup"]["inline_keyboard"]] == [1] * len(buttons)
    actions = [cb.decode(b["callback_data"]) for b in buttons]
    assert all(isinstance(a, cb.ShowParagraph) for a in actions)
    assert [a.paragraph_id for a in actions] == [c.paragraph.id for c in outcome.suggestions]  # type: ignore[union-attr]
    assert await bot.position(actions[0].paragraph_id) == 10  # type: ignore[union-attr]
    assert buttons[0]["text"].startswith("1. ¶ 10 · ")


async def test_pressing_a_suggestion_opens_its_card_marked_not_sure(bot: Bot) -> None:
    only(await bot.say(NOT_SURE_QUERY), "sendMessage")
    message = bot.fake.sent[-1]
    buttons = keyboard(message)
    calls = await bot.press(buttons[0]["callback_data"], message)
    assert [c.method for c in calls] == ["editMessageText", "answerCallbackQuery"]
    card = calls[0].params
    assert (card["chat_id"], card["message_id"]) == (111, message["message_id"])
    assert "¶ 10 of 32" in card["text"] and "<b>heart</b>" in card["text"]
    assert card["text"].endswith("\n" + common.NOT_SURE_LABEL)  # not shown as the answer
    assert "match" not in common.NOT_SURE_LABEL.replace("not a match", "")
    assert {"◀ ¶ 9", "¶ 11 ▶", "↗ Share", "🔗 Link"} <= set(labels(card))
    assert "🔎 Other matches" not in labels(card)
    if len(buttons) > 1:  # step on to the next suggestion, and back to the closest
        moved = bot.fake.sent_message(111, message["message_id"])
        nxt = next(b for b in keyboard(moved) if b["text"] == "🔎 Other passages")
        second = (await bot.press(nxt["callback_data"], moved))[0].params
        action = cb.decode(buttons[1]["callback_data"])
        assert isinstance(action, cb.ShowParagraph)
        assert f"¶ {await bot.position(action.paragraph_id)} of 32" in second["text"]
        assert second["text"].endswith(common.NOT_SURE_LABEL)
        assert "⏮ Closest passage" in labels(second)


async def test_group_q_gets_not_sure_as_a_reply(bot: Bot) -> None:
    msg = bot.fake.message(
        f"/q@{BOT_USERNAME} {NOT_SURE_QUERY}", chat_id=GROUP, chat_type="supergroup"
    )
    params = only(await bot.feed("message", msg), "sendMessage")
    assert (
        params["chat_id"] == GROUP and params["reply_parameters"]["message_id"] == msg["message_id"]
    )
    assert params["text"].startswith("Not sure — nothing matches closely enough.")
    assert len(keyboard(params)) >= 1


async def test_answers_and_no_match_are_unchanged(bot: Bot) -> None:
    card = only(await bot.say(TYPO_QUERY), "sendMessage")
    assert "¶ 10 of 32" in card["text"] and "Not sure" not in card["text"]
    assert common.NOT_SURE_LABEL not in card["text"]
    nothing = only(await bot.say("xylophone quasar zeppelin"), "sendMessage")
    assert nothing["text"].startswith("No passage matches")


async def test_inline_suggestions_are_titled_not_sure(bot: Bot) -> None:
    params = await bot.ask(NOT_SURE_QUERY)
    outcome = await bot.service.search(NOT_SURE_QUERY)
    assert isinstance(outcome, NotSure)
    results = params["results"]
    assert [r["id"] for r in results] == [f"p{c.paragraph.id}" for c in outcome.suggestions]
    assert all(r["title"].startswith("Not sure: ") for r in results)
    assert results[0]["title"].endswith("· ¶ 10")
    assert "heart of a mother" in results[0]["description"]
    sent = results[0]["input_message_content"]["message_text"]
    assert "¶ 10 of 32" in sent and sent.endswith(common.NOT_SURE_LABEL)
    assert params["next_offset"] == ""
    nothing = await bot.ask("xylophone quasar zeppelin")
    assert [r["id"] for r in nothing["results"]] == [inline_render.NO_MATCH_ID]
    answer = await bot.ask(TYPO_QUERY)
    assert not any(r["title"].startswith("Not sure") for r in answer["results"])


# ---------------------------------------------------------------------- also in


async def _with_reprints(path: Path, copies: int) -> Path:
    """The sample, and ``copies`` reprints each holding its ¶ 10 and a paragraph of
    their own."""
    async with open_database(path) as db:
        await ingest_paths(db, [sample_path()], progress=False)
        (sample,) = await db.list_documents()
        (tenth,) = [p.text for p in await db.paragraph_window(sample.id, 10, 0, 0)]
        docs = [
            ParsedDocument(
                title=f"Reprint <{n}> & commentary",
                paragraphs=[f"An editorial note number {n} on the conference.", tenth],
                origin=f"reprint-{n}",
                source_format="text",
                date=PartialDate(2021, 3, n + 1),
                collection="rodong",
            )
            for n in range(copies)
        ]
        await db.insert_documents([(d, content_hash(d.paragraphs)) for d in docs])
        await db.after_bulk_load()
    return path


async def test_a_paragraph_stored_twice_is_one_card_that_says_also_in(tmp_path: Path) -> None:
    db_path = await _with_reprints(tmp_path / "twice.db", 1)
    async for bot in start(db_path):
        result = await bot.service.searcher.search(TYPO_QUERY, limit=5)
        texts = [" ".join(h.paragraph.text.split()) for h in result.hits]
        assert len(texts) == len(set(texts))  # one answer per text
        top = result.hits[0]
        assert len(top.also_in) == 1
        titles = {top.document.title, top.also_in[0].title}
        assert "Reprint <0> & commentary" in titles and len(titles) == 2
        params = only(await bot.say(TYPO_QUERY), "sendMessage")
        other = top.also_in[0]
        shown = other.title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        date = f" ({other.date.display()})" if other.date else ""
        assert f"<i>Also in: {shown}{date}</i>" in params["text"]
        assert params["text"].count("Also in:") == 1
        assert "<0>" not in params["text"]  # escaped


def test_also_in_names_three_then_counts_the_rest() -> None:
    docs = [
        DocumentMeta(n, f"Speech {n}", 3, "c", date=PartialDate(2020, 1, n) if n != 2 else None)
        for n in range(1, 6)
    ]
    assert also_in_text(docs[:1]) == "Also in: Speech 1 (1 January 2020)"
    assert also_in_text(docs) == (
        "Also in: Speech 1 (1 January 2020), Speech 2, Speech 3 (3 January 2020) and 2 more"
    )
    assert also_in_text([]) == ""


def test_a_card_with_long_also_in_titles_stays_within_the_limit() -> None:
    long_title = "A very long title with <tags> & ampersands " * 40
    docs = tuple(DocumentMeta(n, long_title, 9, "c") for n in range(2, 9))
    card = Card(
        paragraph=Paragraph(1, 1, 1, "word & <word> " * 600),
        document=DocumentMeta(1, long_title, 9, "c"),
        epoch="abcdef",
        spans=((0, 4),),
        confidence="close",
        also_in=docs,
    )
    text = render.render_card(card, BOT_USERNAME).text
    assert common.tg_len(text) <= common.MAX_MESSAGE
    also = next(line for line in text.split("\n") if line.startswith("<i>Also in: "))
    assert also.endswith(" and 4 more</i>") and "&lt;tags&gt; &amp;" in also


def test_not_sure_with_pathological_titles_stays_within_the_limit() -> None:
    nasty = "&<>" * 700  # every character escapes to four or five
    cards = tuple(
        Card(
            paragraph=Paragraph(n, n, 7, nasty),
            document=DocumentMeta(n, nasty, 9, "c", date=PartialDate(2020, 1, 1)),
            epoch="abcdef",
            spans=((30, 60),),
            rank=n - 1,
            suggested=True,
        )
        for n in (1, 2, 3)
    )
    message = render.render_not_sure(NotSure("q", 12345, cards, "A notice & more."))
    assert common.tg_len(message.text) <= common.MAX_MESSAGE
    assert message.text.startswith("<i>A notice &amp; more.</i>\nNot sure — ")
    assert message.text.count(" · 1 January 2020 · ¶ 7\n") == 3  # cut titles, whole citation
    assert message.reply_markup is not None
    for row in message.reply_markup.inline_keyboard:
        data = row[0].callback_data
        assert isinstance(data, str) and len(data.encode()) <= 64
