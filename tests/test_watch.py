"""/watch offline: the commands, and the check that sends alerts (run directly, as the
job queue would run it), through the fake Bot API.

New documents are stored in-process here (the end-to-end test stores them with a
separate ``verbatim ingest``); the bot's searches run on connections of their own, so
they see them as they would see another process's.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, verbatim, verbatim_env
from fake_bot_api import BOT_ID, TOKEN, ApiCall, ApiError, FakeTelegram, OfflineBot
from fake_bot_api import RecordingRequest as Recording
from watch_docs import CLOSE_ONLY, ORCHARD, WATCHED, brigade_report, orchard, unrelated

from bot.core.watching import MAX_ALERTS_PER_CHECK, MAX_WATCHES_PER_USER
from bot.settings import SettingsError, check_watch_interval, load_settings
from bot.telegram import jobs
from bot.telegram.app import AnyApplication, build_application, running
from bot.telegram.bot_data import bot_data_of
from store import Watch, content_hash
from store.db.lock import ingest_lock

USER = 111
CHANNEL = -1001234567890
NAME = "verbatim_quotes"
BELL = "🔔 New in "


class WatchBot(OfflineBot):
    """The bot under test, with helpers to store documents and run the check."""

    async def reply(self, text: str, **kw: Any) -> str:
        calls = await self.feed("message", self.fake.message(text, **kw))
        sent = [c for c in calls if c.method == "sendMessage"]
        assert len(sent) == 1, calls
        return str(sent[0].params["text"])

    async def store(self, *docs: Any, vocabulary: bool = True) -> None:
        """Store documents as an ingest does (its last step rebuilds the vocabulary)."""
        db = self.service.db
        await db.insert_documents([(d, content_hash(d.paragraphs)) for d in docs])
        if vocabulary:
            await db.after_bulk_load()

    async def check(self) -> list[ApiCall]:
        """One run of the watch job, as the job queue would run it; the calls it made."""
        (job,) = self.app.job_queue.get_jobs_by_name(jobs.WATCH_JOB)
        context = self.app.context_types.context.from_job(job, self.app)
        before = len(self.fake.calls)
        await jobs.check_watches(context)
        return self.fake.calls[before:]

    async def watches(self) -> list[Watch]:
        return await bot_data_of(self.app.bot_data).watching.watches_of(USER)

    async def link_channel(self) -> None:
        self.fake.add_chat(CHANNEL, "channel", title="Quotes", username=NAME)
        self.fake.set_member(CHANNEL, BOT_ID, "administrator")
        self.fake.set_member(CHANNEL, USER, "creator")
        assert "Linked" in await self.reply(f"/channel add @{NAME}")


def make_app(fake: FakeTelegram, db: Path) -> AnyApplication:
    return build_application(TOKEN, db, request=Recording(fake), rate_limit=False)


@pytest.fixture
async def bot(posting_db: Path) -> AsyncIterator[WatchBot]:
    fake = FakeTelegram()
    fake.chat(USER)
    async with running(make_app(fake, posting_db)) as app:
        yield WatchBot(app, fake)


def alerts(calls: list[ApiCall], chat_id: int = USER) -> list[dict[str, Any]]:
    """The alerts among the calls, sent to ``chat_id``."""
    return [
        c.params
        for c in calls
        if c.method == "sendMessage" and c.params["chat_id"] == chat_id and "🔔" in c.params["text"]
    ]


def alerted_paragraph(alert: dict[str, Any]) -> int:
    """The paragraph id an alert's link (private chat) or URL button (channel) opens."""
    urls = [b.get("url", "") for row in alert["reply_markup"]["inline_keyboard"] for b in row]
    found = [int(m.group(1)) for u in urls if (m := re.search(r"start=p_(\d+)$", u))]
    assert len(found) == 1, urls
    return found[0]


# ---------------------------------------------------------------------- the commands


