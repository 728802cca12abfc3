"""Quote pictures: a passage as a PNG people can post anywhere.

The card's "🖼 Picture" button and ``verbatim show ID --picture FILE.png`` both call
:func:`render_quote`.  The picture holds the matched stretch of the paragraph (the whole
paragraph when it is short) in the largest type that fits, the citation line under it
and a small footer naming the bot.  A long paragraph shows a window around the matched
words with ``…`` at either cut, always between words.  Every picture fits Telegram's
photo limits (≤ 10 MB, width + height ≤ 10000, aspect ratio ≤ 20: here at most 5:4
tall and 16:9 wide).

No Telegram imports.  Rendering is pure CPU (tens of milliseconds): run it off the event
loop (``asyncio.to_thread``).  The same input gives the same bytes (no time or other
metadata in the PNG); :func:`picture_key` names an input for a ``file_id`` cache.
Fonts: :mod:`bot.core.fonts`.
"""

from __future__ import annotations

import hashlib
import io
import json
import unicodedata
from dataclasses import dataclass

from PIL import Image, ImageDraw

from bot.core.citation import citation_text
from bot.core.excerpts import DANGLING, excerpt_window
from bot.core.excerpts import ELLIPSIS as ELLIPSIS
from bot.core.fonts import FontChain, font_chain
from store.models import DocumentMeta
from store.text.norm import has_hangul

PICTURE_VERSION = 2  # bump when the drawing changes: cached file_ids then miss
WIDTH = 1080
MIN_WIDTH, MAX_WIDTH = 320, 4096
TALLEST = 1.25  # height at most this times the width (4:5, a portrait post)
SHORTEST = 0.5625  # height at least this times the width (16:9)
WHOLE_CHARS = 900  # a paragraph this short is shown whole when it fits
WINDOWS = (600, 420, 300, 200, 140)  # characters of the excerpts tried, largest first
QUOTE_SIZES = tuple(range(64, 30, -2))  # passage type sizes tried at width 1080, in px
CITATION_SIZE, FOOTER_SIZE = 30, 24
CITATION_LINES = 3

BACKGROUND, INK, MUTED, FAINT, ACCENT = "#fbf8f1", "#1d1d1f", "#4a4a4a", "#8c8c8c", "#b0412e"


@dataclass(frozen=True, slots=True)
class QuoteLayout:
    """Where everything goes: the lines as drawn and the vertical band (top, bottom) in
    pixels of the passage, the citation and the footer."""

    width: int
    height: int
    quote_size: int
    lines: tuple[str, ...]
    citation: tuple[str, ...]
    footer: str
    hangul: bool  # the passage has Hangul (a Hangul font first)
    citation_hangul: bool
    footer_hangul: bool
    quote_band: tuple[int, int]
    citation_band: tuple[int, int]
    footer_band: tuple[int, int]


@dataclass(frozen=True, slots=True)
class _Metrics:
    """Sizes in pixels, scaled to the picture's width."""

    width: int

    def px(self, value: float) -> int:
        return max(1, round(value * self.width / WIDTH))

    @property
    def pad(self) -> int:
        return self.px(88)

    @property
    def bar(self) -> int:
        return max(2, self.px(6))

    @property
    def text_x(self) -> int:
        return self.pad + self.bar + self.px(34)

    @property
    def text_width(self) -> int:
        return self.width - self.text_x - self.pad


def excerpt(text: str, spans: tuple[tuple[int, int], ...], size: int) -> str:
    """At most about ``size`` characters of ``text`` around the matched ``spans``, cut
    between words, with ``…`` where text was left out (the rule of
    :func:`bot.core.excerpts.excerpt_window`, shared with the Telegram messages).

    Centred on the spans when they fit, else starting just before the first one.  Only a
    single "word" longer than the window (text without spaces) is ever cut inside.
    """
    window = excerpt_window(text, spans, size)
    lead = ELLIPSIS if window.cut_before else ""
    tail = ELLIPSIS if window.cut_after else ""
    return lead + text[window.start : window.end] + tail


def _words(text: str) -> list[str]:
    """Displayable words: control characters are spaces, invisible format ones dropped."""
    kept = []
    for char in unicodedata.normalize("NFC", text):
        category = unicodedata.category(char)
        if category == "Cc" or char.isspace():
            kept.append(" ")
        elif category not in ("Cf", "Cs", "Co", "Cn"):
            kept.append(char)
    return "".join(kept).split()


def _units(citation: str, separator: str = " · ") -> list[str]:
    """What a citation wraps by: its `` · ``-separated parts, kept whole where they fit."""
    parts = [" ".join(_words(part)) for part in citation.split(separator)]
    parts = [part for part in parts if part]
    return [f"{part} ·" if n < len(parts) - 1 else part for n, part in enumerate(parts)]


