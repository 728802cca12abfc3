"""Plain-text citations, shared by the Telegram cards (escaped there) and the CLI, and
the deep link that cites one paragraph (``/start p_<id>``, the card's permalink).

No Telegram imports here, so ``verbatim show`` stays fast to start.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.digits import parse_digits
from store.models import DocumentMeta

DEEP_LINK_PREFIX = "p_"
PICTURE_LINK_PREFIX = "i_"
ALSO_IN_SHOWN = 3  # "Also in": this many documents by name, then "and N more"
ALSO_IN_TITLE_CHARS = 80  # each title cut to this many characters


def citation_text(document: DocumentMeta, position: int | None = None) -> str:
    """Plain-text citation: date · place · ¶ N of M · collection (title not included)."""
    parts = []
    if document.speaker and document.speaker.casefold() not in document.title.casefold():
        parts.append(document.speaker)
    if document.date:
        parts.append(document.date.display())
    if document.place:
        parts.append(document.place)
    if position is not None:
        parts.append(f"¶ {position} of {document.paragraph_count}")
    parts.append(document.collection)
    return " · ".join(parts)


def original_text(document: DocumentMeta) -> str:
    """``Original: URL`` (``Index page listing it: URL`` for a day's index page), or ''
    where the corpus gave no link."""
    if not document.url:
        return ""
    label = "Index page listing it" if document.url_is_index else "Original"
    return f"{label}: {document.url}"


def short_citation(document: DocumentMeta) -> str:
    """Plain-text title and date, for lists and inline result titles."""
    date = f" · {document.date.display()}" if document.date else ""
    return f"{document.title}{date}"


def also_in_text(documents: Sequence[DocumentMeta]) -> str:
    """``Also in: <title> (<date>), … and N more``: the other documents in which the same
    paragraph text is stored (plain text; empty when there are none)."""
    if not documents:
        return ""
    names = []
    for document in documents[:ALSO_IN_SHOWN]:
        title = " ".join(document.title.split())
        if len(title) > ALSO_IN_TITLE_CHARS:
            title = title[: ALSO_IN_TITLE_CHARS - 1].rstrip() + "…"
        names.append(f"{title} ({document.date.display()})" if document.date else title)
    rest = len(documents) - len(names)
    return "Also in: " + ", ".join(names) + (f" and {rest} more" if rest else "")


def parse_deep_link(payload: str) -> int | None:
    """The paragraph id of a ``p_<id>`` start parameter, or ``None``."""
    if not payload.startswith(DEEP_LINK_PREFIX):
        return None
    return parse_digits(payload[len(DEEP_LINK_PREFIX) :], 15)


def deep_link_payload(paragraph_id: int) -> str:
    """The start parameter that opens a paragraph: ``p_<id>``."""
    return f"{DEEP_LINK_PREFIX}{paragraph_id}"


def picture_link_payload(paragraph_id: int, query_id: int = 0) -> str:
    """The start parameter that sends a paragraph's quote picture: ``i_<id>``, or
    ``i_<id>_<query>`` with the words of a stored query marked (at most 34 characters,
    within Telegram's 64)."""
    tail = f"_{query_id}" if query_id else ""
    return f"{PICTURE_LINK_PREFIX}{paragraph_id}{tail}"


def parse_picture_link(payload: str) -> tuple[int, int] | None:
    """``(paragraph id, query id or 0)`` of an ``i_<id>[_<query>]`` start parameter, or
    ``None``."""
    if not payload.startswith(PICTURE_LINK_PREFIX):
        return None
    head, underscore, tail = payload[len(PICTURE_LINK_PREFIX) :].partition("_")
    paragraph_id = parse_digits(head, 15)
    query_id = parse_digits(tail, 15) if underscore else 0
    if paragraph_id is None or query_id is None:
        return None
    return paragraph_id, query_id