async def test_watch_list_and_remove(bot: WatchBot) -> None:
    added = await bot.reply(f"/watch {WATCHED}")
    assert added.startswith(f"Watching “<i>{WATCHED}</i>”: when a new document answers it")
    assert "Watch 1 of your list" in added and "<code>/watch remove 1</code>" in added
    await bot.reply("/watch from:2020 by:Keeper servants of the people")
    listed = await bot.reply("/watch list")
    assert listed.splitlines() == [
        "<b>Your watches</b>",
        f"1. “<i>{WATCHED}</i>” → here",
        "2. “<i>from:2020 by:Keeper servants of the people</i>” → here",
    ]
    assert (await bot.reply("/watch remove 1")).startswith(f"Stopped watching “<i>{WATCHED}")
    assert [w.query for w in await bot.watches()] == ["from:2020 by:Keeper servants of the people"]
    await bot.reply("/watch remove 1")
    assert (await bot.reply("/watch list")).startswith("No watches yet")


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("/watch", "/watch words — tell me when a new speech"),
        ("/watch remove", "Say which: /watch remove N"),
        ("/watch remove x", "Say which: /watch remove N"),
        ("/watch remove 3", "You have no watch number 3"),
        ("/watch from:20x2 words", "That filter does not work: from: takes a date"),
        ("/watch by:Kim", "Filters only narrow a search down"),
        ("/watch in:nosuch words", "That filter does not work"),
        ("/watch @nosuchchan words", "That chat is not linked"),
        ("/watch @verbatim_quotes", "/watch words — tell me when a new speech"),
        ("/watch <b>bold</b>", "Watching “<i>&lt;b&gt;bold&lt;/b&gt;</i>”"),
    ],
)
async def test_malformed_watches_get_a_short_answer(
    bot: WatchBot, command: str, expected: str
) -> None:
    assert (await bot.reply(command)).startswith(expected)


async def test_a_long_query_is_cut_and_a_repeated_one_refused(bot: WatchBot) -> None:
    added = await bot.reply("/watch " + "harvest " * 60)
    assert added.startswith("<i>Your text was long, so I watch its first 295 characters.</i>")
    assert (await bot.reply("/watch  Copper apples ")).startswith("Watching")
    assert (await bot.reply("/watch copper APPLES")).startswith("You already watch those words")


async def test_at_most_twenty_watches_per_user(bot: WatchBot) -> None:
    for n in range(MAX_WATCHES_PER_USER):
        assert (await bot.reply(f"/watch harvest number {n}")).startswith("Watching")
    refused = await bot.reply("/watch one more")
    assert refused.startswith(f"You have {MAX_WATCHES_PER_USER} watches, the most I keep")
    assert len(await bot.watches()) == MAX_WATCHES_PER_USER


async def test_in_a_group_the_bot_asks_for_a_private_chat(bot: WatchBot) -> None:
    answer = await bot.reply(f"/watch {WATCHED}", chat_id=-100555, chat_type="supergroup")
    assert answer.startswith("Use /watch in a private chat with me")
    assert await bot.watches() == []


async def test_help_and_the_command_list_name_watch(bot: WatchBot) -> None:
    assert "<code>/watch words</code> tells you when a newly added document" in (
        await bot.reply("/help")
    )
    (commands,) = bot.fake.calls_of("setMyCommands")
    assert "watch" in [c["command"] for c in commands.params["commands"]]


# ---------------------------------------------------------------------- the alerts


async def test_a_new_document_that_answers_is_sent_once(bot: WatchBot) -> None:
    await bot.reply(f"/watch {WATCHED}")
    assert alerts(await bot.check()) == []  # nothing new yet
    await bot.store(orchard())
    (alert,) = alerts(await bot.check())
    text = alert["text"]
    assert text.startswith(f"{BELL}<b>Orchard Address</b>: your watch “<i>{WATCHED}</i>”\n")
    assert "<b>copper apples of the tidewater orchards</b>" in text
    assert "¶ 2 of 3" in text and "✅ exact match" in text
    paragraph = await bot.service.db.get_paragraph(alerted_paragraph(alert))
    assert paragraph.text.startswith("The copper apples")
    assert alerts(await bot.check()) == []  # never twice
    await bot.store(unrelated(1))
    assert alerts(await bot.check()) == []


async def test_only_answers_alert_never_close_passages(bot: WatchBot) -> None:
    await bot.reply(f"/watch {CLOSE_ONLY}")
    await bot.store(orchard())
    outcome = await bot.service.search(CLOSE_ONLY)
    assert type(outcome).__name__ == "NotSure"  # /q offers ¶ 3 as "not sure"...
    assert alerts(await bot.check()) == []  # ...which is no alert
    (watch,) = await bot.watches()
    assert watch.seen_paragraph_id == 35  # checked, and done with


async def test_a_passage_stored_before_the_watch_does_not_alert(bot: WatchBot) -> None:
    await bot.store(orchard())
    await bot.reply(f"/watch {WATCHED}")
    await bot.store(unrelated(1))
    assert alerts(await bot.check()) == []


