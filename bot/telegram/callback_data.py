"""Compact, versioned callback data for the result card's buttons.

Callback data is chosen by us but sent back by the client, so it is untrusted: every
field is checked for shape and range here, and anything else raises
:class:`CallbackDataError` with a short reason that the handler shows as an alert.

Wire format (ASCII, at most 64 bytes, numbers in base 36)::

    1:<epoch>:n:<paragraph>:<anchor>:<query>:<rank>   show a paragraph (context ◀ ▶)
    1:<epoch>:m:<query>:<rank>                         show hit number <rank> of a query
    1:<epoch>:s:<page>                                 a page of /sources
    1:<epoch>:i:<paragraph>:<query>                    send a paragraph's quote picture
    1:<epoch>:x                                        a button that does nothing

``1`` is the format version.  ``epoch`` is the shared state's epoch
(:meth:`store.state.QueryState.bot_epoch`, read by
:meth:`bot.core.service.VerbatimService.create`: the database file's, or PostgreSQL's
with ``VERBATIM_STATE_URL``): buttons made against another state (rebuilt since the
message was sent) are recognised as stale.  ``anchor`` is the paragraph the
search matched (highlighted when shown again); ``query`` 0 means "no query" (a
picture's query marks the matched words, which choose a long paragraph's stretch).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

VERSION = "1"
MAX_BYTES = 64
MAX_ID = 36**10 - 1  # ids are at most 10 base-36 digits
MAX_RANK = 999  # "other matches" never steps further than this
MAX_PAGE = 9999

_EPOCH = re.compile(r"^[0-9a-f]{6}$")
_NUMBER = re.compile(r"^(?:0|[1-9a-z][0-9a-z]{0,9})$")


class CallbackDataError(ValueError):
    """Callback data that is not ours, malformed or out of range; ``str()`` is the reason."""


@dataclass(frozen=True, slots=True)
class ShowParagraph:
    """Show paragraph ``paragraph_id``; ``anchor_id`` is the matched one, ``query_id`` 0 = none."""

    epoch: str
    paragraph_id: int
    anchor_id: int
    query_id: int = 0
    rank: int = 0


@dataclass(frozen=True, slots=True)
class ShowMatch:
    """Show hit number ``rank`` (0 = best) of the stored query ``query_id``."""

    epoch: str
    query_id: int
    rank: int


@dataclass(frozen=True, slots=True)
class SourcesPage:
    """Show page ``page`` (0-based) of the document list."""

    epoch: str
    page: int


@dataclass(frozen=True, slots=True)
class Noop:
    """A label-only button (e.g. "page 2/5"); pressing it just dismisses the spinner."""

    epoch: str


@dataclass(frozen=True, slots=True)
class Picture:
    """Send the quote picture of ``paragraph_id``, with the words of stored query
    ``query_id`` marked (0 = none)."""

    epoch: str
    paragraph_id: int
    query_id: int = 0


CallbackAction = ShowParagraph | ShowMatch | SourcesPage | Noop | Picture


def _b36(value: int) -> str:
    if value < 0:
        raise ValueError(f"negative number in callback data: {value}")
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        value, rem = divmod(value, 36)
        out = digits[rem] + out
        if value == 0:
            return out


def _number(text: str, limit: int, what: str) -> int:
    if not _NUMBER.fullmatch(text):
        raise CallbackDataError(f"bad {what}")
    value = int(text, 36)
    if value > limit:
        raise CallbackDataError(f"{what} out of range")
    return value


def encode(action: CallbackAction) -> str:
    """Serialise an action; raises ``ValueError`` if it would not fit in 64 bytes."""
    if not _EPOCH.fullmatch(action.epoch):
        raise ValueError(f"bad epoch {action.epoch!r}")
    head = f"{VERSION}:{action.epoch}"
    if isinstance(action, ShowParagraph):
        body = ":".join(
            _b36(n) for n in (action.paragraph_id, action.anchor_id, action.query_id, action.rank)
        )
        data = f"{head}:n:{body}"
    elif isinstance(action, ShowMatch):
        data = f"{head}:m:{_b36(action.query_id)}:{_b36(action.rank)}"
    elif isinstance(action, SourcesPage):
        data = f"{head}:s:{_b36(action.page)}"
    elif isinstance(action, Picture):
        data = f"{head}:i:{_b36(action.paragraph_id)}:{_b36(action.query_id)}"
    else:
        data = f"{head}:x"
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data too long: {data!r}")
    return data


def decode(data: str | None) -> CallbackAction:
    """Parse and validate callback data; raises :class:`CallbackDataError` on anything odd."""
    if not data:
        raise CallbackDataError("empty")
    if len(data.encode("utf-8", "replace")) > MAX_BYTES or not data.isascii():
        raise CallbackDataError("not ours")
    parts = data.split(":")
    if len(parts) < 3 or parts[0] != VERSION:
        raise CallbackDataError("unknown version")
    epoch, kind, args = parts[1], parts[2], parts[3:]
    if not _EPOCH.fullmatch(epoch):
        raise CallbackDataError("bad epoch")
    if kind == "n" and len(args) == 4:
        return ShowParagraph(
            epoch,
            _number(args[0], MAX_ID, "paragraph"),
            _number(args[1], MAX_ID, "anchor"),
            _number(args[2], MAX_ID, "query"),
            _number(args[3], MAX_RANK, "rank"),
        )
    if kind == "m" and len(args) == 2:
        return ShowMatch(
            epoch, _number(args[0], MAX_ID, "query"), _number(args[1], MAX_RANK, "rank")
        )
    if kind == "s" and len(args) == 1:
        return SourcesPage(epoch, _number(args[0], MAX_PAGE, "page"))
    if kind == "x" and not args:
        return Noop(epoch)
    if kind == "i" and len(args) == 2:
        return Picture(
            epoch, _number(args[0], MAX_ID, "paragraph"), _number(args[1], MAX_ID, "query")
        )
    raise CallbackDataError("unknown action")
