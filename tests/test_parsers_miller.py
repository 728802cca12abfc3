"""miller: Miller Center presidential speech transcripts."""

from __future__ import annotations

from pathlib import Path

from store.models import ParsedDocument, PartialDate
from store.parsers import detect_format, parse_file
from store.parsers.miller import title_from_slug


def test_real_folder(corpora_dir: Path) -> None:
    folder = corpora_dir / "us_presidential_speeches_miller"
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    heads = {p: p.read_bytes()[:8192].decode("utf-8", "replace") for p in files}
    assert [p.name for p in files if detect_format(p, heads[p]) is None] == ["SOURCE.md"]
    docs = {
        p.name: d
        for p in files
        if p.name != "SOURCE.md"
        for d in parse_file(p)
        if isinstance(d, ParsedDocument)
    }
    assert len(docs) == 449
    # 90 paragraphs over 8,000 characters are split at sentence ends; 119 transcripts
    # without blank lines have a paragraph per line
    assert sum(len(d.paragraphs) for d in docs.values()) == 28226
    jfk = docs["1961-01-20-inaugural-address.txt"].paragraphs
    assert len(jfk) == 28 and jfk[1].startswith("We observe today not a victory of party")
    first = docs["1789-04-30-first-inaugural-address.txt"]
    assert (first.title, first.speaker) == ("First Inaugural Address", "George Washington")
    assert first.date == PartialDate(1789, 4, 30) and len(first.paragraphs) == 8
    assert first.paragraphs[0] == "Fellow Citizens of the Senate and the House of Representatives:"
    no_ext = docs["2020-08-08-press-conference-executive-orders"]
    assert no_ext.speaker == "Donald Trump" and no_ext.date == PartialDate(2020, 8, 8)
    text = " ".join(p for d in docs.values() for p in d.paragraphs)
    assert "&nbsp;" not in text and "<em>" not in text and "\n" not in text


def test_quirks(tmp_path: Path) -> None:
    path = tmp_path / "2018-01-30-state-of-the-union-address"
    path.write_text(
        "President: Donald Trump\n\nMr. Speaker,&nbsp;Mr. Vice President:\n\n"
        "We <em>will</em> soft\nwrapped line.\n\n\n[Applause]\n",
        encoding="utf-8",
    )
    assert detect_format(path, path.read_text()) == "miller"
    [doc] = parse_file(path)
    assert isinstance(doc, ParsedDocument)
    assert doc.title == "State of the Union Address"
    assert doc.paragraphs == [
        "Mr. Speaker, Mr. Vice President:",
        "We will soft wrapped line.",
        "[Applause]",
    ]


def test_a_transcript_without_blank_lines_has_a_paragraph_per_line(tmp_path: Path) -> None:
    path = tmp_path / "1961-01-20-inaugural-address.txt"
    path.write_text(
        "President: John F. Kennedy\n\nFellow citizens:  \nWe observe today a celebration."
        "  \nThe world is very different now.  \n",
        encoding="utf-8",
    )
    [doc] = parse_file(path)
    assert isinstance(doc, ParsedDocument)
    assert doc.paragraphs == [
        "Fellow citizens:",
        "We observe today a celebration.",
        "The world is very different now.",
    ]


def test_title_from_slug() -> None:
    assert title_from_slug("address-to-the-nation-on-the-economy") == (
        "Address to the Nation on the Economy"
    )
