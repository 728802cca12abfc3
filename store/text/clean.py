"""Decoding raw files and cleaning paragraph text for display.

Parsers call :func:`decode_bytes` on a file's bytes and :func:`clean_paragraph` on
every paragraph they emit.  Cleaning repairs damage (odd spaces, C1 controls, HTML
leftovers, markdown bold, leader names glued to their neighbours) but keeps the text
as published otherwise: curly quotes, dashes and ellipses are *not* folded, since
search does its own folding.

Sizes are bounded here too (:func:`split_long_paragraph`, :func:`cap_field`): a
paragraph longer than :data:`MAX_PARAGRAPH_CHARS` is split at sentence ends, a title or
other one-line field longer than :data:`MAX_FIELD_CHARS` is cut, so one pathological
file cannot become one paragraph that every search then has to score.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from store.models import ParseError

_BOM = "\ufeff"

# Any character clean_paragraph may have to change; text without one (and without
# the ASCII triggers below) is returned untouched after NFC.
_ODD_CHARS = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\xa0\xad\u1680\u2000-\u200b\u202f\u205f\u3000\ufeff]"
)
_ODD_SPACES = frozenset("\t\r\x0b\x0c\x1c\x1d\x1e\x1f\xa0\u1680\u202f\u205f\u3000") | frozenset(
    chr(c) for c in range(0x2000, 0x200B)
)
_DROPPED = frozenset("\u200b\ufeff\xad")
_ENTITY = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_TAG = re.compile(
    r"</?(?:em|i|b|strong|u|span|p|br|a|font|sup|sub|div|small|big)(?:\s[^<>]*)?\s*/?>",
    re.IGNORECASE,
)
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(\s*)\*\*")  # "**BUSH:** " and "**BUSH: **" alike
# a speaker's label opening a paragraph with a space inside the marks: "** JIM LEHRER:** "
_OPENING_BOLD = re.compile(r"^\*\*\s+([^*\n]+?)\s*\*\*\s*")
# a mark whose pair is in another paragraph
_LONE_BOLD = re.compile(r"^\*\*(?=\w)|(?<=[\w.!?,;:\"”])\*\*$")
_LEADER_NAME = re.compile(r"Kim (?:Il Sung|Jong Il|Jong Un)")
_ASCII_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_SPACES = re.compile(r" {2,}")
_BLANK_LINES = re.compile(r"\n[ \t\u3000\xa0]*\n\s*")

# Read at call time, so tests (and an operator's patch) may lower them.
MAX_PARAGRAPH_CHARS = 8_000  # longer ones are split: 94 of the corpora's 215k (Miller, UN)
MAX_FIELD_CHARS = 300  # titles, speakers, places: longer ones are cut
# A sentence ends at . ! ? … (or their CJK forms), maybe closed by quotes or brackets,
# before a space; Korean sentences end in 다 before the full stop, which this covers.
_SENTENCE_END = re.compile(r"[.!?…。！？．][\"”’'»)\]]*(?=\s)")


def _c1_replacement(ch: str) -> str:
    """Map one odd character to its display form ('' to drop it)."""
    if ch in _ODD_SPACES:
        return " "
    if ch in _DROPPED:
        return ""
    code = ord(ch)
    if 0x80 <= code <= 0x9F:
        # A cp1252 byte that was decoded as Latin-1: \x96 is an en-dash, \x93 a quote...
        try:
            return bytes([code]).decode("cp1252")
        except UnicodeDecodeError:
            return ""
    return ""  # C0 controls other than tab/newline, DEL


_C1_CACHE: dict[str, str] = {}


def _fix_char(match: re.Match[str]) -> str:
    ch = match.group()
    fixed = _C1_CACHE.get(ch)
    if fixed is None:
        fixed = _C1_CACHE[ch] = _c1_replacement(ch)
    return fixed


def scrub_surrogates(text: str) -> str:
    """``text`` as UTF-8 can hold it: a lone surrogate (undecodable bytes kept by
    ``surrogateescape``, a ``"\\ud800"`` JSON escape) becomes U+FFFD, a surrogate pair
    the character it stands for.  For text from outside (queries, filters) before it is
    stored or bound to SQL, which refuse surrogates with an exception."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def decode_bytes(data: bytes, path: Path | str) -> str:
    """Decode a file's bytes to text with ``\\n`` line ends.

    Strips a UTF-8 byte-order mark and converts CRLF and CR-only line ends to LF.
    Raises :class:`ParseError` for an empty or binary file (NUL bytes) and for bytes
    that are not UTF-8, naming the byte offset of the first bad byte.
    """
    if b"\x00" in data:
        raise ParseError(f"{path}: looks like a binary file (contains NUL bytes), not text")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = data[exc.start : exc.start + 4]
        raise ParseError(
            f"{path}: not valid UTF-8 at byte offset {exc.start} (bytes {bad!r}); "
            "convert the file to UTF-8 first"
        ) from None
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.startswith(_BOM):  # a second BOM after a re-encoding round-trip
        text = text.lstrip(_BOM)
    if not text.strip():
        raise ParseError(f"{path}: file is empty")
    return text


