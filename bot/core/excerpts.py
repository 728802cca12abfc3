"""Where a long passage is cut to show its matched words: one rule for every surface.

:func:`excerpt_window` gives the bounds of at most ``size`` characters of a paragraph
around the matched spans; the quote picture (:func:`bot.core.picture.excerpt`, plain
text) and the Telegram messages (:func:`bot.telegram.render.common.excerpt`, HTML with
the matched words in bold; the inline result's sentence) draw what lies between them,
with :data:`ELLIPSIS` on each side where text was left out.

The rule: the window is centred on the spans when they fit in it, else it starts a
little (``size // 8``) before the first one.  Its ends are then moved inward to the
nearest whitespace, so that a word is never cut, but never past the matched words the
window was placed for; a word is cut only when no whitespace lies between the raw cut
and those words (a single "word" longer than the window, text without spaces).  The
ends never sit on whitespace, and an end that cuts text off drops the punctuation left
dangling before the ellipsis (``the lamp, …`` → ``the lamp…``).  Pure: no Telegram, no
drawing.
"""

from __future__ import annotations

from dataclasses import dataclass

ELLIPSIS = "…"  # written where text was left out
DANGLING = " ,;:–—-·"  # dropped from the end of text cut short, before the ellipsis
LEAD_PART = 8  # matched words wider than the window: it starts size // LEAD_PART before them


@dataclass(frozen=True, slots=True)
class ExcerptWindow:
    """The slice ``text[start:end]`` to show, and whether text was left out before it
    (``cut_before``) and after it (``cut_after``): where the ellipses go."""

    start: int
    end: int
    cut_before: bool
    cut_after: bool


def excerpt_window(text: str, spans: tuple[tuple[int, int], ...], size: int) -> ExcerptWindow:
    """The bounds of at most ``size`` characters of ``text`` around the matched ``spans``
    (character offsets into ``text``), cut between words; see the module docstring.

    Whitespace at either end of ``text`` is never shown nor counted as cut; a text
    whose words fit in ``size`` is shown whole.
    """
    low = len(text) - len(text.lstrip())
    high = len(text.rstrip())
    if high <= low:  # nothing but whitespace: nothing to show
        return ExcerptWindow(0, 0, cut_before=False, cut_after=False)
    if high - low <= size:
        return ExcerptWindow(low, high, cut_before=False, cut_after=False)
    marked = sorted((max(low, s), min(high, e)) for s, e in spans)
    marked = [(s, e) for s, e in marked if s < e]
    start, keep = low, None
    if marked:
        first, last = marked[0][0], max(e for _, e in marked)
        fits = last - first <= size
        start = (first + last) // 2 - size // 2 if fits else first - size // LEAD_PART
        keep = (first, last if fits else marked[0][1])  # the matched words a cut spares
    start = min(max(low, start), high - size)
    end = start + size
    keep_from, keep_to = keep or (end, start)  # nothing matched: nothing to spare
    if start > low and not text[start - 1].isspace():  # inside a word: from the next one
        limit = max(start, min(end, keep_from))
        start = next((i for i in range(start, limit) if text[i].isspace()), start)
    cut_after = end < high
    if cut_after and not text[end].isspace():  # inside a word: to the one before
        limit = max(start, keep_to - 1)
        end = next((i for i in range(end - 1, limit, -1) if text[i].isspace()), end)
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if cut_after:
        while end > max(start, keep_to) and text[end - 1] in DANGLING:
            end -= 1
    return ExcerptWindow(start, end, cut_before=start > low, cut_after=cut_after)
