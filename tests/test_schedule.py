"""/schedule offline: persisted schedules, restored at start, the daily job run directly.

The job queue is never started here: jobs are looked up by name and their callback is
called with a context made for them, so nothing depends on the clock.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from fake_bot_api import BOT_ID, TOKEN, ApiCall, ApiError, FakeTelegram
from fake_bot_api import RecordingRequest as Recording
from posting_bot import CHANNEL, NAME, USER, PostingBot

from bot.cli.main import main as cli_main
from bot.settings import SettingsError, check_timezone, load_settings
from bot.telegram import jobs as schedule
from bot.telegram.app import AnyApplication, build_application, running
from bot.telegram.bot_data import bot_data_of
from store.db import PostSchedule

OTHER = 222
GROUP = -1009876543210
PARAGRAPHS = 32  # in the bundled sample
MANY_HITS = "secretaries of primary party committees"  # 11 matching paragraphs in the sample


class Bot(PostingBot):
    """The bot under test with a linked channel."""

    def jobs(self) -> dict[str, Any]:
        return {job.name: job for job in self.app.job_queue.jobs()}

    async def stored_schedule(self, schedule_id: int = 1) -> PostSchedule:
        """A schedule as the database holds it (it must exist)."""
        state = await bot_data_of(self.app.bot_data).posting.store.get_schedule(schedule_id)
        assert state is not None
        return state


def make_app(fake: FakeTelegram, db: Path, timezone: str = "UTC") -> AnyApplication:
    return build_application(
        TOKEN, db, request=Recording(fake), rate_limit=False, timezone=timezone
    )


@pytest.fixture
async def bot(posting_db: Path) -> AsyncIterator[Bot]:
    fake = FakeTelegram()
    fake.chat(USER)
    async with running(make_app(fake, posting_db)) as app:
        yield Bot(app, fake)


def channel_posts(calls: list[ApiCall]) -> list[dict[str, Any]]:
    return [c.params for c in calls if c.method == "sendMessage" and c.params["chat_id"] == CHANNEL]


def posted_paragraph(post: dict[str, Any]) -> int:
    url = post["reply_markup"]["inline_keyboard"][0][0]["url"]
    match = re.search(r"start=p_(\d+)$", url)
    assert match, url
    return int(match.group(1))


def trigger_time(job: Any) -> tuple[str, str, str]:
    fields = {f.name: str(f) for f in job.job.trigger.fields}
    return fields["hour"], fields["minute"], str(job.job.trigger.timezone)


async def test_a_schedule_is_stored_and_restored_after_a_restart(
    bot: Bot, posting_db: Path
) -> None:
    await bot.link_channel()
    text = await bot.reply(f"/schedule @{NAME} daily 08:30")
    assert text.startswith("Schedule #1: every day at 08:30 UTC, a random passage to Quotes")
    assert trigger_time(bot.jobs()["post-schedule-1"]) == ("8", "30", "UTC")
    listed = await bot.reply("/schedule list")
    assert "#1 08:30 UTC · a random passage → Quotes (@verbatim_quotes)" in listed
    await bot.app.shutdown()  # the bot stops; a new process starts on the same database
    fake = FakeTelegram()
    async with running(make_app(fake, posting_db, timezone="Europe/Berlin")) as app:
        assert app.job_queue is not None
        (job,) = app.job_queue.get_jobs_by_name("post-schedule-1")
        assert trigger_time(job) == ("8", "30", "Europe/Berlin")
        assert job.data == 1
    await bot.app.initialize()  # let the fixture shut it down again


async def test_the_job_posts_new_matches_and_never_repeats_a_paragraph(bot: Bot) -> None:
    await bot.link_channel()
    assert "#1" in await bot.reply(f"/schedule 1 daily 07:05 {MANY_HITS}")
    posted: list[int] = []
    for _ in range(3):
        (post,) = channel_posts(await bot.run_job(1))
        assert post["text"].startswith("<b>📜 Passage of the day</b>\n")
        posted.append(posted_paragraph(post))
    assert len(set(posted)) == 3
    best = await bot.service.search(MANY_HITS)
    assert posted[0] == best.paragraph.id  # the best match first, then the next best
    state = await bot.stored_schedule(1)
    assert state.enabled and state.last_posted_at and state.last_error is None


async def test_a_random_schedule_posts_every_paragraph_once_then_stops_posting(bot: Bot) -> None:
    await bot.link_channel()
    on_demand = await bot.feed("message", bot.fake.message(f"/post @{NAME} heart of a mother"))
    first = posted_paragraph(channel_posts(on_demand)[0])  # /post counts as posted too
    await bot.reply("/schedule 1 daily 00:00")
    posted = {first}
    for _ in range(PARAGRAPHS - 1):
        (post,) = channel_posts(await bot.run_job(1))
        assert posted_paragraph(post) not in posted
        posted.add(posted_paragraph(post))
    assert channel_posts(await bot.run_job(1)) == []  # everything was posted once
    state = await bot.stored_schedule(1)
    assert state.enabled and state.last_error == "nothing new to post"


async def test_a_job_on_a_chat_that_forbids_the_bot_disables_the_schedule(bot: Bot) -> None:
    await bot.link_channel()
    await bot.reply(f"/schedule @{NAME} daily 09:00")
    bot.fake.set_member(CHANNEL, BOT_ID, "kicked")
    calls = await bot.run_job(1)
    assert channel_posts(calls) == [] or bot.fake.sent[-1]["chat"]["id"] == USER
    notice = [c.params["text"] for c in calls if c.params.get("chat_id") == USER]
    assert len(notice) == 1 and notice[0].startswith("I stopped schedule #1 (Quotes")
    assert "kicked" in notice[0]
    state = await bot.stored_schedule(1)
    assert not state.enabled and state.last_error and "kicked" in state.last_error
    assert "post-schedule-1" not in bot.jobs()
    assert "stopped" in await bot.reply("/schedule list")


async def test_a_schedule_stopped_by_its_daily_job_loses_its_pending_retry_too(
    bot: Bot,
) -> None:
    await bot.link_channel()
    await bot.reply(f"/schedule @{NAME} daily 09:00")
    retry = schedule.job_name(1) + schedule.RETRY_SUFFIX
    bot.app.job_queue.run_once(schedule.post_scheduled, when=3600, data=1, name=retry)
    bot.fake.set_member(CHANNEL, BOT_ID, "kicked")
    await bot.run_job(1)
    assert not (await bot.stored_schedule(1)).enabled
    assert "post-schedule-1" not in bot.jobs() and retry not in bot.jobs()


async def test_a_passing_failure_keeps_the_schedule(bot: Bot) -> None:
    await bot.link_channel()
    await bot.reply(f"/schedule @{NAME} daily 09:00")
    bot.fake.fail_methods["sendMessage"] = ApiError(500, "Internal Server Error")
    await bot.run_job(1)
    del bot.fake.fail_methods["sendMessage"]
    state = await bot.stored_schedule(1)
    assert state.enabled and state.last_error and "post-schedule-1" in bot.jobs()
    assert len(channel_posts(await bot.run_job(1))) == 1  # and it posts the next time


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (f"/schedule @{NAME} weekly 08:30", "Say when: daily HH:MM"),
        (f"/schedule @{NAME} daily 24:00", "The time must be HH:MM"),
        (f"/schedule @{NAME} daily 8h30", "The time must be HH:MM"),
        (f"/schedule @{NAME} daily <b>", "The time must be HH:MM"),
        ("/schedule @a!b daily 08:30", "I can't read that chat name"),
        ("/schedule @other_chan daily 08:30", "That chat is not linked"),
        ("/schedule 7 daily 08:30", "You have no linked chat number 7"),
        (f"/schedule @{NAME} daily 08:30 zqxjv wqpfk", "No passage matches those words"),
        (f"/schedule @{NAME} daily 08:30 collection:<i>", "There is no collection '&lt;i&gt;'"),
        (f"/schedule @{NAME} daily 08:30 {'word ' * 60}", "Keep the words of a schedule under"),
        ("/schedule remove abc", "Say which: /schedule remove N"),
        ("/schedule remove 99", "There is no schedule #99 that you can remove"),
        ("/schedule", "/schedule @name daily HH:MM"),
    ],
)
async def test_malformed_schedules_get_a_short_answer(
    bot: Bot, command: str, expected: str
) -> None:
    await bot.link_channel()
    assert (await bot.reply(command)).startswith(expected)
    assert not [name for name in bot.jobs() if name.startswith(schedule.JOB_PREFIX)]


async def test_only_the_creator_or_an_admin_of_the_chat_removes_a_schedule(bot: Bot) -> None:
    await bot.link_channel()
    await bot.reply(f"/schedule @{NAME} daily 09:00")
    bot.fake.chat(OTHER)
    bot.fake.set_member(CHANNEL, OTHER, "member")
    refused = await bot.reply("/schedule remove 1", chat_id=OTHER, user_id=OTHER)
    assert refused.startswith("There is no schedule #1 that you can remove")
    assert await bot.reply("/schedule list", chat_id=OTHER, user_id=OTHER) == "No schedules."
    bot.fake.set_member(CHANNEL, OTHER, "administrator")
    removed = await bot.reply("/schedule remove 1", chat_id=OTHER, user_id=OTHER)
    assert removed.startswith("Removed schedule #1 (Quotes")
    assert "post-schedule-1" not in bot.jobs()
    await bot.reply(f"/schedule @{NAME} daily 10:00")
    assert "Removed schedule #2" in await bot.reply("/schedule remove 2")
    await bot.reply(f"/schedule @{NAME} daily 11:00")
    unlinked = await bot.reply("/channel remove 1")  # unlinking drops the user's schedules
    assert "Removed your schedules there: #3" in unlinked and "post-schedule-3" not in bot.jobs()


async def test_group_admins_schedule_for_the_group(bot: Bot) -> None:
    bot.fake.add_chat(GROUP, "supergroup", title="Readers")
    bot.fake.set_member(GROUP, BOT_ID, "member")
    bot.fake.set_member(GROUP, USER, "administrator")
    bot.fake.set_member(GROUP, OTHER, "member")
    kw: dict[str, Any] = {"chat_id": GROUP, "chat_type": "supergroup"}
    assert (await bot.reply("/schedule daily 12:00", user_id=OTHER, **kw)).startswith("Only")
    made = await bot.reply("/schedule daily 12:00 collection:sample", **kw)
    assert made.startswith("Schedule #1: every day at 12:00 UTC, a random passage from sample")
    assert "#1 12:00 UTC" in await bot.reply("/schedule list", user_id=OTHER, **kw)
    assert (await bot.reply("/schedule remove 1", user_id=OTHER, **kw)).startswith("Only")
    calls = await bot.run_job(1)
    assert [c.params["chat_id"] for c in calls if c.method == "sendMessage"] == [GROUP]
    assert "Removed schedule #1" in await bot.reply("/schedule remove 1", **kw)
    assert (await bot.reply("/schedule", **kw)).startswith("/schedule daily HH:MM")


def test_the_timezone_setting(
    posting_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checked where it is used: ``run`` refuses a bad one (exit 4), other commands
    (and reading the settings) do not care."""
    assert load_settings({}).timezone == "UTC"
    assert check_timezone(load_settings({"VERBATIM_TIMEZONE": "Asia/Seoul"}).timezone)
    for bad in ("Mars/Olympus", "../../etc/passwd", "Europe"):
        settings = load_settings({"VERBATIM_TIMEZONE": bad})  # reading never fails
        with pytest.raises(SettingsError, match="VERBATIM_TIMEZONE"):
            check_timezone(settings.timezone)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("VERBATIM_", "TELEGRAM_"))},
        "VERBATIM_TIMEZONE": "Mars/Olympus",
        "TELEGRAM_BOT_TOKEN": TOKEN,
    }
    db = str(posting_db)  # an existing database: only the setting is wrong
    command = [sys.executable, "-m", "bot.cli", "run", "--db", db]
    run = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 4 and "VERBATIM_TIMEZONE='Mars/Olympus'" in run.stderr
    monkeypatch.setenv("VERBATIM_TIMEZONE", "Mars/Olympus")
    assert cli_main(["stats", "--db", db]) == 0
    assert cli_main(["backup", "--db", db, str(tmp_path / "copy.db")]) == 0


