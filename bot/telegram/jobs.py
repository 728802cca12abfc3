"""Scheduled posts on PTB's JobQueue: one daily job per enabled schedule.

Schedules live in SQLite (:class:`store.db.PostingStore`); :func:`restore` puts them in
the job queue when the bot starts (``bot.telegram.app._post_init``), :func:`start_job` /
:func:`stop_job` follow /schedule.  :func:`post_scheduled` is the job: it reads the
schedule afresh, picks a passage never posted to that chat, posts it, and records it.
When the bot may not post there any more, it switches the schedule off and tells its
creator (best effort).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from zoneinfo import ZoneInfo

from telegram.error import TelegramError
from telegram.ext import Application, JobQueue

from bot.core.posting import ChatInfo
from bot.telegram import chat_access
from bot.telegram.bot_data import Context, bot_data_of
from bot.telegram.render import posting as post_render
from bot.telegram.render.common import RenderedMessage
from store.db import PostSchedule

log = logging.getLogger(__name__)

JOB_PREFIX = "post-schedule-"
MISFIRE_GRACE_SECONDS = 600  # a post due while the loop was busy still goes out this late

AnyJobQueue = JobQueue[Any]


def job_name(schedule_id: int) -> str:
    """The job queue name of a schedule's job."""
    return f"{JOB_PREFIX}{schedule_id}"


def start_job(job_queue: AnyJobQueue | None, schedule: PostSchedule, timezone: str) -> None:
    """(Re)create the daily job of ``schedule``."""
    if job_queue is None:
        log.warning("no job queue (install python-telegram-bot[job-queue]): schedule not run")
        return
    stop_job(job_queue, schedule.id)
    hour, minute = divmod(schedule.minute_of_day, 60)
    job_queue.run_daily(
        post_scheduled,
        time=dt.time(hour, minute, tzinfo=ZoneInfo(timezone)),
        data=schedule.id,
        name=job_name(schedule.id),
        job_kwargs={"misfire_grace_time": MISFIRE_GRACE_SECONDS, "coalesce": True},
    )


def stop_job(job_queue: AnyJobQueue | None, schedule_id: int) -> None:
    """Remove a schedule's job, if there is one."""
    if job_queue is None:
        return
    for job in job_queue.get_jobs_by_name(job_name(schedule_id)):
        job.schedule_removal()


async def restore(app: Application[Any, Any, Any, Any, Any, Any]) -> int:
    """Put every enabled schedule in the job queue; returns how many."""
    data = bot_data_of(app.bot_data)
    schedules = await data.posting.enabled_schedules()
    timezone = data.timezone
    for schedule in schedules:
        start_job(app.job_queue, schedule, timezone)
    if schedules:
        log.info("restored %d scheduled post(s), times in %s", len(schedules), timezone)
    return len(schedules)


async def post_scheduled(context: Context) -> None:
    """The daily job: post the next passage of a schedule to its chat."""
    job = context.job
    if job is None or not isinstance(job.data, int):
        return
    posting = bot_data_of(context.bot_data).posting
    schedule = await posting.schedule(job.data)
    if schedule is None or not schedule.enabled:
        job.schedule_removal()
        return
    if (problem := await _creator_problem(context, schedule)) is not None:
        log.warning("schedule %d: its creator may not post there any more, disabled", schedule.id)
        await posting.finish_run(schedule.id, error=problem, disable=True)
        job.schedule_removal()
        await _tell_creator(context, schedule, post_render.render_creator_demoted(schedule))
        return
    card = await posting.next_card(schedule)
    if card is None:
        log.info("schedule %d: nothing new to post", schedule.id)
        await posting.finish_run(schedule.id, error="nothing new to post")
        return
    rendered = post_render.render_channel_card(
        card, context.bot.username, post_render.PASSAGE_OF_THE_DAY
    )
    try:
        message = await chat_access.publish(context.bot, schedule.chat_id, rendered)
    except chat_access.PostFailed as exc:
        if not exc.lost_rights:
            log.warning("schedule %d: post failed, will try tomorrow: %s", schedule.id, exc)
            await posting.finish_run(schedule.id, error=exc.reason)
            return
        log.warning(
            "schedule %d: cannot post to %s, disabled: %s", schedule.id, schedule.chat_id, exc
        )
        await posting.finish_run(schedule.id, error=exc.reason, disable=True)
        job.schedule_removal()
        await _tell_creator(
            context, schedule, post_render.render_schedule_stopped(schedule, exc.reason)
        )
        return
    if message.chat_id != schedule.chat_id:  # the group became a supergroup
        await posting.chat_moved(schedule.chat_id, message.chat_id)
    await posting.record_post(message.chat_id, card.paragraph.id, message.message_id)
    await posting.finish_run(schedule.id)


async def _creator_problem(context: Context, schedule: PostSchedule) -> str | None:
    """Why the schedule's creator may no longer post in its chat (asked at every run, as
    /post does), or ``None``.  A schedule of a group's anonymous administrators (made by
    the group) has no one to ask; when Telegram will not answer, the post is tried."""
    if schedule.creator_id == schedule.chat_id:
        return None
    where = ChatInfo(
        schedule.chat_id, schedule.chat_type, schedule.chat_title, schedule.chat_username
    )
    try:
        problem = await chat_access.user_problem(context.bot, where, schedule.creator_id)
    except TelegramError as exc:
        log.info("schedule %d: could not check its creator's rights: %s", schedule.id, exc)
        return None
    if problem is None or problem == chat_access.CANNOT_CHECK:
        return None
    return "its creator is no longer an administrator who may post there"


async def _tell_creator(context: Context, schedule: PostSchedule, notice: RenderedMessage) -> None:
    if schedule.creator_id == schedule.chat_id:
        return  # the group's anonymous administrators: no one to write to
    try:
        await context.bot.send_message(
            schedule.creator_id, notice.text, parse_mode=notice.parse_mode
        )
    except TelegramError as exc:  # e.g. they never opened a private chat with the bot
        log.info(
            "could not tell user %s that schedule %d stopped: %s",
            schedule.creator_id,
            schedule.id,
            exc,
        )