def clean_paragraph(text: str) -> str:
    """Return ``text`` cleaned for display: one line, repaired, otherwise as published.

    NFC; odd spaces (NBSP, U+3000, thin spaces, tabs) become a plain space; runs of
    spaces collapse; C1 controls are decoded as cp1252 would (``\\x96`` -> ``–``) or
    dropped; HTML entities are unescaped and stray inline tags removed; markdown
    ``**bold**`` markers are removed; leader names glued to their neighbours by lost
    markup are re-spaced.  Newlines inside the paragraph become spaces.
    """
    if "\n" in text:
        text = text.replace("\n", " ")
    if "\t" in text:
        text = text.replace("\t", " ")
    if not text.isascii():
        if _ODD_CHARS.search(text):
            text = _ODD_CHARS.sub(_fix_char, text)
        if not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
    elif _ODD_CHARS.search(text):
        text = _ODD_CHARS.sub(_fix_char, text)
    if "&" in text:
        text = _ENTITY.sub(_unescape, text)
    if "<" in text:
        text = _TAG.sub("", text)
    if "**" in text:
        text = _OPENING_BOLD.sub(r"\1 ", text.strip())
        text = _LONE_BOLD.sub("", _BOLD.sub(r"\1\2", text))
    if "Kim " in text:
        text = _respace_leader_names(text)
    if "  " in text:
        text = _SPACES.sub(" ", text)
    return text.strip()


def split_long_paragraph(text: str) -> list[str]:
    """``text`` in pieces of at most :data:`MAX_PARAGRAPH_CHARS` characters: cut after
    the last sentence end that fits, else at the last space, else (one unbroken run of
    letters) at the limit.  A piece is never shorter than a quarter of the limit unless
    it is the last one.  Text within the limit is returned whole, as the only piece."""
    limit = max(MAX_PARAGRAPH_CHARS, 4)
    if len(text) <= limit:
        return [text] if text else []
    pieces: list[str] = []
    start, end = 0, len(text)
    floor = limit // 4
    while end - start > limit:
        stop = start + limit
        cut = -1
        for m in _SENTENCE_END.finditer(text, start + floor, stop):
            cut = m.end()
        if cut < 0:
            space = text.rfind(" ", start + floor, stop + 1)
            cut = space if space > start else stop
        piece = text[start:cut].strip()
        if piece:
            pieces.append(piece)
        start = cut
        while start < end and text[start] == " ":
            start += 1
    tail = text[start:].strip()
    if tail:
        pieces.append(tail)
    return pieces


def split_long_paragraphs(paragraphs: Iterable[str]) -> list[str]:
    """Every paragraph of ``paragraphs``, over-long ones split (:func:`split_long_paragraph`)."""
    out: list[str] = []
    for paragraph in paragraphs:
        if len(paragraph) <= MAX_PARAGRAPH_CHARS:
            out.append(paragraph)
        else:
            out.extend(split_long_paragraph(paragraph))
    return out


def cap_field(text: str) -> str:
    """A title, speaker or place of at most :data:`MAX_FIELD_CHARS` characters: a longer
    one is cut at a word near the limit and ends in ``…``."""
    limit = max(MAX_FIELD_CHARS, 2)
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > limit // 2 else limit - 1].rstrip(" ,;:") + "…"


def _respace_leader_names(text: str) -> str:
    """Put back the spaces lost around Kim Il Sung / Kim Jong Il / Kim Jong Un when
    bold markup was stripped (``atKim Il SungSquare`` -> ``at Kim Il Sung Square``)."""
    parts: list[str] = []
    last = 0
    for m in _LEADER_NAME.finditer(text):
        start, end = m.span()
        if start > 0 and text[start - 1] in _ASCII_LETTERS:
            parts += (text[last:start], " ")
            last = start
        if end < len(text) and text[end] in _ASCII_LETTERS:
            parts += (text[last:end], " ")
            last = end
    if not parts:
        return text
    parts.append(text[last:])
    return "".join(parts)


def _unescape(match: re.Match[str]) -> str:
    value = html.unescape(match.group())
    return " " if value in _ODD_SPACES else value


def rejoin_broken_paragraphs(paragraphs: list[str]) -> list[str]:
    """Re-join paragraphs that a stray blank line split in the middle of a sentence.

    A block is joined to the next one when it ends without any closing punctuation and
    the next one starts with a lower-case letter, or, for a long block (not a heading),
    when the next one starts with a capital (a name broken across the blank line:
    "…the ideas of the Party Central" / "Committee and apply them…").
    """
    out: list[str] = []
    for para in paragraphs:
        if out and para:
            prev = out[-1]
            last = prev[-1]
            first = para[0]
            if last.isalnum() and (first.islower() or (len(prev) >= 60 and first.isupper())):
                out[-1] = f"{prev} {para}"
                continue
        out.append(para)
    return out


def split_blank_line_blocks(text: str) -> list[str]:
    """Split text into blocks separated by blank lines; single newlines inside a block
    become spaces.  Blocks are cleaned with :func:`clean_paragraph`; empty ones dropped."""
    out = []
    for block in _BLANK_LINES.split(text):
        cleaned = clean_paragraph(block)
        if cleaned:
            out.append(cleaned)
    return out


def split_lines(text: str) -> list[str]:
    """One paragraph per non-empty line, each cleaned with :func:`clean_paragraph`."""
    out = []
    for line in text.split("\n"):
        cleaned = clean_paragraph(line)
        if cleaned:
            out.append(cleaned)
    return out


def has_blank_lines(text: str) -> bool:
    """True when the text contains at least one blank (or whitespace-only) line."""
    return _BLANK_LINES.search(text.strip()) is not None


def join_wrapped_lines(lines: Iterable[str]) -> str:
    """Join hard-wrapped lines of one paragraph into a single line.

    Lines are stripped and joined with a space, except that a line ending in a hyphen
    directly after a letter is joined without a space, keeping the hyphen
    (``ever-`` + ``worsening`` -> ``ever-worsening``).
    """
    parts: list[str] = []
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        if parts:
            prev = parts[-1]
            if len(prev) >= 2 and prev[-1] == "-" and prev[-2].isalpha() and line[0].isalpha():
                parts[-1] = prev + line
                continue
        parts.append(line)
    return " ".join(parts)