async def test_a_schedule_stops_when_its_creator_is_no_longer_an_admin(bot: Bot) -> None:
    await bot.link_channel()
    await bot.reply(f"/schedule @{NAME} daily 09:00")
    bot.fake.set_member(CHANNEL, USER, "member")  # demoted after making the schedule
    calls = await bot.run_job(1)
    assert channel_posts(calls) == []
    (notice,) = [c.params["text"] for c in calls if c.params.get("chat_id") == USER]
    assert notice.startswith("I stopped schedule #1 (Quotes") and "no longer an admin" in notice
    state = await bot.stored_schedule(1)
    assert not state.enabled and "no longer an administrator" in (state.last_error or "")
    assert "post-schedule-1" not in bot.jobs()


async def test_a_schedule_of_anonymous_group_admins_belongs_to_the_group(bot: Bot) -> None:
    bot.fake.add_chat(GROUP, "supergroup", title="Readers")
    bot.fake.set_member(GROUP, BOT_ID, "member")
    msg = bot.fake.message("/schedule daily 12:00", chat_id=GROUP, chat_type="supergroup")
    msg["from"] = bot.fake.user(1087968824, "Group")  # GroupAnonymousBot, shared by all groups
    msg["sender_chat"] = {"id": GROUP, "type": "supergroup", "title": "Readers"}
    calls = await bot.feed("message", msg)
    assert calls[-1].params["text"].startswith("Schedule #1: every day at 12:00 UTC")
    state = await bot.stored_schedule(1)
    assert state.creator_id == GROUP  # not 1087968824: no shared per-user limit, no one to ask
    calls = await bot.run_job(1)
    assert [c.params["chat_id"] for c in calls if c.method == "sendMessage"] == [GROUP]
    assert "getChatMember" not in [c.method for c in calls]
    assert (await bot.stored_schedule(1)).enabled


