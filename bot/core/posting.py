"""Posting to channels and groups: the rules and the service behind /channel, /post, /schedule.

Pure parts take plain values: :func:`parse_chat_ref` and :func:`parse_schedule` read
command arguments, :func:`bot_post_problem` and :func:`user_manage_problem` decide rights
from :class:`MemberRights`.  :class:`PostingService` keeps links, schedules and what was
posted where (through :class:`store.db.PostingStore`) and picks passages.  Nothing here
talks to Telegram: :mod:`bot.telegram.chat_access` asks it,
:mod:`bot.telegram.handlers.posting` and :mod:`bot.telegram.jobs` drive it,
:mod:`bot.telegram.render.posting` renders.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.service import VerbatimService, normalize_query
from bot.core.views import Card, SearchOutcome
from store.db import PostingStore, PostSchedule, PostTarget
from store.search import SearchFilters

MAX_TARGETS_PER_USER = 20
MAX_SCHEDULES_PER_CHAT = 5
MAX_SCHEDULES_PER_USER = 20
SCHEDULE_CANDIDATES = 50  # a scheduled query posts the best of this many hits not yet posted
MAX_SCHEDULE_QUERY = 200

_USERNAME = re.compile(r"(?:https?://)?(?:t\.me/|@)([A-Za-z][A-Za-z0-9_]{3,31})")
_CHAT_ID = re.compile(r"-[1-9][0-9]{0,15}")
_NUMBER = re.compile(r"[1-9][0-9]{0,3}")
_TIME = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")
_COLLECTION = re.compile(r"collection:(\S{1,64})")

CHAT_REF_HELP = (
    "Name the chat as @name, as its numeric id (-100…), or by its number in /channel list."
)


class PostingError(ValueError):
    """A request we refuse; ``str()`` is the short, plain-text message for the user."""


@dataclass(frozen=True, slots=True)
class ChatRef:
    """How a user named a chat: ``@username``, a numeric id, or a number in their list."""

    username: str | None = None
    chat_id: int | None = None
    number: int | None = None

    @property
    def api_id(self) -> str | int:
        """The ``chat_id`` to give the Bot API (only for usernames and ids)."""
        if self.username is not None:
            return f"@{self.username}"
        if self.chat_id is None:
            raise ValueError("a list number is not a chat id")
        return self.chat_id


@dataclass(frozen=True, slots=True)
class ChatInfo:
    """A channel or group as Telegram describes it."""

    chat_id: int
    chat_type: str  # "channel", "supergroup", "group" or "private"
    title: str
    username: str | None = None


@dataclass(frozen=True, slots=True)
class MemberRights:
    """What one member may do in a chat (from getChatMember)."""

    status: str  # creator, administrator, member, restricted, left, kicked
    can_post_messages: bool | None = None
    can_send_messages: bool | None = None


@dataclass(frozen=True, slots=True)
class ScheduleSpec:
    """A parsed ``daily HH:MM [collection:NAME] [words]``."""

    minute_of_day: int
    query: str | None = None
    collection: str | None = None


def parse_chat_ref(text: str, *, allow_number: bool = True) -> ChatRef:
    """Read ``@name`` (or ``t.me/name``), ``-100…`` or a list number; raise on anything else."""
    text = text.strip()
    if m := _USERNAME.fullmatch(text):
        return ChatRef(username=m.group(1))
    if _CHAT_ID.fullmatch(text):
        return ChatRef(chat_id=int(text))
    if allow_number and _NUMBER.fullmatch(text):
        return ChatRef(number=int(text))
    raise PostingError(f"I can't read that chat name. {CHAT_REF_HELP}")


def parse_schedule(args: Sequence[str]) -> ScheduleSpec:
    """Read ``daily HH:MM [collection:NAME] [words…]``; raise :class:`PostingError` if odd."""
    if len(args) < 2 or args[0].lower() != "daily":
        raise PostingError("Say when: daily HH:MM, e.g. daily 08:30 (24-hour clock).")
    m = _TIME.fullmatch(args[1])
    if m is None:
        raise PostingError("The time must be HH:MM on a 24-hour clock, e.g. 08:30 or 21:05.")
    collection = None
    words = list(args[2:])
    if words and (c := _COLLECTION.fullmatch(words[0])):
        collection, words = c.group(1), words[1:]
    query, _ = normalize_query(" ".join(words))
    if len(query) > MAX_SCHEDULE_QUERY:
        raise PostingError(f"Keep the words of a schedule under {MAX_SCHEDULE_QUERY} characters.")
    return ScheduleSpec(int(m.group(1)) * 60 + int(m.group(2)), query or None, collection)


def bot_post_problem(
    chat: ChatInfo, bot: MemberRights, members_can_send: bool | None
) -> str | None:
    """Why the bot cannot post in ``chat``, or ``None`` when it can."""
    if chat.chat_type == "private":
        return "That is a private chat, not a channel or a group."
    if chat.chat_type == "channel":
        if bot.status == "administrator" and bot.can_post_messages:
            return None
        return (
            "I am not an administrator of that channel with the right to post. "
            "Add me as an administrator with “Post messages”, then try again."
        )
    if bot.status in ("administrator", "creator"):
        return None
    if bot.status == "member" and members_can_send is not False:
        return None
    if bot.status == "restricted" and bot.can_send_messages:
        return None
    if bot.status in ("left", "kicked"):
        return "I am not a member of that group: add me to it, then try again."
    return "I may not send messages in that group: make me an administrator, then try again."


def user_manage_problem(chat: ChatInfo, user: MemberRights) -> str | None:
    """Why this user may not post or schedule in ``chat``, or ``None`` when they may.

    The creator may; an administrator may, in a channel only with the right to post.
    """
    where = "channel" if chat.chat_type == "channel" else "group"
    if user.status == "creator":
        return None
    if user.status == "administrator":
        if chat.chat_type != "channel" or user.can_post_messages:
            return None
        return "You are an administrator of that channel but may not post there."
    return f"Only the {where}'s administrators can do that, and you are not one."


class PostingService:
    """Links, posts and schedules over one database; see the module docstring."""

    def __init__(self, store: PostingStore, service: VerbatimService) -> None:
        self.store = store
        self.service = service
        self._limits = asyncio.Lock()  # updates run concurrently: count and insert as one

    # ------------------------------------------------------------------ links

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

    async def targets(self, owner_id: int) -> list[PostTarget]:
        """``owner_id``'s linked chats, numbered from 1 in this order."""
        return await self.store.list_targets(owner_id)

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

    async def unlink(self, owner_id: int, ref: ChatRef) -> tuple[PostTarget, list[int]]:
        """Remove a user's link (and their schedules there); returns it and the schedule ids."""
        target = await self.resolve(owner_id, ref)
        return target, await self.store.unlink_target(owner_id, target.chat_id)

    # ------------------------------------------------------------------ posts

    async def best_match(self, query: str) -> SearchOutcome:
        """The best passage for ``query`` (the same search as /q)."""
        return await self.service.search(query)

    async def chat_moved(self, old_chat_id: int, new_chat_id: int) -> None:
        """A group became a supergroup: links, schedules and its posted log follow it."""
        await self.store.move_chat(old_chat_id, new_chat_id, "supergroup")

    async def record_post(self, chat_id: int, paragraph_id: int, message_id: int | None) -> None:
        """Remember what was posted where, so that schedules do not repeat it."""
        await self.store.record_post(chat_id, paragraph_id, message_id)

    # ------------------------------------------------------------------ schedules

    async def add_schedule(
        self, creator_id: int, chat: ChatInfo, spec: ScheduleSpec
    ) -> PostSchedule:
        """Store a daily schedule after checking limits and that it has something to post."""
        if spec.collection and not await self.service.db.count_documents(spec.collection):
            raise PostingError(f"There is no collection {spec.collection!r}: see /stats.")
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

    async def schedules_of_chat(self, chat_id: int) -> list[PostSchedule]:
        """The schedules that post to one chat."""
        return await self.store.list_schedules(chat_id=chat_id)

    async def schedule(self, schedule_id: int) -> PostSchedule | None:
        """One schedule, or ``None``."""
        return await self.store.get_schedule(schedule_id)

    async def remove_schedule(self, schedule_id: int) -> bool:
        """Delete a schedule (the caller checked who may)."""
        return await self.store.remove_schedule(schedule_id)

    async def enabled_schedules(self) -> list[PostSchedule]:
        """Every schedule that should be in the job queue."""
        return await self.store.enabled_schedules()

    async def finish_run(
        self, schedule_id: int, *, error: str | None = None, disable: bool = False
    ) -> None:
        """Record the outcome of a scheduled run (and switch the schedule off if told)."""
        await self.store.finish_schedule_run(schedule_id, error=error, disable=disable)

    async def next_card(self, schedule: PostSchedule) -> Card | None:
        """The passage a schedule would post now: never one already posted to its chat.

        With words: the best match not yet posted; without: a random passage.
        """
        if schedule.query is None:
            paragraph = await self.store.random_unposted_paragraph(
                schedule.chat_id, schedule.collection
            )
            if paragraph is None:
                return None
            card = await self.service.paragraph(paragraph.id)
            return card if isinstance(card, Card) else None
        filters = SearchFilters(collection=schedule.collection)
        result = await self.service.searcher.search(
            schedule.query, limit=SCHEDULE_CANDIDATES, filters=filters
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
