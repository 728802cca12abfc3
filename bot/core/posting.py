"""Posting to channels and groups: the rules and workflows behind /channel, /post, /schedule.

:class:`PostingService` keeps links, schedules and what was posted where (in the shared
state, :class:`store.state.PostingState`), picks passages, and runs the workflows, each written
once: link a chat after checking both sides' rights, post a passage (publish → follow a
group that became a supergroup → record the post, for /post and for schedules alike),
who may remove a schedule, and one scheduled run (claim it, so that of several replicas
one posts it — :mod:`bot.core.schedule_runs` — then check its creator, post, or switch it
off).  Who may do what is decided by :mod:`bot.core.access`, and the chat service is
asked through its :class:`~bot.core.access.ChatGateway`: nothing here imports
``telegram``.  Command arguments are read by :mod:`bot.core.posting_args`.
:mod:`bot.telegram.handlers.posting` and :mod:`bot.telegram.jobs` drive this module;
:mod:`bot.telegram.render.posting` renders what it returns.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from bot.core.access import (
    CANNOT_CHECK,
    ChatGateway,
    ChatInfo,
    GatewayError,
    MemberRights,
    PostedMessage,
    PostFailed,
    bot_post_problem,
    user_problem,
)
from bot.core.digits import parse_digits
from bot.core.filtering import FilteredQuery, split_query
from bot.core.posting_args import ChatRef, PostingError, ScheduleSpec
from bot.core.schedule_runs import CLAIM_LEASE_SECONDS, ScheduleRun, due_time
from bot.core.service import VerbatimService
from bot.core.views import Card, NoMatch, NotSure, Problem
from bot.settings import DEFAULT_TIMEZONE
from store import PostSchedule, PostTarget
from store.state import PostingState

log = logging.getLogger(__name__)

MAX_TARGETS_PER_USER = 20
MAX_SCHEDULES_PER_CHAT = 5
MAX_SCHEDULES_PER_USER = 20
SCHEDULE_CANDIDATES = 50  # a scheduled query posts the best of this many hits not yet posted

NOT_FOUND = (
    "I can't find that chat. Check the name; for a private channel or group, add me "
    "first (as an administrator of a channel) and use its numeric id."
)
GROUP_ADMINS_ONLY = (
    "Only the group's administrators can post here with me; /q searches for everyone."
)
SAY_WHICH = "Say which: /schedule remove N, with N from /schedule list."
NO_SCHEDULE = "There is no schedule #{} that you can remove here. See /schedule list."
NOTHING_NEW = "nothing new to post"
CREATOR_DEMOTED = "its creator is no longer an administrator who may post there"


@dataclass(frozen=True, slots=True)
class Requester:
    """Who asks, and where: ``group`` is the group a command came from (``None`` in a
    private chat); ``as_group`` when one of its anonymous administrators sent it (the
    message then comes from the group itself, through the shared GroupAnonymousBot)."""

    user_id: int
    group: ChatInfo | None = None
    as_group: bool = False


def _target_chat(target: PostTarget) -> ChatInfo:
    return ChatInfo(target.chat_id, target.chat_type, target.title, target.username)


def _schedule_chat(schedule: PostSchedule) -> ChatInfo:
    return ChatInfo(
        schedule.chat_id, schedule.chat_type, schedule.chat_title, schedule.chat_username
    )


class PostingService:
    """Links, posts and schedules over one database; see the module docstring."""

    def __init__(
        self,
        store: PostingState,
        service: VerbatimService,
        chats: ChatGateway,
        *,
        timezone: str = DEFAULT_TIMEZONE,
    ) -> None:
        self.store = store
        self.service = service
        self.chats = chats
        self.timezone = timezone  # the schedules' HH:MM are in this zone
        # what time it is (a seam for tests that run several days' runs at once)
        self.clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
        self._limits = asyncio.Lock()  # updates run concurrently: count and insert as one

    # ------------------------------------------------------------------ rights

    async def check_manager(self, chat: ChatInfo, user_id: int) -> None:
        """Refuse unless ``user_id`` may post and schedule in ``chat`` now (checked with
        the chat service at every request, not only when linking)."""
        if problem := await user_problem(self.chats, chat, user_id):
            raise PostingError(problem)

    async def group_actor(self, requester: Requester) -> int:
        """Who acts for a request made in a group: the group itself for its anonymous
        administrators, else the user, who must be one of its administrators."""
        group = requester.group
        if group is None:
            raise ValueError("the request was not made in a group")
        if requester.as_group:
            return group.chat_id
        if await user_problem(self.chats, group, requester.user_id) is not None:
            raise PostingError(GROUP_ADMINS_ONLY)
        return requester.user_id

    # ------------------------------------------------------------------ links

    async def link_chat(self, owner_id: int, ref: ChatRef) -> tuple[PostTarget, bool]:
        """/channel add: check that the bot may post in the chat and that the user
        administers it, then :meth:`link` it; returns (link, newly linked)."""
        found = await self.chats.fetch_chat(ref.api_id)
        if found is None:
            raise PostingError(NOT_FOUND)
        chat, members_can_send = found
        own = await self.chats.member_rights(chat.chat_id, self.chats.bot_id)
        problem = bot_post_problem(chat, own or MemberRights("left"), members_can_send)
        if problem is None:
            problem = await user_problem(self.chats, chat, owner_id)
        if problem is not None:
            raise PostingError(problem)
        return await self.link(owner_id, chat)

    async def link(self, owner_id: int, chat: ChatInfo) -> tuple[PostTarget, bool]:
        """Link ``chat`` for ``owner_id``; returns (link, newly linked)."""
        async with self._limits:
            linked = await self.store.list_targets(owner_id)
            is_new = all(target.chat_id != chat.chat_id for target in linked)
            if is_new and len(linked) >= MAX_TARGETS_PER_USER:
                raise PostingError(
                    f"You have {MAX_TARGETS_PER_USER} linked chats, the most I keep: "
                    "remove one with /channel remove first."
                )
            return await self.store.link_target(
                owner_id, chat.chat_id, chat.chat_type, chat.title, chat.username
            )

    async def resolve(self, owner_id: int, ref: ChatRef) -> PostTarget:
        """The linked chat a user means; raises when it is not one of theirs."""
        targets = await self.store.list_targets(owner_id)
        if ref.number is not None:
            if ref.number <= len(targets):
                return targets[ref.number - 1]
            raise PostingError(f"You have no linked chat number {ref.number}: see /channel list.")
        for target in targets:
            if target.chat_id == ref.chat_id or (
                ref.username is not None
                and (target.username or "").casefold() == ref.username.casefold()
            ):
                return target
        raise PostingError(
            "That chat is not linked. Link it first with /channel add @name (you must be "
            "one of its administrators)."
        )

    async def linked_chat(self, owner_id: int, ref: ChatRef) -> ChatInfo:
        """The linked chat a user means, as a chat (see :meth:`resolve`)."""
        return _target_chat(await self.resolve(owner_id, ref))

    async def unlink(self, owner_id: int, ref: ChatRef) -> tuple[PostTarget, list[int]]:
        """Remove a user's link (and their schedules there); returns it and the schedule ids."""
        target = await self.resolve(owner_id, ref)
        return target, await self.store.unlink_target(owner_id, target.chat_id)

    # ------------------------------------------------------------------ posts

    async def publish(
        self,
        chat_id: int,
        card: Card,
        *,
        of_the_day: bool = False,
        thread_id: int | None = None,
        picture: bool = False,
    ) -> PostedMessage:
        """Post ``card`` to a chat (as a quote picture when ``picture``), follow the chat
        if it became a supergroup (its links, schedules and posted log move to the new
        id), and record what was posted where, so that schedules never repeat it.
        Raises :class:`PostFailed`."""
        posted = await self.chats.publish(
            chat_id, card, of_the_day=of_the_day, thread_id=thread_id, picture=picture
        )
        if posted.chat_id != chat_id:  # the group became a supergroup
            await self.store.move_chat(chat_id, posted.chat_id, "supergroup")
        await self.store.record_post(posted.chat_id, card.paragraph.id, posted.message_id)
        return posted

    async def post(
        self, where: ChatInfo, query: str, thread_id: int | None = None, *, picture: bool = False
    ) -> tuple[Card, PostedMessage] | NotSure | NoMatch | Problem:
        """/post: publish the best match for ``query`` (the same search as /q, filters
        included) in ``where``, as a quote picture when ``picture``; what the search said
        instead when it has no answer (nothing is posted: suggestions are offered as to
        /q, never posted)."""
        outcome = await self.service.search(query)
        if not isinstance(outcome, Card):
            return outcome
        try:
            posted = await self.publish(
                where.chat_id, outcome, thread_id=thread_id, picture=picture
            )
        except PostFailed as exc:
            raise PostingError(f"I couldn't post to {where.title}: {exc.reason}") from None
        return outcome, posted

    # ------------------------------------------------------------------ schedules

    async def add_schedule(
        self, creator_id: int, chat: ChatInfo, spec: ScheduleSpec
    ) -> PostSchedule:
        """Store a daily schedule after checking limits, its filters, and that it has
        something to post."""
        if spec.collection and not await self.service.db.count_documents(spec.collection):
            raise PostingError(f"There is no collection {spec.collection!r}: see /stats.")
        found = await split_query(self.service.db, spec.query) if spec.query else None
        if isinstance(found, Problem):  # a filter among the words that does not work
            raise PostingError(found.message)
        async with self._limits:
            if len(await self.store.list_schedules(chat_id=chat.chat_id)) >= MAX_SCHEDULES_PER_CHAT:
                raise PostingError(
                    f"That chat already has {MAX_SCHEDULES_PER_CHAT} schedules, the most I keep."
                )
            if (
                len(await self.store.list_schedules(creator_id=creator_id))
                >= MAX_SCHEDULES_PER_USER
            ):
                raise PostingError(f"You have {MAX_SCHEDULES_PER_USER} schedules, the most I keep.")
            schedule = await self.store.add_schedule(
                chat_id=chat.chat_id,
                chat_type=chat.chat_type,
                chat_title=chat.title,
                chat_username=chat.username,
                creator_id=creator_id,
                minute_of_day=spec.minute_of_day,
                query=spec.query,
                collection=spec.collection,
                picture=spec.picture,
            )
        card: Card | None = None
        try:  # the row goes again if there is nothing to post or the search fails
            card = await self.next_card(schedule)
        finally:
            if card is None:
                await self.store.remove_schedule(schedule.id)
        if card is None:
            raise PostingError("No passage matches those words, so there would be nothing to post.")
        return schedule

    async def schedules_of_user(self, user_id: int) -> list[PostSchedule]:
        """The schedules a user created, anywhere, and those of the chats they linked (so
        that a channel's administrators see, and may remove, each other's), by id."""
        found = {s.id: s for s in await self.store.list_schedules(creator_id=user_id)}
        for target in await self.store.list_targets(user_id):
            found.update((s.id, s) for s in await self.store.list_schedules(chat_id=target.chat_id))
        return [found[n] for n in sorted(found)]

    async def remove_schedule(self, number: str, requester: Requester) -> PostSchedule:
        """/schedule remove N: its creator may, and so may an administrator of its chat; in
        a group, only that group's schedules.  Returns the schedule removed."""
        schedule_id = parse_digits(number, 12)
        if schedule_id is None:
            raise PostingError(SAY_WHICH)
        found = await self.store.get_schedule(schedule_id)
        group = requester.group
        if found is None or (group is not None and found.chat_id != group.chat_id):
            raise PostingError(NO_SCHEDULE.format(schedule_id))
        if found.creator_id != requester.user_id:
            if group is not None:
                await self.group_actor(requester)
            elif await user_problem(self.chats, _schedule_chat(found), requester.user_id):
                raise PostingError(NO_SCHEDULE.format(found.id))
        await self.store.remove_schedule(found.id)
        return found

    async def run_schedule(self, schedule_id: int) -> ScheduleRun:
        """One run of a schedule: claim the run due now (so that of several processes
        sharing the state, one posts it), check that its creator may still post there,
        post a passage never posted to that chat, and record the outcome, which marks the
        run done.  When the creator or the bot may not post there any more, switch it off.
        A run done already, or held by another process, posts nothing (``retry_at``: when
        to look again, in case that process died)."""
        schedule = await self.store.get_schedule(schedule_id)
        if schedule is None or not schedule.enabled:
            return ScheduleRun(schedule, stop=True)
        due = due_time(schedule.minute_of_day, self.timezone, self.clock())
        claim = await self.store.claim_schedule_run(schedule_id, due, CLAIM_LEASE_SECONDS)
        if not claim.claimed:
            log.info("schedule %d: the run due %s is done or held elsewhere", schedule_id, due)
            return ScheduleRun(schedule, retry_at=claim.held_until)
        return await self._run_claimed(schedule, due)

    async def _run_claimed(self, schedule: PostSchedule, due: dt.datetime) -> ScheduleRun:
        schedule_id = schedule.id
        if (problem := await self._creator_problem(schedule)) is not None:
            log.warning(
                "schedule %d: its creator may not post there any more, disabled", schedule_id
            )
            await self.store.finish_schedule_run(schedule_id, error=problem, disable=True, due=due)
            return ScheduleRun(schedule, stop=True, tell_creator="demoted")
        card = await self.next_card(schedule)
        if card is None:
            log.info("schedule %d: nothing new to post", schedule_id)
            await self.store.finish_schedule_run(schedule_id, error=NOTHING_NEW, due=due)
            return ScheduleRun(schedule)
        try:
            await self.publish(schedule.chat_id, card, of_the_day=True, picture=schedule.picture)
        except PostFailed as exc:
            if not exc.lost_rights:
                log.warning("schedule %d: post failed, will try tomorrow: %s", schedule_id, exc)
                await self.store.finish_schedule_run(schedule_id, error=exc.reason, due=due)
                return ScheduleRun(schedule)
            log.warning(
                "schedule %d: cannot post to %s, disabled: %s", schedule_id, schedule.chat_id, exc
            )
            await self.store.finish_schedule_run(
                schedule_id, error=exc.reason, disable=True, due=due
            )
            return ScheduleRun(schedule, stop=True, tell_creator="cannot post", reason=exc.reason)
        await self.store.finish_schedule_run(schedule_id, due=due)
        return ScheduleRun(schedule)

    async def _creator_problem(self, schedule: PostSchedule) -> str | None:
        """Why the schedule's creator may no longer post in its chat (asked at every run, as
        /post does), or ``None``.  A schedule of a group's anonymous administrators (made by
        the group) has no one to ask; when the chat service will not answer, the post is
        tried."""
        if schedule.creator_id == schedule.chat_id:
            return None
        try:
            problem = await user_problem(self.chats, _schedule_chat(schedule), schedule.creator_id)
        except GatewayError as exc:
            log.info("schedule %d: could not check its creator's rights: %s", schedule.id, exc)
            return None
        if problem is None or problem == CANNOT_CHECK:
            return None
        return CREATOR_DEMOTED

    async def next_card(self, schedule: PostSchedule) -> Card | None:
        """The passage a schedule would post now: never one already posted to its chat.

        With words (and the filters among them): the best match not yet posted; without:
        a random passage.
        """
        if schedule.query is None:
            posted = await self.store.posted_ids(schedule.chat_id)  # the shared state
            paragraph = await self.service.db.random_paragraph_excluding(  # the corpus
                posted, schedule.collection
            )
            if paragraph is None:
                return None
            card = await self.service.paragraph(paragraph.id)
            return card if isinstance(card, Card) else None
        split = await split_query(self.service.db, schedule.query)
        if not isinstance(split, FilteredQuery):  # a collection renamed since, say
            return None
        collection = schedule.collection or split.filters.collection
        filters = dataclasses.replace(split.filters, collection=collection)
        result = await self.service.searcher.search(
            split.words, limit=SCHEDULE_CANDIDATES, filters=filters
        )
        if result.error or not result.hits:
            return None
        posted = await self.store.posted_among(
            schedule.chat_id, [hit.paragraph.id for hit in result.hits]
        )
        for hit in result.hits:
            if hit.paragraph.id in posted:
                continue
            card = await self.service.paragraph(hit.paragraph.id)
            if isinstance(card, Card):
                return dataclasses.replace(card, spans=hit.spans, confidence=hit.confidence)
        return None
