"""Telegram HTML and inline keyboards as terminal text, for ``verbatim chat``.

Bold stays bold (ANSI) when colours are on, italics and underline likewise; blockquotes
become lines starting with ``│``; links show their address when it differs from the
text; every other tag keeps only its text.  Without colours the output is plain text.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

BOLD, ITALIC, UNDERLINE, DIM = (
    ("\x1b[1m", "\x1b[22m"),
    ("\x1b[3m", "\x1b[23m"),
    (
        "\x1b[4m",
        "\x1b[24m",
    ),
    ("\x1b[2m", "\x1b[22m"),
)
_STYLES = {
    "b": BOLD,
    "strong": BOLD,
    "i": ITALIC,
    "em": ITALIC,
    "u": UNDERLINE,
    "ins": UNDERLINE,
}
_QUOTE_START, _QUOTE_END = "\x00<", "\x00>"
QUOTE_BAR = "│ "


class _Converter(HTMLParser):
    def __init__(self, ansi: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.ansi = ansi
        self.out: list[str] = []
        self.links: list[str | None] = []
        self.link_text: list[int] = []
        self.bold = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _STYLES and self.ansi:
            is_bold = tag in ("b", "strong")
            if not (is_bold and self.bold):  # already bold: no second "on" code
                self.out.append(_STYLES[tag][0])
            self.bold += is_bold
        elif tag == "blockquote":
            self.out.append(_QUOTE_START)
        elif tag == "a":
            self.links.append(dict(attrs).get("href"))
            self.link_text.append(len(self.out))

    def handle_endtag(self, tag: str) -> None:
        if tag in _STYLES and self.ansi:
            if tag not in ("b", "strong"):
                self.out.append(_STYLES[tag][1])
            elif self.bold > 0:
                self.bold -= 1
                if self.bold == 0:  # nested <b> inside <b>: stay bold until the outer ends
                    self.out.append(BOLD[1])
        elif tag == "blockquote":
            self.out.append(_QUOTE_END)
        elif tag == "a" and self.links:
            href, start = self.links.pop(), self.link_text.pop()
            text = "".join(self.out[start:])
            if href and href != text:
                self.out.append(f" <{href}>")

    def handle_data(self, data: str) -> None:
        self.out.append(data)


def html_to_terminal(text: str, *, ansi: bool) -> str:
    """Telegram HTML ``text`` as terminal text (ANSI styles when ``ansi``)."""
    converter = _Converter(ansi)
    converter.feed(text)
    converter.close()
    raw = "".join(converter.out)
    out: list[str] = []
    depth = 0
    line_start = True
    i = 0
    while i < len(raw):
        marker = raw[i : i + 2]
        if marker in (_QUOTE_START, _QUOTE_END):
            depth = depth + 1 if marker == _QUOTE_START else max(0, depth - 1)
            if not line_start:  # a blockquote is a block: it starts and ends a line
                out.append("\n")
                line_start = True
            i += 2
            if marker == _QUOTE_END and raw[i : i + 1] == "\n":
                i += 1
            continue
        char = raw[i]
        if line_start and depth and char != "\n":
            out.append(QUOTE_BAR * depth)
        out.append(char)
        line_start = char == "\n"
        i += 1
    return "\n".join(line.rstrip() for line in "".join(out).split("\n")).strip("\n")


def keyboard_lines(rows: list[list[dict[str, Any]]], first_number: int, *, ansi: bool) -> list[str]:
    """One line per keyboard row: ``[1] ◀ ¶ 3   [2] ¶ 5 ▶``, numbered from ``first_number``."""
    lines = []
    number = first_number
    for row in rows:
        cells = []
        for button in row:
            label = str(button.get("text", "?"))
            tag = f"[{number}]"
            cells.append(f"{DIM[0]}{tag}{DIM[1]} {label}" if ansi else f"{tag} {label}")
            number += 1
        lines.append("  " + "   ".join(cells))
    return lines
