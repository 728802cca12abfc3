"""When a schedule's daily run is due, and what one run did.

A run is identified by its due moment: the latest ``HH:MM`` of the schedule, in the
bot's timezone, at or before now (:func:`due_time`).  Every replica whose job fires for
that run computes the same moment, and the shared state lets only one of them claim it
(:meth:`store.state.PostingState.claim_schedule_run`); the others are told it is done or
held, and until when (:class:`ScheduleRun` ``retry_at``: look again then, and take the run
over if its holder died).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

from store import PostSchedule

CLAIM_LEASE_SECONDS = 300.0  # a run's claim expires after this (its holder died)


def due_time(minute_of_day: int, timezone: str, now: dt.datetime) -> dt.datetime:
    """The latest ``minute_of_day`` (minutes after midnight in ``timezone``) at or before
    ``now``, in UTC: the run a job firing at ``now`` is for (even if it fires late)."""
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    hour, minute = divmod(minute_of_day, 60)
    day = local.date()
    due = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zone)
    if due > local:
        due = dt.datetime.combine(day - dt.timedelta(days=1), dt.time(hour, minute), tzinfo=zone)
    return due.astimezone(dt.UTC)


@dataclass(frozen=True, slots=True)
class ScheduleRun:
    """What one run of a schedule did, for the job queue: whether to stop its job, and
    whether to tell its creator why it was switched off (``reason``: the post's error).
    ``retry_at``: another process holds this run's claim until then; look again then
    (and take the run over if that process died)."""

    schedule: PostSchedule | None
    stop: bool = False
    tell_creator: Literal["demoted", "cannot post"] | None = None
    reason: str = ""
    retry_at: dt.datetime | None = None
