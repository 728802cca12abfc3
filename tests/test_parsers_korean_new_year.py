"""korean-new-year: DPRK New Year addresses in Korean."""

from __future__ import annotations

from pathlib import Path

from store.models import ParsedDocument, PartialDate
from store.parsers import detect_format, parse_file


def test_real_folder(corpora_dir: Path) -> None:
    folder = corpora_dir / "dprk_new_year_addresses_ko"
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    heads = {p: p.read_bytes()[:8192].decode("utf-8", "replace") for p in files}
    assert [p.name for p in files if detect_format(p, heads[p]) is None] == ["SOURCE.md"]
    docs = {
        d.date.year: d
        for p in files
        if p.name != "SOURCE.md"
        for d in parse_file(p)
        if isinstance(d, ParsedDocument) and d.date
    }
    assert len(docs) == 73 and 1957 not in docs
    assert sum(len(d.paragraphs) for d in docs.values()) == 4672
    first = docs[1946]
    assert first.title == "신년을 맞이하면서 전국인민에게 고함"
    assert first.date == PartialDate(1946, 1, 1) and first.language == "ko"
    assert first.paragraphs[0] == "동포여러분!"
    assert docs[2017].title == "2017년 신년사" and len(docs[2017].paragraphs) == 85
    assert docs[2010].paragraphs[0].startswith("오늘 우리 군대와 인민은")
    body = "\n".join(p for d in docs.values() for p in d.paragraphs)
    assert not {"해 제", "원 문"} & set(body.split("\n"))
    assert "다음은 사설 전문임" not in body and "연합뉴스" not in body
    assert "\r" not in body and "\u3000" not in body


COMMENTARY = (
    "새해를 맞이하여\r\n\r\n- 1980년 01월 01일 \r\n해 제\r\n\r\n"
    "이 신년사는 남한 학자의 해설이다.\r\n\r\n원 문\r\n\r\n"
    "친애하는 동지들!\r\n\r\n우리는　새해를 맞이합니다.\r\n"
)


def test_commentary_header_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "1980.txt"
    path.write_bytes(COMMENTARY.encode("utf-8"))
    assert detect_format(path, COMMENTARY.replace("\r\n", "\n")) == "korean-new-year"
    [doc] = parse_file(path)
    assert isinstance(doc, ParsedDocument)
    assert doc.title == "새해를 맞이하여"
    assert doc.date == PartialDate(1980, 1, 1)
    assert doc.paragraphs == ["친애하는 동지들!", "우리는 새해를 맞이합니다."]
    assert doc.collection == "dprk_new_year_addresses_ko"


def test_news_lead_and_one_paragraph_per_line(tmp_path: Path) -> None:
    path = tmp_path / "2030.txt"
    path.write_text(
        "북한은 새해를 맞아 공동 사설을 발표했다 .\n다음은 사설 전문임. *****\n"
        "오늘 우리는 새해를 맞이한다.\n두번째 문단이다. (끝) "
        "<저작권자(c)연합뉴스.> 2030/01/01 09:45 송고\n",
        encoding="utf-8",
    )
    assert detect_format(path, path.read_text(encoding="utf-8")) == "korean-new-year"
    [doc] = parse_file(path)
    assert isinstance(doc, ParsedDocument)
    assert doc.title == "2030년 신년사"
    assert doc.date == PartialDate(2030)
    assert doc.paragraphs == ["오늘 우리는 새해를 맞이한다.", "두번째 문단이다."]