async def test_filters_keep_every_alert_inside_them(bot: WatchBot) -> None:
    for words in (f"from:2020 {WATCHED}", f"to:2016 {WATCHED}", f"by:Bob {WATCHED}"):
        await bot.reply(f"/watch {words}")
    older = orchard("Old Orchard Address", year=2015, paragraphs=["An older speech.", ORCHARD[1]])
    await bot.store(orchard(year=2021), older)
    sent = alerts(await bot.check())
    headers = sorted(a["text"].split("\n")[0] for a in sent)
    assert headers == [
        f"{BELL}<b>Old Orchard Address</b>: your watch “<i>to:2016 {WATCHED}</i>”",
        f"{BELL}<b>Orchard Address</b>: your watch “<i>from:2020 {WATCHED}</i>”",
    ]
    assert all("<i>Filters: " in a["text"] for a in sent)


async def test_one_alert_per_document_and_a_summary_past_the_cap(bot: WatchBot) -> None:
    await bot.reply(f"/watch {WATCHED}")
    await bot.store(*(brigade_report(n) for n in range(MAX_ALERTS_PER_CHECK + 2)))
    sent = alerts(await bot.check())
    cards, summary = sent[:-1], sent[-1]
    assert len(cards) == MAX_ALERTS_PER_CHECK
    assert len({a["text"].split("\n")[0] for a in cards}) == MAX_ALERTS_PER_CHECK
    assert summary["text"].startswith(f"🔔 And 2 more new documents answer “<i>{WATCHED}</i>”")
    assert alerts(await bot.check()) == []


async def test_documents_of_an_ingest_are_checked_once_it_is_done(bot: WatchBot) -> None:
    await bot.reply(f"/watch {WATCHED}")
    with ingest_lock(bot.service.db.path):  # stored, the vocabulary not rebuilt yet
        await bot.store(orchard(), vocabulary=False)
        assert alerts(await bot.check()) == []
        (watch,) = await bot.watches()
        assert watch.seen_paragraph_id == 32  # not looked at: nothing lost
    # the ingest died before its last step: the check rebuilds the vocabulary itself
    assert len(alerts(await bot.check())) == 1


async def test_a_blocked_bot_stops_the_watch(bot: WatchBot) -> None:
    await bot.reply(f"/watch {WATCHED}")
    await bot.store(orchard())
    bot.fake.fail_methods["sendMessage"] = ApiError(403, "Forbidden: bot was blocked by the user")
    await bot.check()
    del bot.fake.fail_methods["sendMessage"]
    (watch,) = await bot.watches()
    assert not watch.enabled and watch.last_error == "Forbidden: bot was blocked by the user"
    await bot.store(orchard("Second Orchard Address", year=2022, paragraphs=[WATCHED + " again"]))
    assert alerts(await bot.check()) == []
    assert "stopped</i>: Forbidden: bot was blocked by the user" in await bot.reply("/watch list")


async def test_a_passing_failure_keeps_the_alert_for_the_next_check(
    bot: WatchBot, posting_db: Path
) -> None:
    await bot.reply(f"/watch {WATCHED}")
    await bot.store(orchard())
    bot.fake.fail_methods["sendMessage"] = ApiError(500, "Internal Server Error")
    await bot.check()
    del bot.fake.fail_methods["sendMessage"]
    (watch,) = await bot.watches()
    assert watch.enabled and watch.seen_paragraph_id == 32 and watch.last_error
    await bot.app.shutdown()  # a restart: the alert is still pending
    fake = FakeTelegram()
    fake.chat(USER)
    async with running(make_app(fake, posting_db)) as app:
        again = WatchBot(app, fake)
        (alert,) = alerts(await again.check())
        assert alert["text"].startswith(f"{BELL}<b>Orchard Address</b>")
        assert alerts(await again.check()) == []
    await bot.app.initialize()  # let the fixture shut it down again


