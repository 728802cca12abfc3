"""html: a web page saved as a file is read as a fetched page is, tags and menus left out."""

from __future__ import annotations

from pathlib import Path

import pytest

from store.models import ParsedDocument, ParseError
from store.parsers import detect_format, parse_file

PAGE = """<!DOCTYPE html>
<html><head><title>The Lamp Speech</title></head>
<body><nav>Home | About | Contact</nav>
<article><h1>The Lamp Speech</h1>
<p>Every night the beam turns forty times across the harbour, and the keepers count.</p>
<p>Second: the <b>lamp</b> &amp; its keepers never sleep while ships are out at sea.</p>
</article><footer>Copyright 2024</footer></body></html>
"""


@pytest.mark.parametrize("name", ["lamp.html", "lamp.HTM", "lamp.txt"])
def test_a_saved_page_gives_its_main_text_without_tags(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text(PAGE, encoding="utf-8")
    assert detect_format(path, PAGE) == "html"
    [doc] = parse_file(path)
    assert isinstance(doc, ParsedDocument)
    assert (doc.title, doc.source_format, doc.origin, doc.url) == (
        "The Lamp Speech",
        "html",
        str(path),
        None,
    )
    assert doc.paragraphs == [
        "Every night the beam turns forty times across the harbour, and the keepers count.",
        "Second: the lamp & its keepers never sleep while ships are out at sea.",
    ]


def test_a_page_without_main_text_is_refused_with_a_reason(tmp_path: Path) -> None:
    path = tmp_path / "empty.html"
    path.write_text("<html><body><nav>Home</nav></body></html>", encoding="utf-8")
    with pytest.raises(ParseError, match="no article text"):
        list(parse_file(path))
