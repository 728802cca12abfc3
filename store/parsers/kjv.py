"""``kjv``: the King James Bible as printed by ``bible -f "Gen1:1-Rev22:21"`` (Debian bible-kjv).

One verse per line, ``<Book><chapter>:<verse> <text>`` with the program's own book
abbreviations (``Ge``, ``1Sm``, ``SSol``, ``Phmn``...).  Each chapter becomes one
document titled ``"Genesis 1"`` whose paragraphs are its verses (paragraph N = verse N);
language ``en``, collection ``kjv``, no speaker, no date.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from store.models import ParsedDocument, RecordError
from store.parsers.common import FormatSpec, Item
from store.text.clean import clean_paragraph

FORMAT = "kjv"
COLLECTION = "kjv"

_BOOK_LIST = (
    "Ge:Genesis Exo:Exodus Lev:Leviticus Num:Numbers Deu:Deuteronomy Josh:Joshua "
    "Jdgs:Judges Ruth:Ruth 1Sm:1_Samuel 2Sm:2_Samuel 1Ki:1_Kings 2Ki:2_Kings "
    "1Chr:1_Chronicles 2Chr:2_Chronicles Ezra:Ezra Neh:Nehemiah Est:Esther Job:Job "
    "Psa:Psalms Prv:Proverbs Eccl:Ecclesiastes SSol:Song_of_Solomon Isa:Isaiah "
    "Jer:Jeremiah Lam:Lamentations Eze:Ezekiel Dan:Daniel Hos:Hosea Joel:Joel Amos:Amos "
    "Obad:Obadiah Jonah:Jonah Mic:Micah Nahum:Nahum Hab:Habakkuk Zep:Zephaniah "
    "Hag:Haggai Zec:Zechariah Mal:Malachi Mat:Matthew Mark:Mark Luke:Luke John:John "
    "Acts:Acts Rom:Romans 1Cor:1_Corinthians 2Cor:2_Corinthians Gal:Galatians "
    "Eph:Ephesians Phi:Philippians Col:Colossians 1Th:1_Thessalonians "
    "2Th:2_Thessalonians 1Tim:1_Timothy 2Tim:2_Timothy Titus:Titus Phmn:Philemon "
    "Heb:Hebrews Jas:James 1Pet:1_Peter 2Pet:2_Peter 1Jn:1_John 2Jn:2_John 3Jn:3_John "
    "Jude:Jude Rev:Revelation"
)
BOOKS: dict[str, str] = {
    abbrev: name.replace("_", " ")
    for abbrev, name in (pair.split(":") for pair in _BOOK_LIST.split())
}

_VERSE = re.compile(r"^([1-3]?[A-Z][A-Za-z]{1,4})(\d{1,3}):(\d{1,3}) (.*)$")


def _sniff(head: str) -> bool:
    lines = [line for line in head.lstrip().split("\n", 3)[:3] if line]
    matches = [_VERSE.match(line) for line in lines]
    return bool(matches) and all(m is not None and m[1] in BOOKS for m in matches)


def _path_hint(path: Path, head: str) -> bool:
    return False


def parse(path: Path, text: str) -> Iterator[Item]:
    """Yield one document per chapter; a line that is not a verse gives a RecordError."""
    chapter: tuple[str, str] | None = None
    verses: list[str] = []
    count = 0

    def document() -> ParsedDocument:
        assert chapter is not None
        book = BOOKS.get(chapter[0], chapter[0])
        return ParsedDocument(
            title=f"{book} {chapter[1]}",
            paragraphs=verses,
            origin=f"{path}#{count}",
            source_format=FORMAT,
            language="en",
            collection=COLLECTION,
        )

    for n, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        m = _VERSE.match(line)
        if m is None:
            yield RecordError(f"{path}:{n}", f"not a verse line: {line[:60]!r}")
            continue
        key = (m[1], m[2])
        if key != chapter:
            if chapter is not None and verses:
                yield document()
            chapter, verses, count = key, [], count + 1
        verse = clean_paragraph(m[4])
        if verse:
            verses.append(verse)
    if chapter is not None and verses:
        yield document()


SPEC = FormatSpec(FORMAT, _sniff, _path_hint, parse)
