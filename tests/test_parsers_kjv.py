"""kjv: `bible -f` output, one document per chapter."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from store.models import ParsedDocument, RecordError
from store.parsers import detect_format, parse_file
from store.parsers.kjv import BOOKS


def test_whole_bible(tmp_path: Path) -> None:
    program = shutil.which("bible")
    if program is None:
        pytest.skip("bible (Debian package bible-kjv) not installed")
    out = subprocess.run(
        [program, "-f", "Gen1:1-Rev22:21"], capture_output=True, check=True, timeout=60
    ).stdout
    path = tmp_path / "kjv.txt"
    path.write_bytes(out)
    assert detect_format(path, out[:8192].decode()) == "kjv"
    docs = list(parse_file(path))
    assert all(isinstance(d, ParsedDocument) for d in docs)
    assert len(docs) == 1189  # chapters
    assert sum(len(d.paragraphs) for d in docs if isinstance(d, ParsedDocument)) == 31102
    first, last = docs[0], docs[-1]
    assert isinstance(first, ParsedDocument) and isinstance(last, ParsedDocument)
    assert first.title == "Genesis 1" and first.collection == "kjv" and first.speaker is None
    assert first.paragraphs[0] == "In the beginning God created the heaven and the earth."
    assert last.title == "Revelation 22" and last.origin == f"{path}#1189"
    titles = {d.title: d for d in docs if isinstance(d, ParsedDocument)}
    assert len(titles["Psalms 119"].paragraphs) == 176
    assert "Song of Solomon 8" in titles and "3 John 1" in titles


def test_synthetic_chapters(tmp_path: Path) -> None:
    path = tmp_path / "bits.txt"
    path.write_text(
        "1Sm3:1 And the child Samuel ministered.\n1Sm3:2 And it came to pass.\n"
        "garbage line\nSSol1:1 The song of songs.\n",
        encoding="utf-8",
    )
    items = list(parse_file(path, "kjv"))
    assert [type(i).__name__ for i in items] == ["RecordError", "ParsedDocument", "ParsedDocument"]
    error, sam, song = items
    assert isinstance(error, RecordError) and error.origin == f"{path}:3"
    assert isinstance(sam, ParsedDocument) and isinstance(song, ParsedDocument)
    assert sam.title == "1 Samuel 3" and len(sam.paragraphs) == 2
    assert song.title == "Song of Solomon 1" and song.origin == f"{path}#2"
    assert len(BOOKS) == 66
