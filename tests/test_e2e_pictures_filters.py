"""End to end: quote pictures and filtered queries of ``verbatim run`` against the fake Bot
API on 127.0.0.1, over ``speeches_db`` (the sample and three made-up speeches, by two
speakers, in two collections, dated 2001-2003).

"🖼 Picture" makes the bot upload a PNG with sendPhoto (multipart over HTTP); pressing it
again sends Telegram's file_id, with no second upload.  A filtered query (``/q``, inline,
"other matches", inline pages) returns only paragraphs inside the filter, and a malformed
filter gets the explanation.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import SPEECHES, SPEECHES_QUERY, WAIT
from fake_bot_api import TOKEN, FakeTelegram
from fake_bot_photos import PNG_SIGNATURE, png_size

from store.search.filters import FILTER_HELP

Running = tuple[FakeTelegram, subprocess.Popen[str]]
BY_TITLE = {f"Harbour Address {year}": (year, who, where) for year, who, where in SPEECHES}


@pytest.fixture
def bot_db(speeches_db: Path) -> Path:
    return speeches_db


def say(fake: FakeTelegram, text: str, **kw: Any) -> dict[str, Any]:
    before = len(fake.calls)
    fake.push("message", fake.message(text, **kw))
    return fake.wait_for("sendMessage", since=before, timeout=WAIT)[0].params


def press(fake: FakeTelegram, data: str, message: dict[str, Any]) -> list[str]:
    before = len(fake.calls)
    fake.push("callback_query", fake.callback_query(data, message=message))
    fake.wait_for("answerCallbackQuery", since=before, timeout=WAIT)
    return [c.method for c in fake.calls[before:]]


def ask(fake: FakeTelegram, query: str, offset: str = "") -> dict[str, Any]:
    before = len(fake.calls)
    payload = {"id": f"e2e-{before}", "from": fake.user(), "query": query, "offset": offset}
    fake.push("inline_query", payload)
    return fake.wait_for("answerInlineQuery", since=before, timeout=WAIT)[0].params


def buttons(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["text"]: b for row in message["reply_markup"]["inline_keyboard"] for b in row}


def speech_of(text: str) -> tuple[int, str, str]:
    """(year, speaker, collection) of the made-up speech a card or result cites."""
    found = [facts for title, facts in BY_TITLE.items() if title in text]
    assert len(found) == 1, text
    return found[0]


def stopped_cleanly(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    _, stderr = proc.communicate(timeout=WAIT)
    assert proc.returncode == 0 and "Traceback" not in stderr
    assert TOKEN.split(":")[1] not in stderr


def test_picture_is_uploaded_once_then_sent_by_file_id(running_bot: Running) -> None:
    fake, proc = running_bot
    assert "¶ 10 of 32" in say(fake, "/q servent the peple with the heart of a mothr")["text"]
    card = fake.sent[-1]
    data = buttons(card)["🖼 Picture"]["callback_data"]

    assert press(fake, data, card) == ["sendPhoto", "answerCallbackQuery"]
    upload = fake.calls_of("sendPhoto")[0].params
    png = upload["photo"]
    assert isinstance(png, bytes) and png.startswith(PNG_SIGNATURE)
    width, height = png_size(png) or (0, 0)
    assert width == 1080 and 607 <= height <= 1350
    assert fake.photos.uploads == [png]
    assert upload["chat_id"] == 111 and upload["parse_mode"] == "HTML"
    assert "¶ 10 of 32" in upload["caption"] and "Closing Address" in upload["caption"]
    photo = fake.sent[-1]["photo"]
    assert photo[-1]["width"] == 1080 and fake.sent[-1]["caption"].endswith("· sample")

    assert press(fake, data, card) == ["sendPhoto", "answerCallbackQuery"]
    assert fake.calls_of("sendPhoto")[1].params["photo"] == photo[-1]["file_id"]
    assert len(fake.photos.uploads) == 1  # no second upload
    stopped_cleanly(proc)


def test_filtered_queries_keep_to_the_filter(running_bot: Running) -> None:
    fake, proc = running_bot
    first = ask(fake, f"{SPEECHES_QUERY} by:alice")
    second = ask(fake, f"{SPEECHES_QUERY} by:alice", first["next_offset"])
    results = first["results"] + second["results"]
    assert len(results) == 20 and second["next_offset"] == ""  # Alice's two speeches, whole
    for result in results:
        text = result["input_message_content"]["message_text"]
        assert speech_of(text)[1] == "Alice Keeper" and "Filters: by alice" in text

    card = say(fake, f"/q {SPEECHES_QUERY} from:2002 in:harbour")
    assert speech_of(card["text"]) == (2002, "Bob Pilot", "harbour")
    assert "Filters: from 2002 · in harbour" in card["text"]
    message, seen = fake.sent[-1], 1
    while "🔎 Other matches" in buttons(message):
        methods = press(fake, buttons(message)["🔎 Other matches"]["callback_data"], message)
        assert methods == ["editMessageText", "answerCallbackQuery"]
        edited = fake.calls_of("editMessageText")[-1].params
        year, _speaker, collection = speech_of(edited["text"])
        assert year >= 2002 and collection == "harbour"
        message, seen = fake.sent_message(111, message["message_id"]), seen + 1
    assert seen == 10  # the ten paragraphs of the one speech inside the filter

    for query, problem in (
        (f"{SPEECHES_QUERY} from:2002-13", "from:2002-13 is not a date: there is no month 13"),
        (f"{SPEECHES_QUERY} in:nowhere", "in:nowhere: no such collection"),
    ):
        answer = say(fake, f"/q {query}")["text"]
        assert problem in answer and FILTER_HELP in answer
        [result] = ask(fake, query)["results"]
        assert problem in result["input_message_content"]["message_text"]
    stopped_cleanly(proc)