async def test_a_check_cut_short_sends_only_what_is_left_the_next_time(bot: WatchBot) -> None:
    await bot.reply(f"/watch {WATCHED}")
    await bot.store(brigade_report(1), brigade_report(2))
    answer = bot.fake.handle
    tries = 0

    def second_send_fails(token: str, method: str, params: dict[str, Any]) -> Any:
        nonlocal tries
        if method == "sendMessage":
            tries += 1
            if tries == 2:
                raise ApiError(429, "Too Many Requests: retry after 1")
        return answer(token, method, params)

    bot.fake.handle = second_send_fails  # type: ignore[method-assign]
    before = len(bot.fake.sent)
    await bot.check()
    assert len(bot.fake.sent) == before + 1 and tries == 2  # the second one was refused
    bot.fake.handle = answer  # type: ignore[method-assign]
    assert len(alerts(await bot.check())) == 1  # what was left, and only that
    headers = [m["text"].split("\n")[0] for m in bot.fake.sent[before:]]
    assert sorted(headers) == [
        f"🔔 New in Brigade Report {n}: your watch “{WATCHED}”" for n in (1, 2)
    ]
    assert alerts(await bot.check()) == []


# ---------------------------------------------------------------------- channels


async def test_a_channel_watch_posts_there_and_stops_when_the_bot_is_kicked(
    bot: WatchBot,
) -> None:
    await bot.link_channel()
    added = await bot.reply(f"/watch @{NAME} {WATCHED}")
    assert "I send it to Quotes (@verbatim_quotes)" in added
    await bot.store(orchard())
    (post,) = alerts(await bot.check(), CHANNEL)
    assert post["text"].startswith("<b>🔔 New in Orchard Address</b>\n")
    ((button,),) = post["reply_markup"]["inline_keyboard"]  # one URL button, no ◀ ▶
    assert set(button) == {"text", "url"}
    bot.fake.set_member(CHANNEL, BOT_ID, "kicked")
    await bot.store(orchard("Second Orchard Address", year=2022, paragraphs=[WATCHED + " again"]))
    calls = await bot.check()
    assert len([m for m in bot.fake.sent if m["chat"]["id"] == CHANNEL]) == 1  # the first
    (notice,) = [c.params["text"] for c in calls if c.params.get("chat_id") == USER]
    assert notice.startswith(f"I stopped your watch “<i>{WATCHED}</i>” for Quotes")
    assert "kicked" in notice
    (watch,) = await bot.watches()
    assert not watch.enabled


async def test_a_channel_watch_stops_when_its_owner_is_no_longer_an_admin(
    bot: WatchBot,
) -> None:
    await bot.link_channel()
    await bot.reply(f"/watch @{NAME} {WATCHED}")
    bot.fake.set_member(CHANNEL, USER, "member")
    await bot.store(orchard())
    calls = await bot.check()
    assert alerts(calls, CHANNEL) == []
    (notice,) = [c.params["text"] for c in calls if c.params.get("chat_id") == USER]
    assert "you are no longer an administrator there who may post" in notice
    (watch,) = await bot.watches()
    assert not watch.enabled


async def test_a_channel_watch_needs_the_right_to_post_there(bot: WatchBot) -> None:
    await bot.link_channel()
    bot.fake.set_member(CHANNEL, USER, "administrator", can_post_messages=False)
    refused = await bot.reply(f"/watch @{NAME} {WATCHED}")
    assert refused.startswith("You are an administrator of that channel but may not post there")
    assert await bot.watches() == []


# ---------------------------------------------------------------------- the setting


def test_the_watch_interval_setting(posting_db: Path, tmp_path: Path) -> None:
    """Checked where it is used: ``run`` refuses a bad one (exit 4)."""
    assert load_settings({}).watch_seconds == 60
    assert check_watch_interval(load_settings({"VERBATIM_WATCH_SECONDS": "1.5"}))
    for bad in ("0.5", "86401", "soon", "nan"):
        settings = load_settings({"VERBATIM_WATCH_SECONDS": bad})  # reading never fails
        with pytest.raises(SettingsError, match="VERBATIM_WATCH_SECONDS"):
            check_watch_interval(settings)
    env = verbatim_env(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, VERBATIM_WATCH_SECONDS="0")
    run = subprocess.run(
        verbatim("run", "--db", str(posting_db)),
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 4 and "VERBATIM_WATCH_SECONDS=0 is not in 1..86400" in run.stderr


async def test_a_new_answer_alerts_however_many_older_paragraphs_answer_too(bot: WatchBot) -> None:
    # more older paragraphs answer the watch word for word than one search page holds
    await bot.store(*(brigade_report(n) for n in range(1, 71)))
    await bot.reply(f"/watch {WATCHED}")
    assert alerts(await bot.check()) == []
    await bot.store(brigade_report(71))
    (alert,) = alerts(await bot.check())
    assert alert["text"].startswith(f"{BELL}<b>Brigade Report 71</b>")
