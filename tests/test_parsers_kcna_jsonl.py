"""kcna-jsonl: kcna.co.jp stories 2011-2012 (kcna_xmarquez_2011_2012)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from store.models import ParsedDocument, PartialDate, RecordError
from store.parsers import detect_format, parse_file
from store.parsers.kcna_jsonl import split_story


@pytest.fixture(scope="module")
def parsed(corpora_dir: Path) -> dict[str, list[ParsedDocument | RecordError]]:
    """Both files parsed once for the module (33 MB, about a second each)."""
    folder = corpora_dir / "kcna_xmarquez_2011_2012"
    return {
        name: list(parse_file(folder / name)) for name in ("KCNA_2011.jsonl", "KCNA_2012.jsonl")
    }


@pytest.mark.parametrize(
    ("name", "docs", "paragraphs", "spanish"),
    [("KCNA_2011.jsonl", 11997, 64309, 1560), ("KCNA_2012.jsonl", 10340, 66799, 1307)],
)
def test_real_file_counts(
    parsed: dict[str, list[ParsedDocument | RecordError]],
    name: str,
    docs: int,
    paragraphs: int,
    spanish: int,
) -> None:
    items = parsed[name]
    found = [i for i in items if isinstance(i, ParsedDocument)]
    assert len(found) == len(items) == docs  # SOURCE.md: rows with a story
    assert sum(len(d.paragraphs) for d in found) == paragraphs
    assert Counter(d.language for d in found)["es"] == spanish
    assert {d.collection for d in found} == {"kcna_xmarquez_2011_2012"}
    text = "\n".join(p for d in found for p in d.paragraphs)
    assert ", ," not in text and "\r" not in text and "\x96" not in text


def test_real_file_metadata(
    corpora_dir: Path, parsed: dict[str, list[ParsedDocument | RecordError]]
) -> None:
    path = corpora_dir / "kcna_xmarquez_2011_2012" / "KCNA_2011.jsonl"
    assert detect_format(path, path.read_text(encoding="utf-8")[:8192]) == "kcna-jsonl"
    first = parsed["KCNA_2011.jsonl"][0]
    assert isinstance(first, ParsedDocument)
    assert first.title == "Kim Jong Il Congratulates Lao President"
    assert first.date == PartialDate(2011, 12, 1)
    assert first.origin == f"{path}#1"
    assert first.agency == "KCNA" and first.language == "en"
    assert first.paragraphs[1] == "The message said:"


def test_split_story_quirks() -> None:
    story = (
        "First paragraph, with a comma., ,  The message said:, , \r Dear Comrade,, ,  "
        "Ended 10\x9620 May. , He left., , \u3000Last one., , , ,  , , , , , ,"
    )
    assert split_story(story) == [
        "First paragraph, with a comma.",
        "The message said:",
        "Dear Comrade,",
        "Ended 10–20 May.",
        "He left.",
        "Last one.",
    ]


def test_records(tmp_path: Path) -> None:
    rows = [
        {
            "title": "A",
            "date": "2011-05-03",
            "language": "en",
            "index_link": "x",
            "story": "One., , Two., , , ,",
        },
        {"title": "B", "date": "2011-05-03", "language": "en", "index_link": "x", "story": None},
        {
            "title": None,
            "date": "2012-01-02",
            "language": "en",
            "index_link": "x",
            "story": "El Dirigente visitó la fábrica de la ciudad con los funcionarios "
            "del partido y los obreros de la planta., , Fin.",
        },
    ]
    lines = [json.dumps(r, ensure_ascii=False) for r in rows]
    lines.insert(1, '{"title": "broken", "story": "unterminated')
    path = tmp_path / "kcna.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert detect_format(path, path.read_text(encoding="utf-8")) == "kcna-jsonl"
    items = list(parse_file(path))
    assert len(items) == 3
    first, broken, spanish = items
    assert isinstance(first, ParsedDocument) and first.paragraphs == ["One.", "Two."]
    assert first.origin == f"{path}#1"
    assert isinstance(broken, RecordError) and broken.origin == f"{path}#2"
    assert "invalid JSON" in broken.reason
    assert isinstance(spanish, ParsedDocument)
    assert spanish.origin == f"{path}#4"
    assert spanish.language == "es"  # labelled "en": detected from the text
    assert spanish.title.startswith("El Dirigente visitó la fábrica") and spanish.title.endswith(
        "…"
    )
    assert spanish.date == PartialDate(2012, 1, 2)
