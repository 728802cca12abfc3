"""kcna-kp-json: the kcna.kp JSON array (kcna_stiles_2024)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from store.models import ParsedDocument, ParseError, PartialDate, RecordError
from store.parsers import detect_format, parse_file

FILE = "kcna_stiles_2024/headlines_2024-11-11.json"


def test_real_file_counts_and_metadata(corpora_dir: Path) -> None:
    path = corpora_dir / FILE
    assert detect_format(path, path.read_text(encoding="utf-8")[:8192]) == "kcna-kp-json"
    items = list(parse_file(path))
    docs = [i for i in items if isinstance(i, ParsedDocument)]
    assert len(docs) == len(items) == 1862  # SOURCE.md: 1,862 records with a body
    assert sum(len(d.paragraphs) for d in docs) == 15500
    assert sum(d.place == "Pyongyang" for d in docs) == 1803
    assert {d.collection for d in docs} == {"kcna_stiles_2024"}
    first = docs[0]
    assert first.title == "Japan's Discharge of Nuclear-polluted Water Is Crime: KCNA Commentary"
    assert first.date == PartialDate(2023, 12, 24)
    assert first.origin == f"{path}#1"
    assert first.paragraphs[0].startswith("Japan continues discharging nuclear-contaminated water")
    text = "\n".join(p for d in docs for p in d.paragraphs)
    assert "(KCNA) --" not in text and "-0-" not in text
    assert "Kim Il Sung Square" in text and "atKim" not in text and "SungSquare" not in text


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "archive.json"
    path.write_text(json.dumps(data, indent=4), encoding="utf-8")
    return path


def test_quirks(tmp_path: Path) -> None:
    records = [
        {
            "topic": "Home News",
            "headline": "Rally\xa0Held",
            "link": "http://example.invalid/1",
            "date": 1720915200000,  # 2024-07-14 00:00 UTC
            "story_text": "Pyongyang, July 14 (KCNA) --\xa0A rally was held atKim Il SungSquare.\n"
            'Speakers praised GeneralKim Jong Il".\n\nIt ended. -0-',
        },
        {"topic": "Photo", "headline": "Photo", "date": 1720915200000, "story_text": None},
        {"topic": "Video", "headline": "Video", "date": 1720915200000, "story_text": "  "},
        "not an object",
        {"headline": None, "date_str": "2024-01-02", "story_text": "No dateline here.\n -0-"},
    ]
    path = _write(tmp_path, records)
    assert detect_format(path, path.read_text()) == "kcna-kp-json"
    items = list(parse_file(path))
    assert len(items) == 3
    doc, error, untitled = items
    assert isinstance(doc, ParsedDocument) and isinstance(untitled, ParsedDocument)
    assert doc.title == "Rally Held"
    assert (doc.place, doc.agency, doc.date) == ("Pyongyang", "KCNA", PartialDate(2024, 7, 14))
    assert doc.paragraphs == [
        "A rally was held at Kim Il Sung Square.",
        'Speakers praised General Kim Jong Il".',
        "It ended.",
    ]
    assert isinstance(error, RecordError) and error.origin == f"{path}#4"
    assert untitled.origin == f"{path}#5"
    assert untitled.date == PartialDate(2024, 1, 2)
    assert untitled.paragraphs == ["No dateline here."]
    assert untitled.place is None


def test_invalid_json_is_a_parse_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('[\n  {"headline": "x", "story_text": "y"\n', encoding="utf-8")
    with pytest.raises(ParseError, match="invalid JSON at line"):
        list(parse_file(path, "kcna-kp-json"))


def test_not_an_array_is_a_parse_error(tmp_path: Path) -> None:
    path = _write(tmp_path, {"headline": "x"})
    with pytest.raises(ParseError, match="expected a JSON array"):
        list(parse_file(path, "kcna-kp-json"))
