"""Folding for search, and the map from folded text back to the displayed text."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from store.text.norm import (
    PAIR_MARK,
    document_frequencies,
    fold,
    fold_with_map,
    has_hangul,
    index_text,
    is_hangul,
    pair_terms,
    tokenize,
    tokens,
)


def test_fold_quotes_dashes_case_and_diacritics() -> None:
    assert fold("“Café” — it’s NAÏVE…") == '"cafe" - it\'s naive...'


def test_fold_keeps_hangul_syllables_and_folds_fullwidth() -> None:
    assert fold("４월　조국") == "4월 조국"


def test_fold_map_points_back_to_displayed_characters() -> None:
    text = "“Naïve” — ok…"
    folded, offsets = fold_with_map(text)
    assert len(folded) == len(offsets)
    for i, ch in enumerate(folded):
        if ch.isalpha():
            assert fold(text[offsets[i]]).startswith(ch) or ch in fold(text[offsets[i]])
    # the three dots of the ellipsis all map to the ellipsis
    assert offsets[-3:] == [len(text) - 1] * 3


def test_tokenize_spans_cover_the_displayed_words() -> None:
    text = "The “colour” of\u00a0the flag—red."
    tok = tokenize(text)
    assert tok.words == ("the", "colour", "of", "the", "flag", "red")
    assert [text[a:b] for a, b in tok.spans] == ["The", "colour", "of", "the", "flag", "red"]
    assert tok.joined == "the colour of the flag red"
    assert tok.word_at(tok.joined.index("flag") + 2) == 4


def test_tokens_split_like_the_fts_tokenizer() -> None:
    assert tokens("don't stop_now 2024년 (KCNA)") == ["don", "t", "stop", "now", "2024년", "kcna"]


def test_document_frequencies_count_paragraphs_not_occurrences() -> None:
    df = document_frequencies(["the the cat", "The dog", "a cat"])
    assert df == {"the": 2, "cat": 2, "dog": 1, "a": 1}


def test_pair_terms_are_neighbouring_words_once_each_without_hangul() -> None:
    words = ["the", "party", "the", "party", "very", "very", "우리", "party"]
    assert pair_terms(words) == [
        f"{PAIR_MARK}the{PAIR_MARK}party",
        f"{PAIR_MARK}party{PAIR_MARK}the",
        f"{PAIR_MARK}party{PAIR_MARK}very",
    ]


def test_index_text_is_the_folded_text_then_its_word_pairs() -> None:
    text, pairs = index_text("Kim Jong Il’s Café—opened.").split("\n")
    assert text == "kim jong il's cafe-opened."
    assert pairs.split() == [
        PAIR_MARK + f"{PAIR_MARK}".join(p)
        for p in (("kim", "jong"), ("jong", "il"), ("il", "s"), ("s", "cafe"), ("cafe", "opened"))
    ]
    assert index_text("우리 인민") == "우리 인민"  # Hangul: no pairs


def test_the_pair_mark_is_folded_out_of_any_text() -> None:
    # nobody can type a word-pair term: the mark separates words like a space
    assert tokens(f"kim{PAIR_MARK}jong") == ["kim", "jong"]
    assert PAIR_MARK not in fold(f"{PAIR_MARK}a{PAIR_MARK}b")


@given(text=st.text(max_size=40))
@example(text="abc\u3131")  # a compatibility jamo at the end
@example(text="\u11ff")  # the last jamo of the conjoining block
@example(text="\uac00 \ud7a3 \u1100 \u3130 \u318f")  # each range's ends
@example(text="\uabff\ud7a4\u10ff\u1200\u312f\u3190")  # one past each end: none
def test_has_hangul_is_any_character_is_hangul(text: str) -> None:
    # has_hangul looks with one regular expression; is_hangul says it per character
    assert has_hangul(text) == any(is_hangul(ch) for ch in text)