def _citation_lines(citation: str, chain: FontChain, width: int) -> list[str]:
    """The citation in at most ``CITATION_LINES`` lines: a long title (the first part) is
    shortened first, so that date, place and ¶ N of M stay."""
    units = _units(citation)
    lines = _wrap(units, chain, width)
    while len(lines) > CITATION_LINES and len(units) > 1 and len(units[0].split()) > 2:
        words = units[0].removesuffix(" ·").removesuffix(ELLIPSIS).split()[:-1]
        units[0] = " ".join(words).rstrip(DANGLING) + f"{ELLIPSIS} ·"
        lines = _wrap(units, chain, width)
    return _limited(lines, CITATION_LINES, chain, width)


def _wrap(words: list[str], chain: FontChain, width: int) -> list[str]:
    """Greedy wrap of ``words`` (each measured once); an item wider than a line is wrapped
    by its own words when it has several, else broken between characters."""
    space = chain.length(" ")
    lines: list[str] = []
    line, used = "", 0.0
    for word in words:
        size = chain.length(word)
        if size > width:
            if line:
                lines.append(line)
            inner = word.split()
            pieces = _wrap(inner, chain, width) if len(inner) > 1 else _break(word, chain, width)
            lines.extend(pieces[:-1])
            line, used = pieces[-1], chain.length(pieces[-1])
        elif line and used + space + size > width:
            lines.append(line)
            line, used = word, size
        else:
            line, used = (f"{line} {word}", used + space + size) if line else (word, size)
    if line:
        lines.append(line)
    return lines


def _break(word: str, chain: FontChain, width: int) -> list[str]:
    """A word too wide for a line, cut between characters (each measured once)."""
    pieces, piece, used = [], "", 0.0
    advance: dict[str, float] = {}
    for char in word:
        size = advance.setdefault(char, chain.length(char))
        if piece and used + size > width:
            pieces.append(piece)
            piece, used = "", 0.0
        piece, used = piece + char, used + size
    return [*pieces, piece]


def _clip(line: str, chain: FontChain, width: int) -> str:
    """``line`` cut at a word boundary and ended with ``…`` to fit ``width``."""
    words = line.split()
    while len(words) > 1 and chain.length(" ".join(words) + ELLIPSIS) > width:
        words.pop()
    out = " ".join(words).rstrip(DANGLING + ELLIPSIS) + ELLIPSIS
    if chain.length(out) > width:  # one word too wide on its own
        room = max(1, int(width - chain.length(ELLIPSIS)))
        out = _break(out, chain, room)[0].rstrip(ELLIPSIS) + ELLIPSIS
    return out


def _limited(lines: list[str], most: int, chain: FontChain, width: int) -> list[str]:
    if len(lines) <= most:
        return lines
    return [*lines[: most - 1], _clip(lines[most - 1], chain, width)]


def _candidates(passage: str, spans: tuple[tuple[int, int], ...]) -> list[list[str]]:
    texts = [passage.strip()] if len(passage) <= WHOLE_CHARS else []
    texts += [excerpt(passage, spans, size) for size in WINDOWS if size < len(passage)]
    unique = list(dict.fromkeys(t for t in texts))
    return [_words(t) for t in unique] or [[]]


