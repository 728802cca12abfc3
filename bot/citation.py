"""Plain-text citations, shared by the Telegram cards (escaped there) and the CLI.

No Telegram imports here, so ``verbatim show`` stays fast to start.
"""

from __future__ import annotations

from store.models import DocumentMeta


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


def short_citation(document: DocumentMeta) -> str:
    """Plain-text title and date, for lists and inline result titles."""
    date = f" · {document.date.display()}" if document.date else ""
    return f"{document.title}{date}"
