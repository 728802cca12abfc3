"""A database the bot cannot write (a read-only file, a full disk) still answers searches.

Recording the query for the card's buttons is the only write a search makes; when SQLite
refuses it, the card is sent without the buttons that need a stored query, and the
failure is logged once.  The databases here really refuse: one opened read-only
(``mode=ro``: SQLite itself refuses every write, even for root, whom ``chmod`` would not
stop), one whose size is capped at what it holds (SQLite reports it full).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from fake_bot_api import TOKEN, ApiCall, FakeTelegram, OfflineBot, RecordingRequest

from bot.core.service import VerbatimService
from bot.telegram.app import build_application, running
from bot.telegram.bot_data import bot_data_of
from bot.telegram.render import chat as render
from store import Database

TYPO_QUERY = "servent the peple with the heart of a mothr"  # ¶ 10 of the sample
NOT_SURE_QUERY = "mother heart servant people"  # ¶ 10 reworded: suggestions only
WARNING_TEXT = "cannot record searches in the database"


@asynccontextmanager
async def read_only(path: Path) -> AsyncIterator[aiosqlite.Connection]:
    async with aiosqlite.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None) as conn:
        yield conn


@asynccontextmanager
async def full(path: Path) -> AsyncIterator[aiosqlite.Connection]:
    """A connection to ``path`` that may not grow the file: filled to the last page."""
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        await conn.execute("PRAGMA journal_mode = WAL")
        async with conn.execute("PRAGMA page_count") as cur:
            row = await cur.fetchone()
        assert row is not None
        await conn.execute(f"PRAGMA max_page_count = {row[0]}")
        try:  # use up the free room of the last pages, as a full disk would have
            for n in range(100_000):
                await conn.execute(
                    "INSERT INTO bot_queries (id, text, last_used) VALUES (?, ?, '')",
                    (10**12 + n, f"filler {n} " + "x" * 200),
                )
        except sqlite3.OperationalError as exc:
            assert "full" in str(exc)
        yield conn


def only(calls: list[ApiCall], method: str) -> dict[str, Any]:
    assert [c.method for c in calls] == [method], calls
    return calls[0].params


def labels(params: dict[str, Any]) -> list[str]:
    return [b["text"] for row in params["reply_markup"]["inline_keyboard"] for b in row]


@pytest.mark.parametrize(
    ("refusing", "error"), [(read_only, "readonly database"), (full, "database or disk is full")]
)
async def test_searches_are_answered_when_the_query_cannot_be_stored(
    posting_db: Path, caplog: pytest.LogCaptureFixture, refusing: Any, error: str
) -> None:
    fake = FakeTelegram()
    app = build_application(TOKEN, posting_db, request=RecordingRequest(fake), rate_limit=False)
    async with running(app), refusing(posting_db) as conn:
        data = bot_data_of(app.bot_data)
        db = Database(conn, posting_db)
        with pytest.raises(sqlite3.OperationalError, match=error):  # it really refuses
            await db.remember_query("a query never stored before")
        data.start(VerbatimService(db, data.service.searcher, data.service.epoch), data.posting)
        bot = OfflineBot(app, fake)
        with caplog.at_level(logging.DEBUG, logger="bot.core.service"):
            card = only(await bot.feed("message", fake.message(TYPO_QUERY)), "sendMessage")
            again = only(await bot.feed("message", fake.message(f"/q {TYPO_QUERY}")), "sendMessage")
            unsure = only(await bot.feed("message", fake.message(NOT_SURE_QUERY)), "sendMessage")
            query = {"id": "iq", "from": fake.user(), "query": TYPO_QUERY, "offset": ""}
            inline = only(await bot.feed("inline_query", query), "answerInlineQuery")
        # the card as usual, only without the buttons that need the stored query
        assert card["text"] != render.SOMETHING_WRONG.text and "¶ 10 of 32" in card["text"]
        assert again["text"] == card["text"]
        assert labels(card) == ["◀ ¶ 9", "¶ 11 ▶", "↗ Share", "🔗 Link", "🖼 Picture"]
        assert unsure["text"].startswith("Not sure — nothing matches closely enough.")
        assert inline["results"][0]["input_message_content"]["message_text"] == card["text"]
        warned = [r for r in caplog.records if WARNING_TEXT in r.getMessage()]
        assert [r.levelno for r in warned] == [logging.WARNING]  # once, not per search
        assert error in warned[0].getMessage()
        # ▶ still works (it needs no stored query), and so does opening a suggestion
        press = fake.callback_query(
            card["reply_markup"]["inline_keyboard"][0][1]["callback_data"], message=fake.sent[0]
        )
        moved = await bot.feed("callback_query", press)
        assert [c.method for c in moved] == ["editMessageText", "answerCallbackQuery"]
        assert "¶ 11 of 32" in moved[0].params["text"]
        first = unsure["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        opened = await bot.feed("callback_query", fake.callback_query(first, message=fake.sent[2]))
        assert "¶ 10 of 32" in opened[0].params["text"]
