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
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache
from itertools import accumulate, pairwise

# Starts the full-text index's word-pair terms ("ǂgeneralǂsecretary"): a letter to
# SQLite's unicode61 tokenizer (so a pair is one term), folded out of every text.
PAIR_MARK = "ǂ"
_SPECIAL: dict[str, str] = {
    **dict.fromkeys("‘’‚‛′`´ʼ", "'"),
    **dict.fromkeys("“”„‟″«»", '"'),
    **dict.fromkeys("‐‑‒–—―−－﹣", "-"),
    "…": "...",
    PAIR_MARK: " ",  # never part of a word, so word-pair terms cannot be typed
}
_TOKEN = re.compile(r"[^\W_]+")
_HANGUL = re.compile("[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")  # as is_hangul
# ASCII letters and digits kept, every other byte a space: fast word splitting of ASCII text
_ASCII_WORD_BYTES = bytes(b if chr(b).isalnum() and b < 128 else 32 for b in range(256))


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


# One-to-one replacements of the commonest non-ASCII characters, so that most
# paragraphs fold with positions unchanged (the fast path; str.replace is C-fast).
_ONE_TO_ONE = (
    ("’", "'"),
    ("‘", "'"),
    ("“", '"'),
    ("”", '"'),
    ("—", "-"),
    ("–", "-"),
    ("…", "."),
    ("\u00a0", " "),
    ("\u2009", " "),
    ("\u202f", " "),
    ("\u3000", " "),
)


def _quick_fold(text: str) -> str:
    for old, new in _ONE_TO_ONE:
        if old in text:
            text = text.replace(old, new)
    return text


def fold(text: str) -> str:
    """Fold ``text`` for comparison (see the module docstring)."""
    if text.isascii():
        return text.lower()
    quick = _quick_fold(text)
    if quick.isascii():
        return quick.lower()
    return "".join(fold_char(ch) for ch in text)


def fold_with_map(text: str) -> tuple[str, list[int]]:
    """Fold ``text`` and return, for every folded character, its index in ``text``."""
    if text.isascii():
        return text.lower(), list(range(len(text)))
    quick = _quick_fold(text)
    if quick.isascii():
        return quick.lower(), list(range(len(text)))
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


class TokenizedText:
    """A displayed text split into folded words, each with its displayed span.

    ``joined`` is the words joined by single spaces: the string scoring compares.
    ``starts[i]`` is where word ``i`` begins in ``joined``.  ``spans`` (displayed-text
    ranges of the words) are worked out only when first asked for.
    """

    __slots__ = ("_folded", "_offsets", "_spans", "joined", "starts", "text", "words")

    def __init__(self, text: str) -> None:
        self.text = text
        self._folded, self._offsets = fold_with_map(text)
        self.words: tuple[str, ...] = tuple(_TOKEN.findall(self._folded))
        self.joined = " ".join(self.words)
        self.starts: tuple[int, ...] = (
            tuple(accumulate((len(w) + 1 for w in self.words[:-1]), initial=0))
            if self.words
            else ()
        )
        self._spans: tuple[tuple[int, int], ...] | None = None

    @property
    def spans(self) -> tuple[tuple[int, int], ...]:
        """``(start, end)`` in the displayed text of every word."""
        if self._spans is None:
            offsets = self._offsets
            self._spans = tuple(
                (offsets[m.start()], offsets[m.end() - 1] + 1)
                for m in _TOKEN.finditer(self._folded)
            )
        return self._spans

    def word_at(self, joined_index: int) -> int:
        """Index of the word that covers (or precedes) position ``joined_index`` of ``joined``."""
        return max(bisect_right(self.starts, joined_index) - 1, 0)


def tokenize(text: str) -> TokenizedText:
    """Split ``text`` into folded words with their spans in the displayed text."""
    return TokenizedText(text)


def has_hangul(text: str) -> bool:
    """True when ``text`` contains any Hangul (syllables or jamo, see :func:`is_hangul`)."""
    return not text.isascii() and _HANGUL.search(text) is not None


def document_frequencies(texts: Iterable[str]) -> dict[str, int]:
    """For each folded word, the number of ``texts`` it occurs in."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(set(tokens(text)))
    return dict(counts)


def joined_words(text: str) -> str:
    """The folded words of ``text`` joined by single spaces (fast: no offset map)."""
    folded = fold(text)
    if folded.isascii():
        return " ".join(folded.encode("ascii").translate(_ASCII_WORD_BYTES).decode().split())
    return " ".join(_TOKEN.findall(folded))


def pair_term(first: str, second: str) -> str:
    """The index term for two folded words side by side (``ǂgeneralǂsecretary``)."""
    return f"{PAIR_MARK}{first}{PAIR_MARK}{second}"


def pair_terms(words: Sequence[str]) -> list[str]:
    """Index terms for the neighbouring folded ``words``, in order, each once.

    A pair term stands for two words side by side: much rarer than either word, so
    common words that typically follow each other in a quotation still pick out few
    paragraphs.  Pairs with Hangul are left out (Korean words are matched by prefix),
    and so are a word and its repetition.
    """
    return list(
        dict.fromkeys(
            pair_term(a, b)
            for a, b in pairwise(words)
            if a != b and not (has_hangul(a) or has_hangul(b))
        )
    )


def index_text(text: str) -> str:
    """What the full-text index holds for a displayed paragraph: the folded text, then
    its word-pair terms (see :func:`pair_terms`)."""
    folded = fold(text)
    if folded.isascii():
        words = folded.encode("ascii").translate(_ASCII_WORD_BYTES).decode().split()
        pairs = list(dict.fromkeys(pair_term(a, b) for a, b in pairwise(words) if a != b))
    else:
        pairs = pair_terms(_TOKEN.findall(folded))
    return f"{folded}\n{' '.join(pairs)}" if pairs else folded
