"""Property-based tests of the parsers and ingest (hypothesis): any bytes, and bytes
near a valid file of each format, never make an exception escape ``parse_file`` (other
than :class:`ParseError`, which names the file's problem) or the ingest, every document
is within the size bounds and storable, and a document is stored whole or not at all.

Cases per test: ``VERBATIM_HYPOTHESIS_EXAMPLES`` (200 by default; see conftest).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import store.text.clean as clean
from store import FORMATS, ParseError, open_database, parse_file
from store.ingest import ingest_paths
from store.models import ParsedDocument, RecordError

_KP_JSON = [
    {
        "headline": "Kim Jong Un Inspects Factory",
        "date": 1700000000000,
        "story_text": "Pyongyang, March 1 (KCNA) -- The factory was inspected.\nIt was good. -0-",
    }
]
_KCNA_JSONL = {
    "index_link": "http://kcna.co.jp/item/2011/201101/news01/20110101-01ee.html",
    "title": "Joint New Year Editorial",
    "date": "2011-01-01",
    "language": "en",
    "story": "The year was great. , , Another paragraph, then more. , , , , ,",
}
_RODONG = {
    "url": "http://rodong.rep.kp/en/index.php?newsID=2021-01-02-0001",
    "title": "Respected Comrade Kim Jong Un Sends Greetings",
    "byline": "Political News Team",
    "content": ["To the people of the whole country", "The greetings were sent. They said so."],
}
# (file name, bytes): one small valid file per format (the name matters to some formats)
SAMPLES: list[tuple[str, bytes]] = [
    (
        "speech.txt",
        b"Speech at the Conference\n\nPyongyang, March 1 (KCNA) -- Dear comrades, the "
        b"**conference** is over.\n\nWe will win\n\nthe struggle. -0-\n",
    ),
    ("notes.txt", b"A plain title\n\nA paragraph of plain text.\n\nAnother one.\n"),
    ("kcna.json", json.dumps(_KP_JSON).encode()),
    ("kcna_2011.jsonl", (json.dumps(_KCNA_JSONL) + "\n").encode() * 2),
    ("rodong_2021.jsonl", (json.dumps(_RODONG) + "\n").encode()),
    (
        "1789-04-30-first-inaugural-address.txt",
        b"President: George Washington\n\nFellow citizens of the Senate.\n\nAmong the "
        b"vicissitudes incident to life.\n",
    ),
    (
        "kjv.txt",
        b"Ge1:1 In the beginning God created the heaven and the earth.\n"
        b"Ge1:2 And the earth was without form.\nExo1:1 Now these are the names.\n",
    ),
    (
        "1990.txt",
        "신년사\n- 1990년 1월 1일\n해 제\n남한의 해설.\n원 문\n\n"
        "친애하는 동지들. 새해를 맞이합니다.\n\n우리는 반드시 승리할 것입니다.\n".encode(),
    ),
    (
        "PRK_46_1991.txt",
        b"Mr. President,\n\nAllow me to congratulate you on your election.\n"
        b"The world is chang-\ning fast.\n",
    ),
]
# byte strings that upset parsers: controls, broken UTF-8, JSON oddities, markers
AWKWARD: list[bytes] = [
    b"\x00",
    b"\xff",
    b"\xc3",
    b"\r",
    b"\r\n",
    b"\xef\xbb\xbf",
    b"\\ud800",
    b"\\udfff\\ud800",
    b"\\u0000",
    b'"',
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b"\n\n",
    b"\n",
    b"-0-",
    b" (KCNA) -- ",
    b"Pyongyang, March 1 (KCNA) -- ",
    "원 문".encode(),
    b"President: ",
    b"Ge1:1 ",
    b"\xe2\x80\x8b",
    b"\xc2\x85",
    b"&amp;&#0;&#xD800;",
    b"<b>",
    b"**",
    b"1e999",
    b"-99999999999999999999999",
    b"true",
    b"null",
    b"x" * 20_000,
    b"word. " * 3_000,
]


@st.composite
def near_valid(draw: st.DrawFn) -> tuple[str, bytes]:
    """A sample file of one format with a few edits: insertions of awkward bytes,
    deletions, replacements, truncation, a repeated stretch."""
    name, original = draw(st.sampled_from(SAMPLES))
    data = bytearray(original)
    for _ in range(draw(st.integers(0, 4))):
        op = draw(st.sampled_from(["insert", "delete", "replace", "truncate", "repeat"]))
        at = draw(st.integers(0, len(data)))
        if op == "insert":
            data[at:at] = draw(st.one_of(st.sampled_from(AWKWARD), st.binary(max_size=6)))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 8))]
        elif op == "replace":
            data[at : at + 1] = draw(st.binary(min_size=1, max_size=3))
        elif op == "truncate":
            del data[at:]
        else:
            data[at:at] = data[at : at + draw(st.integers(1, 40))] * draw(st.integers(2, 5))
    return name, bytes(data)


FORMAT_CHOICE = st.sampled_from([None, *FORMATS])


def _check(items: list[ParsedDocument | RecordError]) -> None:
    """Every document as the database can store it, within the size bounds."""
    for item in items:
        if isinstance(item, RecordError):
            item.origin.encode("utf-8")
            item.reason.encode("utf-8")
            continue
        assert isinstance(item, ParsedDocument)
        assert item.paragraphs, "a document without paragraphs"
        for paragraph in item.paragraphs:
            assert paragraph and len(paragraph) <= clean.MAX_PARAGRAPH_CHARS
            paragraph.encode("utf-8")
        assert isinstance(item.title, str) and len(item.title) <= clean.MAX_FIELD_CHARS
        for value in (item.title, item.origin, item.speaker, item.place, item.agency):
            if value is not None:
                value.encode("utf-8")


def _parse(folder: Path, name: str, data: bytes, fmt: str | None) -> None:
    path = folder / name
    path.write_bytes(data)
    try:
        items = list(parse_file(path, fmt))
    except ParseError as exc:
        assert str(exc), "a ParseError must say why"
        return
    _check(items)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("properties")


@given(data=st.binary(max_size=3_000), sample=st.sampled_from(SAMPLES), fmt=FORMAT_CHOICE)
@example(data=b"\x01", sample=SAMPLES[0], fmt=None)  # was: a document with one empty paragraph
def test_any_bytes_parse_or_fail_with_a_parse_error(
    folder: Path, data: bytes, sample: tuple[str, bytes], fmt: str | None
) -> None:
    _parse(folder, sample[0], data, fmt)


JSON_SURROGATES = [  # were: UnicodeEncodeError out of the ingest, nothing stored
    ("kcna_2011.jsonl", b'{"index_link": "x", "title": "T\\udfff", "story": "A \\ud800 b."}\n'),
    ("rodong_2021.jsonl", b'{"url": "rodong", "title": "T", "content": ["A \\udcff b."]}\n'),
    ("kcna.json", b'[{"headline": "\\ud800", "story_text": "Text \\udbff."}]'),
]


@given(case=near_valid(), fmt=FORMAT_CHOICE)
@example(case=JSON_SURROGATES[0], fmt=None)
@example(case=JSON_SURROGATES[1], fmt=None)
@example(case=JSON_SURROGATES[2], fmt=None)
def test_near_valid_files_parse_or_fail_with_a_parse_error(
    folder: Path, case: tuple[str, bytes], fmt: str | None
) -> None:
    _parse(folder, case[0], case[1], fmt)


@given(text=st.text(max_size=2_000), sample=st.sampled_from(SAMPLES), fmt=FORMAT_CHOICE)
def test_any_text_parses_or_fails_with_a_parse_error(
    folder: Path, text: str, sample: tuple[str, bytes], fmt: str | None
) -> None:
    _parse(folder, sample[0], text.encode("utf-8", "surrogatepass"), fmt)


@given(
    cases=st.lists(st.one_of(near_valid(), st.tuples(st.just("any.txt"), st.binary())), max_size=4)
)
@example(cases=JSON_SURROGATES)
@example(cases=[("caf\udce9.txt", b"T\n\nPyongyang, May 2 (KCNA) -- Text in a file.\n")])
def test_ingest_never_raises_and_stores_documents_whole(
    folder: Path, cases: list[tuple[str, bytes]]
) -> None:
    """Through ingest into one database shared by all cases: whatever the files, the run
    finishes, and every stored document has all its paragraphs, each in the index."""
    batch = folder / "batch"
    batch.mkdir(exist_ok=True)
    for old in batch.iterdir():
        old.unlink()
    paths = []
    for n, (name, data) in enumerate(cases):
        path = batch / f"{n}-{name}"
        path.write_bytes(data)
        paths.append(path)

    async def run() -> None:
        async with open_database(folder / "ingest.db") as db:
            before = await _totals(db)
            summary = await ingest_paths(db, paths, progress=False)
            after = await _totals(db)
            assert after[0] - before[0] == summary.new
            assert after[1] - before[1] == summary.new_paragraphs
            async with db.conn.execute(
                "SELECT count(*) FROM documents d WHERE paragraph_count != "
                "(SELECT count(*) FROM paragraphs p WHERE p.document_id = d.id)"
            ) as cur:
                assert (await cur.fetchone()) == (0,), "a document stored in part"
            assert after[2] == after[1], "paragraphs missing from the full-text index"
            assert await db.search_vocab_stale_since() is None

    asyncio.run(run())


async def _totals(db: object) -> tuple[int, int, int]:
    conn = db.conn  # type: ignore[attr-defined]
    async with conn.execute(
        "SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM paragraphs), "
        "(SELECT count(*) FROM paragraphs_fts_docsize)"
    ) as cur:
        row = await cur.fetchone()
    return int(row[0]), int(row[1]), int(row[2])
