"""The offline bot of the posting tests (tests/test_schedule.py,
tests/test_posting_pictures.py): a user who links a channel, and a schedule's daily job run
directly, as the job queue would run it (the job queue is never started)."""

from __future__ import annotations

from typing import Any

from conftest import next_day
from fake_bot_api import BOT_ID, ApiCall, OfflineBot

from bot.telegram import jobs
from bot.telegram.bot_data import bot_data_of

USER = 111
CHANNEL = -1001234567890
NAME = "verbatim_quotes"


class PostingBot(OfflineBot):
    """The bot under test, driven by USER, who may link the channel @NAME."""

    async def say(self, text: str, **kw: Any) -> list[ApiCall]:
        return await self.feed("message", self.fake.message(text, **kw))

    async def reply(self, text: str, **kw: Any) -> str:
        """The text of the one message the bot sends in answer to ``text``."""
        calls = await self.say(text, **kw)
        sent = [c for c in calls if c.method == "sendMessage"]
        assert len(sent) == 1, calls
        return str(sent[0].params["text"])

    async def link_channel(self) -> None:
        """Make the channel @NAME (the bot its administrator, USER its creator) and link it."""
        self.fake.add_chat(CHANNEL, "channel", title="Quotes", username=NAME)
        self.fake.set_member(CHANNEL, BOT_ID, "administrator")
        self.fake.set_member(CHANNEL, USER, "creator")
        assert "Linked" in await self.reply(f"/channel add @{NAME}")

    async def run_job(self, schedule_id: int) -> list[ApiCall]:
        """Run a schedule's job as the job queue would, each time on the next day (a
        day's run is posted once); the calls it made."""
        next_day(bot_data_of(self.app.bot_data).posting)
        (job,) = self.app.job_queue.get_jobs_by_name(jobs.job_name(schedule_id))
        context = self.app.context_types.context.from_job(job, self.app)
        before = len(self.fake.calls)
        await jobs.post_scheduled(context)
        return self.fake.calls[before:]
