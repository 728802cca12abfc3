"""un-debate: UN General Debate speeches, metadata from the file name."""

from __future__ import annotations

from pathlib import Path

from store.models import ParsedDocument, PartialDate
from store.parsers import detect_format, parse_file
from store.parsers.un_debate import paragraphs


def _head(path: Path) -> str:
    return path.read_bytes()[:8192].decode("utf-8", "replace")


def test_real_folder(corpora_dir: Path) -> None:
    folder = corpora_dir / "un_general_debate"
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    skipped = [p.name for p in files if detect_format(p, _head(p)) is None]
    assert skipped == ["SOURCE.md", "UNGDC_README.txt"]
    docs = [
        d
        for p in files
        if p.name not in skipped
        for d in parse_file(p)
        if isinstance(d, ParsedDocument)
    ]
    assert len(docs) == 225  # SOURCE.md: 192 speeches of 2024 + 34 PRK (one overlaps)
    # 4 paragraphs over 8,000 characters are split at sentence ends
    assert sum(len(d.paragraphs) for d in docs) == 13692
    assert {d.collection for d in docs} == {"un_general_debate"}
    korea = "Democratic People's Republic of Korea (PRK)"
    prk = {d.date.year: d for d in docs if d.speaker == korea and d.date}
    assert len(prk) == 34
    cr_only = prk[1991]
    assert cr_only.title == f"{korea} statement, UN General Debate, 46th session (1991)"
    # every country of the folder has its name (the code stays, for by:DEU)
    assert all(d.speaker and d.speaker.endswith(")") and "(" in d.speaker for d in docs)
    assert cr_only.place == "New York" and cr_only.date == PartialDate(1991)
    assert len(cr_only.paragraphs) == 42
    assert cr_only.paragraphs[0].startswith("It is a great pleasure")  # BOM gone
    wrapped = prk[2006]
    assert len(wrapped.paragraphs) == 20
    text = " ".join(wrapped.paragraphs)
    assert "non-proliferation" in text and "super-Power" in text and "  " not in text


def test_detect_by_name_only(tmp_path: Path) -> None:
    assert detect_format(tmp_path / "FRA_79_2024.txt", "Mr. President,\n") == "un-debate"
    assert detect_format(tmp_path / "notes_2024.txt", "Mr. President,\n") is None


def test_one_paragraph_per_line_cr_only_and_bom(tmp_path: Path) -> None:
    long = "word " * 40
    path = tmp_path / "XYZ_1_1946.txt"
    path.write_bytes(b"\xef\xbb\xbf" + f"First {long}end.\rSecond {long}end.\r".encode())
    [doc] = parse_file(path)
    assert isinstance(doc, ParsedDocument)
    assert doc.title == "XYZ statement, UN General Debate, 1st session (1946)"
    assert doc.speaker == "XYZ" and doc.date == PartialDate(1946)
    assert [p[:6] for p in doc.paragraphs] == ["First ", "Second"]


def test_hard_wrapped_lines_are_rejoined() -> None:
    text = (
        "Allow me first, on behalf of my delegation, to \n"
        "congratulate the President.\n"
        " The threats and high-handed acts of the super-\n"
        "Power are becoming ever-worsening and more \n"
        "obvious, with the \tcountry as their target, as \n"
        "is the case with the non-proliferation and anti-\n"
        "terrorism pretexts.\n"
        "Mr. President,\n"
        "We hope that the session will be a success for \n"
        "all of us here.\n"
        "\n"
        "Another paragraph after a blank line which has \n"
        "been wrapped too.\n"
    )
    assert paragraphs(text) == [
        "Allow me first, on behalf of my delegation, to congratulate the President.",
        "The threats and high-handed acts of the super-Power are becoming ever-worsening "
        "and more obvious, with the country as their target, as is the case with the "
        "non-proliferation and anti-terrorism pretexts.",
        "Mr. President,",
        "We hope that the session will be a success for all of us here.",
        "Another paragraph after a blank line which has been wrapped too.",
    ]


def test_sentence_broken_by_blank_line_is_joined() -> None:
    long = "x" * 150
    text = f"{long} rights that are\n\nenshrined in our Charter.\n\n{long} Next.\n"
    assert paragraphs(text) == [
        f"{long} rights that are enshrined in our Charter.",
        f"{long} Next.",
    ]
