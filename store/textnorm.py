"""Search folding of text, with a map back to the displayed text.

Search compares *folded* text: lower-cased, diacritics removed, curly quotes and
the many dashes folded to ASCII, full-width forms folded to their ASCII twins,
odd spaces and control characters turned into plain spaces.  Hangul syllables are
kept whole (decomposing them into jamo would break Korean matching).

Every folded character remembers the index of the displayed character it came
from, so a match found in folded text can be highlighted in the original.
Words (tokens) are maximal runs of letters and digits, as SQLite's ``unicode61``
tokenizer sees them, so query terms line up with the full-text index.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

_SPECIAL: dict[str, str] = {
    **dict.fromkeys("‘’‚‛′`´ʼ", "'"),
    **dict.fromkeys("“”„‟″«»", '"'),
    **dict.fromkeys("‐‑‒–—―−－﹣", "-"),
    "…": "...",
}
_TOKEN = re.compile(r"[^\W_]+")


def is_hangul(ch: str) -> bool:
    """True for Hangul syllables and jamo (kept whole by folding)."""
    code = ord(ch)
    return 0xAC00 <= code <= 0xD7A3 or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F


@lru_cache(maxsize=65536)
def fold_char(ch: str) -> str:
    """The folded form of one character (may be empty or several characters)."""
    if ch in _SPECIAL:
        return _SPECIAL[ch]
    if ch.isascii():
        return ch.lower() if ch.isprintable() else " "
    if is_hangul(ch):
        return ch
    category = unicodedata.category(ch)
    if category.startswith("Z") or category in ("Cc", "Cf"):
        return " " if category != "Cf" else ""
    decomposed = unicodedata.normalize("NFKD", ch)
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    return kept.lower()


def fold(text: str) -> str:
    """Fold ``text`` for comparison (see the module docstring)."""
    if text.isascii():
        return text.lower()
    return "".join(fold_char(ch) for ch in text)


def fold_with_map(text: str) -> tuple[str, list[int]]:
    """Fold ``text`` and return, for every folded character, its index in ``text``."""
    if text.isascii():
        return text.lower(), list(range(len(text)))
    out: list[str] = []
    offsets: list[int] = []
    for i, ch in enumerate(text):
        folded = fold_char(ch)
        out.append(folded)
        offsets.extend([i] * len(folded))
    return "".join(out), offsets


def tokens(text: str) -> list[str]:
    """The folded words of ``text``, in order."""
    return _TOKEN.findall(fold(text))


@dataclass(frozen=True, slots=True)
class TokenizedText:
    """A displayed text split into folded words, each with its displayed span.

    ``joined`` is the words joined by single spaces: the string scoring compares.
    ``starts[i]`` is where word ``i`` begins in ``joined``.
    """

    words: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]
    joined: str
    starts: tuple[int, ...]

    def word_at(self, joined_index: int) -> int:
        """Index of the word that covers (or follows) position ``joined_index`` of ``joined``."""
        lo, hi = 0, len(self.starts)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.starts[mid] <= joined_index:
                lo = mid + 1
            else:
                hi = mid
        return max(lo - 1, 0)


def tokenize(text: str) -> TokenizedText:
    """Split ``text`` into folded words with their spans in the displayed text."""
    folded, offsets = fold_with_map(text)
    words: list[str] = []
    spans: list[tuple[int, int]] = []
    starts: list[int] = []
    pos = 0
    for m in _TOKEN.finditer(folded):
        words.append(m.group())
        spans.append((offsets[m.start()], offsets[m.end() - 1] + 1))
        starts.append(pos)
        pos += len(m.group()) + 1
    return TokenizedText(tuple(words), tuple(spans), " ".join(words), tuple(starts))


def has_hangul(text: str) -> bool:
    """True when ``text`` contains any Hangul."""
    return any(is_hangul(ch) for ch in text)


def document_frequencies(texts: Iterable[str]) -> dict[str, int]:
    """For each folded word, the number of ``texts`` it occurs in."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(set(tokens(text)))
    return dict(counts)
