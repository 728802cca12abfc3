"""Where a query stands in a paragraph: the alignment of its folded words against the
best-matching stretch of the paragraph's (rapidfuzz ``partial_ratio``, whole words only),
and for a very long paragraph the stretches around the query's longest words that are
looked at instead of all of it.  Pure functions, used by :mod:`store.search.ranking`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rapidfuzz import fuzz

from store.text.norm import fold, has_hangul, is_hangul, joined_words

LONG_TEXT = 1500  # characters beyond which alignment looks only around anchor words
ANCHOR_WORDS = 4
ANCHOR_HITS = 6


def _anchor_windows(query: str, query_words: Sequence[str], joined: str) -> list[tuple[int, int]]:
    """Stretches of a long ``joined`` text around occurrences of the query's longest words."""
    padded = f" {joined} "
    found = _anchor_stretches(query_words, len(query) + 8, lambda w, i: padded.find(f" {w} ", i))
    return [(a, min(b, len(joined))) for a, b in found]


def _anchor_stretches(
    query_words: Sequence[str], reach: int, find: Callable[[str, int], int]
) -> list[tuple[int, int]]:
    """Stretches ``reach`` characters either side of the first ``ANCHOR_HITS`` places
    where ``find`` sees each of the query's ``ANCHOR_WORDS`` longest words, merged
    where they overlap, in order."""
    stretches: list[tuple[int, int]] = []
    # longest first, ties in query order (a set's order would change from run to run)
    for word in sorted(dict.fromkeys(query_words), key=len, reverse=True)[:ANCHOR_WORDS]:
        if len(word) < 3:
            continue
        start = 0
        for _ in range(ANCHOR_HITS):
            pos = find(word, start)
            if pos < 0:
                break
            stretches.append((max(0, pos - reach), pos + len(word) + reach))
            start = pos + 1
    stretches.sort()
    merged: list[tuple[int, int]] = []
    for a, b in stretches:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def align(
    query: str, query_words: Sequence[str], joined: str, score_cutoff: float = 0.0
) -> tuple[float, int, int]:
    """Best alignment of ``query`` in ``joined``: (score 0–100, start, end in ``joined``).

    A paragraph shorter than the query is compared whole (so a short paragraph cannot
    match perfectly inside a long query); a very long one only around the places where
    the query's longest words occur, which keeps 40,000-character paragraphs cheap.
    An alignment under ``score_cutoff`` is given as ``(0.0, 0, 0)`` (rapidfuzz gives up
    on it early: much cheaper when the caller needs only to know it is too low).
    """
    padded = f" {joined} "
    if f" {query} " in padded:
        start = padded.index(f" {query} ")
        return 100.0, start, start + len(query)
    if len(joined) < len(query):
        whole = fuzz.ratio(query, joined, score_cutoff=score_cutoff)
        return (0.0, 0, 0) if score_cutoff and not whole else (float(whole), 0, len(joined))
    windows = [(0, len(joined))]
    if len(joined) > max(LONG_TEXT, 6 * len(query)):
        windows = _anchor_windows(query, query_words, joined) or windows
    best = (0.0, 0, 0)
    for a, b in windows:
        aligned = fuzz.partial_ratio_alignment(query, joined[a:b], score_cutoff=score_cutoff)
        if aligned is None or aligned.score <= best[0]:
            continue
        start, end = a + aligned.dest_start, a + aligned.dest_end
        score = aligned.score
        # a stretch ending inside a word is no exact match ("and in" is not in "and
        # infrastructure"); Korean words carry their endings: a word's beginning counts.
        # Widening only ever lowers a score (so that the cutoff above loses nothing).
        widened = (start, end) if has_hangul(query) else _whole_words(joined, start, end)
        if widened != (start, end):
            start, end = widened
            whole = fuzz.ratio(query, joined[start:end], score_cutoff=score_cutoff)
            score = min(score, whole)
        if score > best[0]:
            best = (score, start, end)
    return best


def _whole_words(joined: str, start: int, end: int) -> tuple[int, int]:
    """The stretch ``start:end`` of ``joined`` widened to whole words (a Korean ending
    attached to a word, as in ``icbm을``, is not widened into)."""
    while 0 < start < len(joined) and not _boundary(joined[start - 1], joined[start]):
        start -= 1
    while 0 < end < len(joined) and not _boundary(joined[end - 1], joined[end]):
        end += 1
    return start, end


def _boundary(before: str, after: str) -> bool:
    return " " in (before, after) or is_hangul(before) != is_hangul(after)


def quick_alignment(
    query: str, joined: str, query_words: Sequence[str] = (), score_cutoff: float = 0.0
) -> float:
    """The alignment part of the score alone (cheap: used to pick whom to score fully);
    0 for one under ``score_cutoff``."""
    return align(query, query_words or query.split(), joined, score_cutoff)[0]


def long_text_words(query: str, query_words: Sequence[str], text: str) -> str | None:
    """For a very long text, only the folded words near the query's longest words
    (``None`` when the text is short enough to split whole)."""
    if len(text) <= max(LONG_TEXT, 6 * len(query)):
        return None
    folded = fold(text)
    merged = _anchor_stretches(query_words, 2 * len(query) + 16, folded.find)
    # " | " keeps words of separate stretches from joining into one phrase
    return " | ".join(joined_words(folded[a:b]) for a, b in merged)
