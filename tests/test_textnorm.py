"""Folding for search, and the map from folded text back to the displayed text."""

from __future__ import annotations

from store.textnorm import document_frequencies, fold, fold_with_map, tokenize, tokens


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
