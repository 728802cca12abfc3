"""Where the posting schedules run: PTB's JobQueue, one daily job per enabled schedule.

Schedules live in the shared state (:class:`store.state.PostingState`: the SQLite file,
or PostgreSQL shared by replicas); :func:`restore` puts them in the job queue when the bot
starts (``bot.telegram.app._post_init``), :func:`start_job` / :func:`stop_job` follow
/schedule.  :func:`post_scheduled` is the job: the run itself (read the schedule afresh,
claim the run due now, check its creator, post a passage never posted to that chat,
record it, or switch the schedule off) is
:meth:`bot.core.posting.PostingService.run_schedule`; here the job is removed when the
schedule stops, and its creator told why (best effort).  Every replica has the same daily
jobs; one claims each run.  When another replica holds the claim, a one-off job (the
same :func:`post_scheduled`) looks again once that claim expires, so a run whose replica
died mid-post is taken over, not lost.

/watch alerts run here too: :func:`start_watch_job` starts one repeating job,
:func:`check_watches`, that runs :meth:`bot.core.watching.WatchService.check` (which
notices paragraphs stored by another process, sends the new answers, and switches off
the watches of chats that refuse the bot) and tells the owners of the channel watches
it switched off why.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from zoneinfo import ZoneInfo

from telegram.error import TelegramError
from telegram.ext import Application, JobQueue

from bot.core.schedule_runs import ScheduleRun
from bot.telegram.bot_data import Context, bot_data_of
from bot.telegram.render import posting as post_render
from bot.telegram.render import watch as watch_render
from bot.telegram.render.common import RenderedMessage
from store import PostSchedule

log = logging.getLogger(__name__)

JOB_PREFIX = "post-schedule-"
RETRY_SUFFIX = "-retry"
RETRY_MARGIN_SECONDS = 1.0  # look again this long after another replica's claim expires
MISFIRE_GRACE_SECONDS = 600  # a post due while the loop was busy still goes out this late
WATCH_JOB = "watch-check"
WATCH_FIRST_SECONDS = 10.0  # the first check after a start (pending alerts go out then)

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
    for name in (job_name(schedule_id), job_name(schedule_id) + RETRY_SUFFIX):
        for job in job_queue.get_jobs_by_name(name):
            job.schedule_removal()


async def restore(app: Application[Any, Any, Any, Any, Any, Any]) -> int:
    """Put every enabled schedule in the job queue; returns how many."""
    data = bot_data_of(app.bot_data)
    schedules = await data.posting.store.enabled_schedules()
    timezone = data.timezone
    for schedule in schedules:
        start_job(app.job_queue, schedule, timezone)
    if schedules:
        log.info("restored %d scheduled post(s), times in %s", len(schedules), timezone)
    return len(schedules)


async def post_scheduled(context: Context) -> None:
    """The daily job, and the one-off job that looks again at a run another replica
    claimed once its claim has expired (nothing if that replica finished it, else the
    run, taken over): one run of a schedule (:meth:`PostingService.run_schedule
    <bot.core.posting.PostingService.run_schedule>`); then remove the jobs of a schedule
    that is gone or switched off, and tell its creator why it was switched off."""
    job = context.job
    if job is None or not isinstance(job.data, int):
        return
    run = await bot_data_of(context.bot_data).posting.run_schedule(job.data)
    if run.stop:
        stop_job(context.job_queue, job.data)
    await _after_run(context, job.data, run)


async def _after_run(context: Context, schedule_id: int, run: ScheduleRun) -> None:
    if run.retry_at is not None and context.job_queue is not None:
        when = run.retry_at + dt.timedelta(seconds=RETRY_MARGIN_SECONDS)
        log.info(
            "schedule %d: its run is claimed elsewhere; looking again at %s", schedule_id, when
        )
        context.job_queue.run_once(
            post_scheduled, when=when, data=schedule_id, name=job_name(schedule_id) + RETRY_SUFFIX
        )
    if run.schedule is None or run.tell_creator is None:
        return
    if run.tell_creator == "demoted":
        notice = post_render.render_creator_demoted(run.schedule)
    else:
        notice = post_render.render_schedule_stopped(run.schedule, run.reason)
    await _tell_creator(context, run.schedule, notice)


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


def start_watch_job(job_queue: AnyJobQueue | None, seconds: float) -> None:
    """Check the watches every ``seconds`` (one check at a time: a long one is not
    overlapped, and checks it outlasted are not made up)."""
    if job_queue is None:
        log.warning("no job queue (install python-telegram-bot[job-queue]): /watch not run")
        return
    for job in job_queue.get_jobs_by_name(WATCH_JOB):
        job.schedule_removal()
    job_queue.run_repeating(
        check_watches,
        interval=seconds,
        first=min(seconds, WATCH_FIRST_SECONDS),
        name=WATCH_JOB,
        job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
    )


async def check_watches(context: Context) -> None:
    """The repeating job: one check of every due watch; then tell the owners of channel
    and group watches that were switched off (a private chat that refused the bot has no
    one to tell)."""
    report = await bot_data_of(context.bot_data).watching.check()
    if report.alerts or report.pending or report.stopped:
        log.info(
            "watches up to paragraph %s: %d searched, %d alerts sent, %d pending, %d stopped",
            report.up_to,
            report.searched,
            report.alerts,
            report.pending,
            len(report.stopped),
        )
    for stopped in report.stopped:
        watch = stopped.watch
        if watch.chat_id == watch.owner_id:
            continue
        notice = watch_render.render_watch_stopped(stopped)
        try:
            await context.bot.send_message(
                watch.owner_id, notice.text, parse_mode=notice.parse_mode
            )
        except TelegramError as exc:
            log.info("could not tell user %s that a watch stopped: %s", watch.owner_id, exc)
