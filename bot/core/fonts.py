"""Fonts for quote pictures (:mod:`bot.core.picture`), found at the paths where Debian's
font packages install them.

- Latin: DejaVu Serif for the passage, DejaVu Sans for the citation and footer
  (Debian ``fonts-dejavu-core``).
- Hangul: Nanum Myeongjo / Nanum Gothic (``fonts-nanum``, what the deployment installs),
  else Noto Serif / Sans CJK (``fonts-noto-cjk``), Un Batang / Dotum
  (``fonts-unfonts-core``) or Baekmuk (``fonts-baekmuk``).
- Last: Pillow's own default font (``ImageFont.load_default``), so a machine without
  any of them still draws something.

A :class:`FontChain` draws each character in the first font of the chain that has a
glyph for it, so an ``é`` in a Korean passage (Nanum Myeongjo has none) comes from DejaVu
instead of showing as a box.  Falling back logs ONE warning per process and kind:
no DejaVu (Pillow's default font is used), or Hangul to draw and no font with Hangul
(drawn with the best available, i.e. boxes: install ``fonts-nanum``).
"""

from __future__ import annotations

import functools
import logging
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from PIL import Image, ImageDraw, ImageFont

from store.text.norm import is_hangul

log = logging.getLogger(__name__)

Style = Literal["serif", "sans"]
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont
Face = tuple[str, int]  # (font file, face index in a collection); ("", 0): Pillow's default

_DEJAVU_DIRS = (
    "/usr/share/fonts/truetype/dejavu",  # Debian, Ubuntu: fonts-dejavu-core
    "/usr/share/fonts/dejavu",  # Alpine: font-dejavu
    "/usr/share/fonts/TTF",  # Arch: ttf-dejavu
)
LATIN_FONTS: dict[Style, tuple[Face, ...]] = {
    "serif": (
        *((f"{d}/DejaVuSerif.ttf", 0) for d in _DEJAVU_DIRS),
        ("/usr/share/fonts/dejavu-serif-fonts/DejaVuSerif.ttf", 0),  # Fedora
    ),
    "sans": (
        *((f"{d}/DejaVuSans.ttf", 0) for d in _DEJAVU_DIRS),
        ("/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf", 0),  # Fedora
    ),
}
HANGUL_FONTS: dict[Style, tuple[Face, ...]] = {
    "serif": (
        ("/usr/share/fonts/truetype/nanum/NanumMyeongjo.ttf", 0),
        ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 1),  # face 1: Korean
        ("/usr/share/fonts/truetype/unfonts-core/UnBatang.ttf", 0),
        ("/usr/share/fonts/truetype/baekmuk/batang.ttf", 0),
    ),
    "sans": (
        ("/usr/share/fonts/truetype/nanum/NanumGothic.ttf", 0),
        ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 1),
        ("/usr/share/fonts/truetype/unfonts-core/UnDotum.ttf", 0),
        ("/usr/share/fonts/truetype/baekmuk/dotum.ttf", 0),
    ),
}
DEFAULT_FACE: Face = ("", 0)
_PROBE_SIZE = 24
_MISSING = "\U0010fffd"  # a private-use code point no font maps: its bitmap is .notdef's

_warned: set[str] = set()


def _warn_once(kind: str, message: str) -> None:
    if kind not in _warned:
        _warned.add(kind)
        log.warning(message)


def find_face(candidates: tuple[Face, ...]) -> Face | None:
    """The first of ``candidates`` whose file exists, or ``None``."""
    for path, index in candidates:
        if Path(path).is_file():
            return path, index
    return None


@functools.lru_cache(maxsize=64)
def load_font(face: Face, size: int) -> Font:
    """The font of ``face`` at ``size`` pixels (cached); ``DEFAULT_FACE`` is Pillow's."""
    path, index = face
    if not path:
        return ImageFont.load_default(size=size)
    return ImageFont.truetype(path, size, index=index, layout_engine=ImageFont.Layout.BASIC)


