"""rodong: Rodong Sinmun front-page stories (JSON Lines, content = list of paragraphs)."""

from __future__ import annotations

import json
from pathlib import Path

from store.models import ParsedDocument, PartialDate, RecordError
from store.parsers import detect_format, parse_file

FILE = "rodong_sinmun_frontpage_2021_2022/rodong_topnews.jsonl"


def test_real_file(corpora_dir: Path) -> None:
    path = corpora_dir / FILE
    assert detect_format(path, path.read_text(encoding="utf-8")[:8192]) == "rodong"
    items = list(parse_file(path))
    docs = [i for i in items if isinstance(i, ParsedDocument)]
    assert len(docs) == len(items) == 131  # SOURCE.md: 131 with content
    # 4,304 content paragraphs - 21 subtitles moved to titles + 16 closing-sentence bylines
    assert sum(len(d.paragraphs) for d in docs) == 4299
    first = docs[0]
    assert first.date == PartialDate(2021, 7, 12)
    assert first.origin == f"{path}#1"
    assert first.agency == "Rodong Sinmun" and first.collection == COLLECTION
    titles = {d.title for d in docs}
    assert (
        "Respected Comrade Kim Jong Un Has Photo Session with Participants in "
        "7th National Conference of War Veterans"
    ) in titles
    assert (
        "First Workshop of KPA Commanders and Political Officers Held: "
        "Respected Comrade Kim Jong Un Guides Workshop"
    ) in titles
    body = [p for d in docs for p in d.paragraphs]
    assert "Long live our great motherland, the Democratic People's Republic of Korea!" in body
    assert not any("Political News Team" in p for p in body)


COLLECTION = "rodong_sinmun_frontpage_2021_2022"


def test_quirks(tmp_path: Path) -> None:
    url = "http://www.rodong.rep.kp/en/index.php?strPageID=SF01_02_01&newsID="
    rows = [
        {
            "url": url + "2022-04-26-0001",
            "title": "Leader Has Photo Session with ",
            "byline": "\xa0 \xa0Political News Team",
            "content": ["Participants in Parade", "They had a photo\xa0session.", "10 000 flats."],
        },
        {"url": url + "2022-04-27-0001", "title": "", "byline": "", "content": []},
        {
            "url": url + "2022-04-28-0002",
            "title": "Speech Made",
            "byline": "Long live our motherland!",
            "content": ["The speech follows:", "Comrades,", "We will win."],
        },
    ]
    lines = [json.dumps(r) for r in rows] + ["[1, 2]"]
    path = tmp_path / "rodong_topnews.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    assert detect_format(path, path.read_text()) == "rodong"
    photo, speech, error = list(parse_file(path))
    assert isinstance(photo, ParsedDocument) and isinstance(speech, ParsedDocument)
    assert photo.title == "Leader Has Photo Session with Participants in Parade"
    assert photo.paragraphs == ["They had a photo session.", "10 000 flats."]
    assert photo.date == PartialDate(2022, 4, 26)
    assert speech.title == "Speech Made"
    assert speech.paragraphs == [
        "The speech follows:",
        "Comrades,",
        "We will win.",
        "Long live our motherland!",
    ]
    assert speech.origin == f"{path}#3"
    assert isinstance(error, RecordError) and error.origin == f"{path}#4"