def layout_quote(
    passage: str,
    spans: tuple[tuple[int, int], ...],
    citation: str,
    footer: str,
    *,
    width: int = WIDTH,
) -> QuoteLayout:
    """Choose the excerpt, type size and lines of a quote picture (see :func:`render_quote`)."""
    if not MIN_WIDTH <= width <= MAX_WIDTH:
        raise ValueError(f"width must be {MIN_WIDTH}..{MAX_WIDTH} pixels, not {width}")
    m = _Metrics(width)
    tallest, shortest = int(width * TALLEST), round(width * SHORTEST)
    korean, cit_korean, foot_korean = has_hangul(passage), has_hangul(citation), has_hangul(footer)
    cit_chain = font_chain("sans", m.px(CITATION_SIZE), hangul_first=cit_korean)
    cit_lines = _citation_lines(citation, cit_chain, m.text_width)
    foot_chain = font_chain("sans", m.px(FOOTER_SIZE), hangul_first=foot_korean)
    foot = " ".join(_words(footer))
    if foot and foot_chain.length(foot) > m.text_width:
        foot = _clip(foot, foot_chain, m.text_width)
    cit_height = m.px(40) + len(cit_lines) * _line(m.px(CITATION_SIZE)) if cit_lines else 0
    foot_height = m.px(48) + _line(m.px(FOOTER_SIZE)) if foot else 0
    fixed = 2 * m.pad + cit_height + foot_height
    sizes = [max(10, m.px(s)) for s in QUOTE_SIZES]

    chosen: tuple[int, list[str]] | None = None
    for words in _candidates(passage, spans):
        for size in sizes:
            chain = font_chain("serif", size, hangul_first=korean)
            lines = _wrap(words, chain, m.text_width)
            if fixed + len(lines) * _line(size) <= tallest:
                chosen = size, lines
                break
        if chosen:
            break
    if chosen is None:  # only on the narrowest pictures: as many lines as fit
        size = sizes[-1]
        chain = font_chain("serif", size, hangul_first=korean)
        lines = _wrap(_candidates(passage, spans)[-1], chain, m.text_width)
        room = max(1, (tallest - fixed) // _line(size))
        chosen = size, _limited(lines, room, chain, m.text_width)
    size, lines = chosen

    quote_height = len(lines) * _line(size)
    height = max(shortest, fixed + quote_height)
    foot_top = height - m.pad - _line(m.px(FOOTER_SIZE)) if foot else height - m.pad
    block = quote_height + cit_height
    area_bottom = foot_top - (m.px(48) if foot else 0)
    top = m.pad + max(0, (area_bottom - m.pad - block) // 2)
    cit_top = top + quote_height + m.px(40)
    return QuoteLayout(
        width=width,
        height=height,
        quote_size=size,
        lines=tuple(lines),
        citation=tuple(cit_lines),
        footer=foot,
        hangul=korean,
        citation_hangul=cit_korean,
        footer_hangul=foot_korean,
        quote_band=(top, top + quote_height),
        citation_band=(cit_top, cit_top + len(cit_lines) * _line(m.px(CITATION_SIZE))),
        footer_band=(foot_top, foot_top + _line(m.px(FOOTER_SIZE)) if foot else foot_top),
    )


def _line(size: int) -> int:
    """Line height for type of ``size`` px."""
    return round(size * 1.42)


def _baseline(top: int, size: int, chain: FontChain) -> int:
    ascent, descent = chain.metrics()
    return top + (_line(size) - ascent - descent) // 2 + ascent


def draw_quote(layout: QuoteLayout) -> Image.Image:
    """The picture of a :class:`QuoteLayout`, as a Pillow image."""
    m = _Metrics(layout.width)
    image = Image.new("RGB", (layout.width, layout.height), BACKGROUND)
    canvas = ImageDraw.Draw(image)
    top, bottom = layout.quote_band
    if layout.lines:
        inset = m.px(10)
        canvas.rectangle((m.pad, top + inset, m.pad + m.bar - 1, bottom - inset), fill=ACCENT)
    chain = font_chain("serif", layout.quote_size, hangul_first=layout.hangul)
    for n, line in enumerate(layout.lines):
        y = top + n * _line(layout.quote_size)
        chain.draw(canvas, m.text_x, _baseline(y, layout.quote_size, chain), line, INK)
    size = m.px(CITATION_SIZE)
    chain = font_chain("sans", size, hangul_first=layout.citation_hangul)
    for n, line in enumerate(layout.citation):
        y = layout.citation_band[0] + n * _line(size)
        chain.draw(canvas, m.text_x, _baseline(y, size, chain), line, MUTED)
    if layout.footer:
        size = m.px(FOOTER_SIZE)
        chain = font_chain("sans", size, hangul_first=layout.footer_hangul)
        x = layout.width - m.pad - chain.length(layout.footer)
        baseline = _baseline(layout.footer_band[0], size, chain)
        chain.draw(canvas, x, baseline, layout.footer, FAINT)
    return image


def render_quote(
    passage: str,
    spans: tuple[tuple[int, int], ...],
    citation: str,
    footer: str,
    *,
    width: int = WIDTH,
) -> bytes:
    """A PNG of ``passage`` (around the matched ``spans``: character offsets, as in
    :class:`store.models.Hit`), with ``citation`` under it and ``footer`` (the bot's name)
    at the bottom; ``width`` pixels wide (320..4096), 0.5625 to 1.25 times as tall.

    Deterministic: the same arguments give the same bytes (on the same fonts and Pillow).
    Pure CPU; raises only ``ValueError`` for a width out of range.
    """
    image = draw_quote(layout_quote(passage, spans, citation, footer, width=width))
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False, compress_level=6)
    return out.getvalue()


def picture_key(
    passage: str,
    spans: tuple[tuple[int, int], ...],
    citation: str,
    footer: str,
    *,
    width: int = WIDTH,
) -> str:
    """A short stable name for the picture of these arguments, to cache the ``file_id``
    Telegram returns after the first upload (includes :data:`PICTURE_VERSION`)."""
    spec = [PICTURE_VERSION, passage, [list(s) for s in spans], citation, footer, width]
    return hashlib.sha256(json.dumps(spec, ensure_ascii=False).encode()).hexdigest()[:32]


def picture_citation(document: DocumentMeta, position: int | None = None) -> str:
    """The citation line of a picture: title, then the card's citation (speaker, date,
    place, ¶ N of M, collection)."""
    return f"{document.title} · {citation_text(document, position)}"


def picture_footer(bot_username: str | None = None) -> str:
    """The footer naming the bot: ``Verbatim · @name`` (``Verbatim`` without a name)."""
    return f"Verbatim · @{bot_username}" if bot_username else "Verbatim"