async def test_a_schedule_whose_first_search_fails_is_not_kept(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    await bot.link_channel()

    async def broken(*args: Any, **kw: Any) -> Any:
        raise RuntimeError("the search pool is gone")

    monkeypatch.setattr(bot.service.searcher, "search", broken)
    calls = await bot.feed("message", bot.fake.message(f"/schedule @{NAME} daily 08:30 heart"))
    assert "went wrong" in calls[-1].params["text"]  # the error handler answered
    posting = bot_data_of(bot.app.bot_data).posting
    assert await posting.schedules_of_user(USER) == []  # nothing to restore at the next start
    assert not [name for name in bot.jobs() if name.startswith(schedule.JOB_PREFIX)]


async def test_a_channel_admin_sees_and_removes_another_admins_schedule(bot: Bot) -> None:
    await bot.link_channel()
    await bot.reply(f"/schedule @{NAME} daily 09:00")
    bot.fake.chat(OTHER)
    bot.fake.set_member(CHANNEL, OTHER, "administrator")
    other = {"chat_id": OTHER, "user_id": OTHER}
    assert await bot.reply("/schedule list", **other) == "No schedules."  # not linked yet
    assert "Linked" in await bot.reply(f"/channel add @{NAME}", **other)
    listed = await bot.reply("/schedule list", **other)
    assert "#1 09:00 UTC · a random passage → Quotes" in listed
    assert (await bot.reply("/schedule remove 1", **other)).startswith("Removed schedule #1")
    assert await bot.reply("/schedule list") == "No schedules."


@pytest.mark.parametrize("refusal", ["CHAT_RESTRICTED", "CHAT_SEND_PLAIN_FORBIDDEN"])
async def test_a_chat_that_refuses_text_posts_disables_the_schedule(bot: Bot, refusal: str) -> None:
    await bot.link_channel()
    await bot.reply(f"/schedule @{NAME} daily 09:00")
    bot.fake.fail_methods["sendMessage"] = ApiError(400, f"Bad Request: {refusal}")
    await bot.run_job(1)  # retrying tomorrow would not help
    del bot.fake.fail_methods["sendMessage"]
    state = await bot.stored_schedule(1)
    assert not state.enabled and refusal.lower() in (state.last_error or "").lower()
    assert "post-schedule-1" not in bot.jobs()
