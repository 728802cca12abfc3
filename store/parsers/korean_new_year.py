"""``korean-new-year``: DPRK New Year addresses 1946-2019 in Korean (dprk_new_year_addresses_ko).

``YYYY.txt``, one address per file.  Most files (1946-2006) open with a title line, a
``- YYYY년 MM월 DD일`` date line and a South Korean commentary (``해 제`` ... ``원 문``):
the title and date are kept, the commentary is dropped and the body starts after
``원 문``.  Later files open instead with South Korean news framing (a lead mentioning
``북한``, ``연합뉴스``, ``다음은 사설 전문임. *****``, time stamps): those leading lines
are dropped.  A short first line without sentence punctuation is the title; otherwise
the title is ``"<year>년 신년사"``.  Paragraphs are separated by blank lines, or one per
line when the file has no blank line (2017).  Language ``ko``; date = the file's year,
with month and day when the date line gives them.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path

from store.models import ParsedDocument, PartialDate
from store.parsers.common import FormatSpec, Item
from store.text.clean import (
    clean_paragraph,
    has_blank_lines,
    split_blank_line_blocks,
    split_lines,
)

FORMAT = "korean-new-year"
COLLECTION = "dprk_new_year_addresses_ko"

_NAME = re.compile(r"^(\d{4})(?:\.txt)?$")
_ORIGINAL_MARK = re.compile(r"^[ \t\u3000]*원[ \t\u3000]*문[ \t\u3000]*$", re.MULTILINE)
_DATE_LINE = re.compile(r"^-\s*(\d{4})년\s*(\d{1,2})월\s*(\d{1,2})일", re.MULTILINE)
_FRAMING = re.compile(
    r"북한|北|연합뉴스|CBS|송고|다음은|정보보고|원문|전문|全文"
    r"|^\W*\d{4}\s*[-./년]\s*\d{1,2}\s*[-./월]\s*\d{1,2}.{0,6}[시:]"  # time stamps
    r"|^\W*$"  # ******* and other punctuation-only lines
)
# a South Korean wire footer after the text: "(끝) <저작권자(c)연합뉴스 …> 2007/01/01 09:45 송고"
_FOOTER = re.compile(r"\s*(?:\(끝\)|<저작권자|\d{4}/\d{2}/\d{2} \d{2}:\d{2} ?송고).*$")
_SENTENCE_END = (".", "!", "?", "다", "！", "．", "？")
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_PUNCTUATION_ONLY = re.compile(r"^[\W_]*$")


def _hangul_heavy(head: str) -> bool:
    sample = head[:2000]
    letters = sum(ch.isalpha() for ch in sample)
    return letters > 0 and len(_HANGUL.findall(sample)) > 0.5 * letters


def _sniff(head: str) -> bool:
    return _hangul_heavy(head) and (
        _ORIGINAL_MARK.search(head) is not None or "다음은 사설 전문임" in head
    )


def _path_hint(path: Path, head: str) -> bool:
    return _NAME.match(path.name) is not None and _hangul_heavy(head)


def _strip_framing(text: str) -> str:
    lines = text.split("\n")
    start = 0
    seen = 0
    while start < len(lines) and seen < 8:
        line = lines[start].strip(" \t\u3000\xa0")
        if line:
            if not _FRAMING.search(line):
                break
            seen += 1
        start += 1
    return "\n".join(lines[start:])


def _split(text: str) -> list[str]:
    paragraphs = split_blank_line_blocks(text) if has_blank_lines(text) else split_lines(text)
    return [p for p in paragraphs if not _PUNCTUATION_ONLY.match(p)]


def parse(path: Path, text: str) -> Iterator[Item]:
    """Yield the single address of the file."""
    name = _NAME.match(path.name)
    year = int(name[1]) if name else None
    date = PartialDate(year) if year else None
    title = ""
    mark = _ORIGINAL_MARK.search(text)
    if mark:
        header, body_text = text[: mark.start()], text[mark.end() :]
        title = clean_paragraph(header.strip().split("\n", 1)[0])
        if m := _DATE_LINE.search(header):
            with contextlib.suppress(ValueError):
                date = PartialDate(int(m[1]), int(m[2]), int(m[3]))
        body = _split(body_text)
    else:
        body = _split(_strip_framing(text))
        first = body[0] if body else ""
        if len(body) > 1 and len(first) <= 60 and not first.endswith(_SENTENCE_END):
            title = body.pop(0)
        while body and _FRAMING.search(body[0]):  # a time stamp or ***** under the title
            body.pop(0)
    if body and (footer := _FOOTER.search(body[-1])):
        body[-1] = body[-1][: footer.start()]
        if not body[-1]:
            body.pop()
    if not body:
        return
    yield ParsedDocument(
        title=title or (f"{year}년 신년사" if year else path.stem),
        paragraphs=body,
        origin=str(path),
        source_format=FORMAT,
        date=date,
        language="ko",
        collection=COLLECTION,
    )


SPEC = FormatSpec(FORMAT, _sniff, _path_hint, parse)
