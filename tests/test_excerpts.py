"""The one rule for cutting a passage around its matched words (bot.core.excerpts), which
the quote picture and the Telegram messages both draw."""

from __future__ import annotations

import html
import re

from hypothesis import given
from hypothesis import strategies as st

from bot.core import picture
from bot.core.excerpts import DANGLING, ELLIPSIS, LEAD_PART, excerpt_window
from bot.telegram.render import common

WORD = st.text("abcdefghij", min_size=1, max_size=14)
PUNCTUATION = st.sampled_from(["", "", "", ",", ";", ":", ".", " —", "-"])
GAP = st.sampled_from([" ", " ", " ", "  ", "\n", "\t", " \n "])
# after the window's end, only punctuation it dropped and then whitespace
CUT_AFTER_WORD = re.compile(rf"[{re.escape(DANGLING.strip())}]*\s")


@st.composite
def passages(draw: st.DrawFn) -> tuple[str, tuple[int, int], int]:
    """A paragraph of words, one word of it matched (its span), and a window size."""
    words = draw(st.lists(st.tuples(WORD, PUNCTUATION), min_size=1, max_size=200))
    gaps = draw(st.lists(GAP, min_size=len(words) + 1, max_size=len(words) + 1))
    pick = draw(st.integers(0, len(words) - 1))
    text, span = gaps[0], (0, 0)
    for n, (word, mark) in enumerate(words):
        if n == pick:
            span = (len(text), len(text) + len(word))
        text += word + mark + gaps[n + 1]
    return text, span, draw(st.integers(20, 400))


@given(passages())
def test_the_window_holds_the_matched_word_and_never_cuts_one(
    case: tuple[str, tuple[int, int], int],
) -> None:
    text, (first, last), size = case
    window = excerpt_window(text, ((first, last),), size)
    shown = text[window.start : window.end]
    assert len(shown) <= size
    assert window.start <= first and last <= window.end  # the matched word is shown whole
    assert shown == shown.strip()  # no whitespace at either end
    # each end is at a word boundary: whitespace (or the text's edge) just outside it
    assert not window.cut_before or text[window.start - 1].isspace()
    assert not window.cut_after or CUT_AFTER_WORD.match(text, window.end)
    # the ellipses go exactly where words were left out
    assert window.cut_before == bool(text[: window.start].strip())
    assert window.cut_after == bool(text[window.end :].strip())
    if not (window.cut_before or window.cut_after):
        assert shown == text.strip()  # shown whole only when it fits
        assert len(text.strip()) <= size


def test_matched_words_wider_than_the_window_start_it_just_before_the_first() -> None:
    text = " ".join(f"w{n:03d}" for n in range(300))  # 5 characters a word
    first, last = text.index("w100"), text.index("w200") + 4
    window = excerpt_window(text, ((last - 4, last), (first, first + 4)), 200)
    assert first - 200 // LEAD_PART <= window.start <= first  # a little lead-in, no more
    assert text[window.start : window.start + 5].startswith("w09")  # whole words
    assert window.cut_before and window.cut_after and window.end - window.start <= 200
    fits = excerpt_window(text, ((first, first + 4),), 200)  # one word: centred on it
    middle = (fits.start + fits.end) / 2
    assert abs(middle - (first + 2)) <= 5


def test_a_matched_word_joined_to_a_long_unspaced_stretch_is_kept() -> None:
    # no whitespace between a cut and the matched word: the cut stays inside that
    # stretch rather than moving past the word (which would leave it out)
    before = "a " * 60 + "x" * 40 + "—lamp " + "b " * 60
    after = "a " * 60 + " lamp—" + "y" * 40 + " b" * 60
    for text in (before, after):
        start = text.index("lamp")
        window = excerpt_window(text, ((start, start + 4),), 40)
        assert window.start <= start and start + 4 <= window.end
        assert window.cut_before and window.cut_after


def test_punctuation_left_dangling_at_the_cut_is_dropped() -> None:
    text = "the keeper lit the lamp, — and " + " ".join(["then"] * 40)
    start = text.index("keeper")
    got = picture.excerpt(text, ((start, start + 6),), 27)
    assert got == "the keeper lit the lamp" + ELLIPSIS


def test_no_match_shows_the_start() -> None:
    text = "  " + " ".join(f"w{n}" for n in range(100))
    window = excerpt_window(text, (), 30)
    assert window.start == 2 and not window.cut_before and window.cut_after
    assert excerpt_window("  short text \n", (), 30) == excerpt_window("  short text \n", (), 11)


@given(passages())
def test_picture_and_telegram_show_the_same_characters(
    case: tuple[str, tuple[int, int], int],
) -> None:
    text, span, size = case
    drawn = picture.excerpt(text, (span,), size)
    sent = common.excerpt(text, (span,), size)
    assert html.unescape(re.sub(r"</?b>", "", sent)) == drawn
    assert f"<b>{html.escape(text[span[0] : span[1]], quote=False)}</b>" in sent


def test_whitespace_alone_shows_nothing() -> None:
    for text in ("", "   ", "\n\t "):
        window = excerpt_window(text, ((0, len(text)),), 10)
        assert (window.start, window.end, window.cut_before, window.cut_after) == (
            0,
            0,
            False,
            False,
        )
