"""Made-up documents for the /watch tests (no corpus text): speeches stored after a watch
was made, as ParsedDocuments or as a kcna-text file for ``verbatim ingest``.

"Orchard Address" holds :data:`WATCHED` nearly word for word (an answer); its third
paragraph only comes close to :data:`CLOSE_ONLY` (a "not sure" suggestion, never an
answer).  None of their words that matter is in the bundled sample.
"""

from __future__ import annotations

from pathlib import Path

from store.models import ParsedDocument, PartialDate

WATCHED = "copper apples of the tidewater orchards"
CLOSE_ONLY = "honest ledgers and sharp knives in spring"  # close to ¶ 3 of the Orchard Address
UNRELATED = "lighthouse beacon keepers"

ORCHARD = [
    "We gathered on the eastern shore where the old ferry once crossed the bay at dawn.",
    "The copper apples of the tidewater orchards will ripen under a patient autumn sun, "
    "and every family of the valley shall share in the harvest.",
    "Let the brigades keep their ledgers honest and their pruning shears sharp through the winter.",
]


def orchard(
    title: str = "Orchard Address",
    *,
    year: int = 2021,
    speaker: str = "Alice Keeper",
    paragraphs: list[str] | None = None,
) -> ParsedDocument:
    """The Orchard Address (or another speech with its date and speaker)."""
    return ParsedDocument(
        title=title,
        paragraphs=list(paragraphs or ORCHARD),
        origin=f"test:{title}",
        source_format="text",
        speaker=speaker,
        date=PartialDate(year, 6, 1),
        collection="harbour",
    )


def brigade_report(n: int) -> ParsedDocument:
    """Report ``n`` of a series, each answering :data:`WATCHED` with a text of its own."""
    return ParsedDocument(
        title=f"Brigade Report {n}",
        paragraphs=[
            f"Brigade number {n} counted the {WATCHED} in its {n}th season of work.",
            f"Report {n} closes here with thanks to the brigade.",
        ],
        origin=f"test:brigade-{n}",
        source_format="text",
        date=PartialDate(2015 + n // 28, 1, n % 28 + 1),
        collection="harbour",
    )


def unrelated(n: int) -> ParsedDocument:
    """A speech that answers no watch of these tests."""
    return ParsedDocument(
        title=f"Beacon Notes {n}",
        paragraphs=[f"The {UNRELATED} met for the {n}th time and spoke of fog and gulls."],
        origin=f"test:beacon-{n}",
        source_format="text",
        collection="harbour",
    )


def write_kcna_text(path: Path, title: str, paragraphs: list[str]) -> Path:
    """A file ``verbatim ingest`` reads as kcna-text: title, dateline, paragraphs."""
    body = "\n\n".join(paragraphs)
    path.write_text(f"{title}\n\nWonsan, June 5 (KCNA) -- {body}\n", encoding="utf-8")
    return path