def _bitmap(font: Font, char: str) -> bytes:
    image = Image.new("L", (3 * _PROBE_SIZE, 3 * _PROBE_SIZE))
    ImageDraw.Draw(image).text((_PROBE_SIZE, _PROBE_SIZE), char, font=font, fill=255)
    return image.tobytes()


@functools.lru_cache(maxsize=1 << 16)
def covers(face: Face, char: str) -> bool:
    """Whether ``face`` has a glyph for ``char`` (its drawing differs from .notdef's)."""
    font = load_font(face, _PROBE_SIZE)
    if not isinstance(font, ImageFont.FreeTypeFont):
        return True  # Pillow without FreeType: a bitmap font, nothing better to try
    if char.isspace():
        return True
    return _bitmap(font, char) != _notdef(face)


@functools.lru_cache(maxsize=16)
def _notdef(face: Face) -> bytes:
    return _bitmap(load_font(face, _PROBE_SIZE), _MISSING)


def _is_hangul(char: str) -> bool:
    return is_hangul(char) or "HANGUL" in unicodedata.name(char, "")


@dataclass(frozen=True, slots=True)
class FontChain:
    """Fonts tried in order for each character, all at one pixel ``size``."""

    faces: tuple[Face, ...]
    size: int

    def runs(self, text: str) -> list[tuple[str, Font]]:
        """``text`` cut into runs each drawn in one font: the first that has the glyph
        (characters no font has go with the current run, or the first font)."""
        out: list[tuple[str, Face]] = []
        for char in text:
            face = next((f for f in self.faces if covers(f, char)), None)
            if face is None:
                if _is_hangul(char):
                    _warn_once(
                        "hangul",
                        "quote picture: no font with Hangul found (Debian: install fonts-nanum);"
                        " Korean text is drawn with the best font available",
                    )
                face = out[-1][1] if out else self.faces[0]
            if out and (out[-1][1] == face or char.isspace()):
                out[-1] = (out[-1][0] + char, out[-1][1])
            else:
                out.append((char, face))
        return [(chunk, load_font(face, self.size)) for chunk, face in out]

    def length(self, text: str) -> float:
        """Width of ``text`` in pixels."""
        return sum(font.getlength(chunk) for chunk, font in self.runs(text))

    def metrics(self) -> tuple[int, int]:
        """(ascent, descent) of the first font, in pixels."""
        font = load_font(self.faces[0], self.size)
        if isinstance(font, ImageFont.FreeTypeFont):
            ascent, descent = font.getmetrics()
            return int(ascent), int(descent)
        return self.size, self.size // 4

    def draw(
        self, canvas: ImageDraw.ImageDraw, x: float, baseline: int, text: str, fill: str
    ) -> None:
        """Draw ``text`` starting at ``x`` with its baseline at ``baseline``."""
        for chunk, font in self.runs(text):
            if isinstance(font, ImageFont.FreeTypeFont):
                canvas.text((x, baseline), chunk, font=font, fill=fill, anchor="ls")
            else:
                canvas.text((x, baseline - self.size), chunk, font=font, fill=fill)
            x += font.getlength(chunk)


def font_chain(style: Style, size: int, *, hangul_first: bool = False) -> FontChain:
    """The fonts for ``style`` at ``size`` px: DejaVu and a Hangul font (Hangul first when
    ``hangul_first``: Latin letters in Korean text then match its design), then Pillow's
    default.  Warns once when DejaVu is missing."""
    latin = find_face(LATIN_FONTS[style])
    if latin is None:
        _warn_once(
            "latin",
            "quote picture: DejaVu fonts not found (Debian: install fonts-dejavu-core);"
            " using Pillow's default font",
        )
    other: Style = "sans" if style == "serif" else "serif"
    korean = find_face(HANGUL_FONTS[style]) or find_face(HANGUL_FONTS[other])
    ordered = (korean, latin) if hangul_first else (latin, korean)
    faces = (*(f for f in ordered if f is not None), DEFAULT_FACE)
    return FontChain(faces, size)
