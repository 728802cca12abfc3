"""kcna-text (the bundled sample's format), the generic text fallback, and parse_file errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from store.models import ParsedDocument, ParseError, PartialDate
from store.parsers import FORMATS, detect_format, parse_file

SAMPLE = (
    Path(__file__).resolve().parents[1]
    / "store"
    / "sample"
    / "kcna_closing_address_secretaries_conference.txt"
)


def _docs(path: Path, fmt: str | None = None) -> list[ParsedDocument]:
    items = list(parse_file(path, fmt))
    assert all(isinstance(i, ParsedDocument) for i in items)
    return [i for i in items if isinstance(i, ParsedDocument)]


def test_sample_is_detected() -> None:
    assert detect_format(SAMPLE, SAMPLE.read_text(encoding="utf-8")[:8192]) == "kcna-text"


def test_sample_metadata_and_32_paragraphs() -> None:
    [doc] = _docs(SAMPLE)
    assert doc.title == (
        "General Secretary Kim Jong Un's Closing Address at Second Conference of "
        "Secretaries of Primary Committees of WPK"
    )
    assert (doc.place, doc.agency, doc.date) == ("Pyongyang", "KCNA", PartialDate(None, 3, 1))
    assert doc.date is not None and doc.date.iso() == "--03-01"
    assert doc.source_format == "kcna-text"
    assert doc.language == "en"
    assert doc.origin == str(SAMPLE)
    # 34 blank-line blocks - title + broken paragraph re-joined = 32; the dateline block
    # holds the opening sentence and the salutation on the next line (one paragraph).
    assert len(doc.paragraphs) == 32
    first = doc.paragraphs[0]
    assert first.startswith("The respected Comrade Kim Jong Un made the following closing")
    assert first.endswith("Comrade secretaries of primary Party committees,")
    assert "**" not in " ".join(doc.paragraphs)
    rejoined = [p for p in doc.paragraphs if "Party Central Committee and apply them" in p]
    assert len(rejoined) == 1
    assert doc.paragraphs[-1].endswith("closed.")


def _write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def test_kcna_text_quirks(tmp_path: Path) -> None:
    text = (
        "\ufeffLeader Visits Factory\r\n\r\n"
        "Pyongyang, July 14 (KCNA) -- The respected ComradeKim Jong Unvisited a\xa0factory.\r\n\r\n"
        "He praised the workers of the\r\n\r\n"
        "factory for their feats.\r\n\r\n"
        "The visit ended. -0-\r\n"
    )
    path = _write(tmp_path, "visit.txt", text)
    assert detect_format(path, text) == "kcna-text"
    [doc] = _docs(path)
    assert doc.title == "Leader Visits Factory"
    assert doc.date == PartialDate(None, 7, 14)
    assert doc.paragraphs == [
        "The respected Comrade Kim Jong Un visited a factory.",
        "He praised the workers of the factory for their feats.",
        "The visit ended.",
    ]


def test_kcna_text_single_newline_paragraphs(tmp_path: Path) -> None:
    text = "Title\nBeijing, Sept. 3, 2024 (Xinhua) — First.\nSecond.\nThird. -0-\n"
    [doc] = _docs(_write(tmp_path, "a.txt", text))
    assert (doc.place, doc.agency, doc.date) == ("Beijing", "Xinhua", PartialDate(2024, 9, 3))
    assert doc.paragraphs == ["First.", "Second.", "Third."]


def test_unrecognised_file_falls_back_to_text(tmp_path: Path) -> None:
    path = _write(tmp_path, "notes.txt", "My Title\n\nPara one\ncontinues.\n\nPara two.\n")
    assert detect_format(path, path.read_text()) is None
    [doc] = _docs(path)
    assert doc.source_format == "text"
    assert doc.title == "My Title"
    assert doc.paragraphs == ["Para one continues.", "Para two."]
    assert doc.collection is None


def test_a_text_file_that_starts_with_its_speech_keeps_the_first_paragraph(
    tmp_path: Path,
) -> None:
    # no title line: the first paragraph is a sentence, not a title, and must stay
    # searchable; the title then comes from the file name
    first = "Four score and seven years ago our fathers brought forth a new nation."
    path = _write(tmp_path, "gettysburg_address.txt", f"{first}\n\nNow we are engaged.\n")
    [doc] = _docs(path)
    assert doc.title == "gettysburg address"
    assert doc.paragraphs == [first, "Now we are engaged."]
    long_line = "word " * 40  # no full stop, but far too long for a title
    [doc] = _docs(_write(tmp_path, "notes-2.txt", f"{long_line}\n\nSecond.\n"))
    assert doc.title == "notes 2" and doc.paragraphs[0].startswith(long_line.strip())


def test_a_question_is_a_title_and_a_wrapped_first_line_is_text(tmp_path: Path) -> None:
    [doc] = _docs(_write(tmp_path, "a.txt", "Why We Fight?\n\nWe fight for freedom.\n"))
    assert (doc.title, doc.paragraphs) == ("Why We Fight?", ["We fight for freedom."])
    wrapped = "Four score and seven years ago our fathers\nbrought forth a new nation.\n\nNow.\n"
    [doc] = _docs(_write(tmp_path, "speech.txt", wrapped))
    assert doc.title == "speech"  # the first line runs on into the second: no title
    assert doc.paragraphs[0].startswith("Four score and seven years ago our fathers brought")


def test_explicit_text_format_overrides_detection() -> None:
    [doc] = _docs(SAMPLE, "text")
    assert doc.source_format == "text"
    assert doc.place is None


@pytest.mark.parametrize("name", ["README.md", "SOURCE.md", "UNGDC_README.txt", "LICENSE"])
def test_corpus_descriptions_are_not_documents(tmp_path: Path, name: str) -> None:
    head = "Title\nPyongyang, July 14 (KCNA) -- an example dateline\n"
    assert detect_format(tmp_path / name, head) is None


def test_unknown_format_name_lists_formats(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match=r"unknown format 'pdf'.*kcna-text"):
        parse_file(SAMPLE, "pdf")
    assert "kcna-text" in FORMATS and "text" in FORMATS


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\n \n", "empty"),
        (b"GIF89a\x00\x01\x00", "binary"),
        (b"Title\n\ncaf\xe9\n", "not valid UTF-8 at byte offset 10"),
    ],
)
def test_unreadable_files(tmp_path: Path, data: bytes, message: str) -> None:
    path = _write(tmp_path, "bad.txt", data)
    with pytest.raises(ParseError, match=message):
        parse_file(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="no such file"):
        parse_file(tmp_path / "nope.txt")
    with pytest.raises(ParseError, match="directory"):
        parse_file(tmp_path)
