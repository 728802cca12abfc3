"""Tests for store.text.clean: decoding and display cleaning, one quirk per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from store.models import ParseError
from store.text.clean import (
    clean_paragraph,
    decode_bytes,
    join_wrapped_lines,
    rejoin_broken_paragraphs,
    split_blank_line_blocks,
)

P = Path("x.txt")


def test_decode_strips_bom_and_normalises_line_ends() -> None:
    assert decode_bytes(b"\xef\xbb\xbfone\r\ntwo\rthree\n", P) == "one\ntwo\nthree\n"


def test_decode_cr_only() -> None:
    assert decode_bytes(b"a\rb\r\rc", P).split("\n") == ["a", "b", "", "c"]


@pytest.mark.parametrize("data", [b"", b"  \n\n", b"\xef\xbb\xbf"])
def test_decode_empty_is_an_error(data: bytes) -> None:
    with pytest.raises(ParseError, match="empty"):
        decode_bytes(data, P)


def test_decode_binary_is_an_error() -> None:
    with pytest.raises(ParseError, match="binary"):
        decode_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", P)


def test_decode_invalid_utf8_names_the_offset() -> None:
    with pytest.raises(ParseError, match="byte offset 6"):
        decode_bytes("hello café".encode("latin-1")[:6] + b"\xe9 x", P)
    with pytest.raises(ParseError, match="byte offset 9"):
        decode_bytes(b"hello caf\xe9", P)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a\xa0b\u3000c\u202fd\u2009e\tf", "a b c d e f"),
        ("two  spaces \t\t here ", "two spaces here"),
        ("10\x9620 km", "10–20 km"),
        ("keep\x81out", "keepout"),
        ("bell\x07less", "bellless"),
        ("A&nbsp;B &amp; C &#8212; D &quot;q&quot;", 'A B & C — D "q"'),
        ("AT&T and R&D stay", "AT&T and R&D stay"),
        ("an <em>emphatic</em> <i>word</i><br/>", "an emphatic word"),
        ("＜로동신문＞ and <3 stay", "＜로동신문＞ and <3 stay"),
        ("The respected Comrade **Kim Jong Un** made", "The respected Comrade Kim Jong Un made"),
        ("2 ** 3 stays", "2 ** 3 stays"),
        ("**BUSH: **What troubles me", "BUSH: What troubles me"),  # space inside the mark
        ("**I do not hold that view.", "I do not hold that view."),  # its pair: elsewhere
        ("as I said.**", "as I said."),
        ("Ladies and Gentlemen,**", "Ladies and Gentlemen,"),
        ("** JIM LEHRER:** Good evening", "JIM LEHRER: Good evening"),
        ("Cafe\u0301", "Café"),
        ("zero\u200bwidth\ufeff", "zerowidth"),
        ("line\nbreak", "line break"),
        ("“Curly” ‘quotes’ — dashes – and… stay", "“Curly” ‘quotes’ — dashes – and… stay"),
    ],
)
def test_clean_paragraph(raw: str, expected: str) -> None:
    assert clean_paragraph(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("rally atKim Il SungSquare today", "rally at Kim Il Sung Square today"),
        ("General SecretaryKim Jong Unvisited", "General Secretary Kim Jong Un visited"),
        ('of GeneralKim Jong Il"', 'of General Kim Jong Il"'),
        (
            "PresidentKim Il Sungand ChairmanKim Jong Il",
            "President Kim Il Sung and Chairman Kim Jong Il",
        ),
        (
            "Kim Jong Un's speech; Kim Il Sung-Kim Jong Il",
            "Kim Jong Un's speech; Kim Il Sung-Kim Jong Il",
        ),
        ('(Kim Jong Un) and "Kim Il Sung"', '(Kim Jong Un) and "Kim Il Sung"'),
        ("Kimilsungism and Kim Yong Nam", "Kimilsungism and Kim Yong Nam"),
    ],
)
def test_glued_leader_names(raw: str, expected: str | None) -> None:
    assert clean_paragraph(raw) == (raw if expected is None else expected)


def test_clean_is_idempotent() -> None:
    raw = "a\xa0b atKim Jong Unvisited &amp; <em>x</em> **y** \x96"
    once = clean_paragraph(raw)
    assert clean_paragraph(once) == once


def test_join_wrapped_lines_keeps_hyphen() -> None:
    lines = ["the ever- ", "worsening situation and self-", "defence ", "of 1991 - ", "and so on"]
    assert join_wrapped_lines(lines) == (
        "the ever-worsening situation and self-defence of 1991 - and so on"
    )


def test_split_blank_line_blocks_joins_soft_wraps() -> None:
    text = "first line\nsame para\n\n  \nsecond\xa0para\n\n\n"
    assert split_blank_line_blocks(text) == ["first line same para", "second para"]


def test_rejoin_broken_paragraphs() -> None:
    broken = [
        "A long sentence that carries on and on, absorbing the ideas of the Party Central",
        "Committee and apply them in their work.",
        "He said that",
        "we must go on.",
        "Comrades,",
        "The next paragraph starts here.",
        "Short heading",
        "Body text of the section.",
    ]
    assert rejoin_broken_paragraphs(broken) == [
        "A long sentence that carries on and on, absorbing the ideas of the Party Central "
        "Committee and apply them in their work.",
        "He said that we must go on.",
        "Comrades,",
        "The next paragraph starts here.",
        "Short heading",
        "Body text of the section.",
    ]
