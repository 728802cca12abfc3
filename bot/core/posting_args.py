"""Reading what users type after /channel, /post and /schedule: how they name a chat
(:func:`parse_chat_ref`), ``--picture`` after /post (:func:`take_picture_flag`), and when
and what a schedule posts (:func:`parse_schedule`).

:class:`PostingError` is the refusal every posting rule raises (:mod:`bot.core.posting`);
its message goes back to the user as is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.service import normalize_query

MAX_SCHEDULE_QUERY = 200

_USERNAME = re.compile(r"(?:https?://)?(?:t\.me/|@)([A-Za-z][A-Za-z0-9_]{3,31})")
_CHAT_ID = re.compile(r"-[1-9][0-9]{0,15}")
_NUMBER = re.compile(r"[1-9][0-9]{0,3}")
_TIME = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")
_COLLECTION = re.compile(r"collection:(\S{1,64})")
# --picture, also as a phone's autocorrect writes it (—picture); a schedule takes "picture"
PICTURE_FLAGS = frozenset({"--picture", "—picture"})
SCHEDULE_PICTURE = PICTURE_FLAGS | {"picture"}

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
class ScheduleSpec:
    """A parsed ``daily HH:MM [picture] [collection:NAME] [words]``."""

    minute_of_day: int
    query: str | None = None
    collection: str | None = None
    picture: bool = False  # post the passage as a quote picture


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


def take_picture_flag(args: Sequence[str]) -> tuple[list[str], bool]:
    """``args`` without ``--picture`` (anywhere among them), and whether it was there."""
    kept = [arg for arg in args if arg.casefold() not in PICTURE_FLAGS]
    return kept, len(kept) < len(args)


def parse_schedule(args: Sequence[str]) -> ScheduleSpec:
    """Read ``daily HH:MM [picture] [collection:NAME] [words…]`` (the options in either
    order, before the words); raise :class:`PostingError` if odd."""
    if len(args) < 2 or args[0].lower() != "daily":
        raise PostingError("Say when: daily HH:MM, e.g. daily 08:30 (24-hour clock).")
    m = _TIME.fullmatch(args[1])
    if m is None:
        raise PostingError("The time must be HH:MM on a 24-hour clock, e.g. 08:30 or 21:05.")
    collection, picture = None, False
    words = list(args[2:])
    while words:
        if collection is None and (c := _COLLECTION.fullmatch(words[0])):
            collection = c.group(1)
        elif not picture and words[0].casefold() in SCHEDULE_PICTURE:
            picture = True
        else:
            break
        words = words[1:]
    query, _ = normalize_query(" ".join(words))
    if len(query) > MAX_SCHEDULE_QUERY:
        raise PostingError(f"Keep the words of a schedule under {MAX_SCHEDULE_QUERY} characters.")
    minute = int(m.group(1)) * 60 + int(m.group(2))
    return ScheduleSpec(minute, query or None, collection, picture)
