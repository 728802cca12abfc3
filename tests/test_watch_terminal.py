"""/watch in ``verbatim chat``: the terminal chat looks for its own chat's alerts while it
runs, and leaves the watches of a database's other chats alone (only the bot can reach
them: the terminal would fail to send there and switch them off)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fake_bot_api import FakeTelegram
from test_terminal_chat import Chat
from test_watch import WatchBot, alerts, make_app
from test_watch_e2e import ingest
from watch_docs import ORCHARD, WATCHED, orchard

from bot.telegram.app import running
from bot.telegram.bot_data import bot_data_of

USER, OTHER = 111, 222


@pytest.fixture
async def bot(posting_db: Path) -> AsyncIterator[WatchBot]:
    fake = FakeTelegram()
    fake.chat(USER)
    fake.chat(OTHER)
    async with running(make_app(fake, posting_db)) as app:
        yield WatchBot(app, fake)


async def test_a_check_for_one_chat_leaves_the_other_chats_watches_alone(bot: WatchBot) -> None:
    await bot.reply(f"/watch {WATCHED}")
    await bot.reply(f"/watch {WATCHED}", chat_id=OTHER, user_id=OTHER)
    await bot.store(orchard())
    watching = bot_data_of(bot.app.bot_data).watching
    (theirs,) = await watching.watches_of(OTHER)

    before = len(bot.fake.calls)
    report = await watching.check(chat_id=USER)
    calls = bot.fake.calls[before:]
    assert report.alerts == 1 and len(alerts(calls, USER)) == 1
    assert alerts(calls, OTHER) == []
    assert await watching.watches_of(OTHER) == [theirs]  # not looked at: its cursor stays

    before = len(bot.fake.calls)
    await watching.check()  # the bot's own check: every chat's, the other one's is due
    calls = bot.fake.calls[before:]
    assert len(alerts(calls, OTHER)) == 1 and alerts(calls, USER) == []


def test_the_terminal_chat_shows_an_alert_while_it_runs(tmp_path: Path) -> None:
    chat = Chat(tmp_path, VERBATIM_WATCH_SECONDS="1")
    try:
        at = chat.send(f"/watch {WATCHED}")
        chat.expect(f"^Watching “{WATCHED}”", at)
        db = tmp_path / "data" / "verbatim" / "verbatim.db"  # the default, made on first use
        ingest(db, tmp_path, "orchard", "Orchard Address", ORCHARD)  # another process
        # nothing typed: the alert comes by itself, as the bot's message
        alert = chat.expect(r"^bot:\n🔔 New in Orchard Address: your watch “(.*)”\n", at)
        assert alert.group(1) == WATCHED
        chat.expect(r"¶ 2 of 3", alert.start() + at)
        chat.expect(r"\(a /watch alert arrived: the numbers now press its buttons\)", at)
        code, err = chat.close()
        assert code == 0, err
        assert "Traceback" not in err
    finally:
        if chat.proc.poll() is None:
            chat.proc.kill()
            chat.proc.wait(timeout=10)
