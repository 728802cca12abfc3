"""Scoring of candidate paragraphs against a query: pure functions, no database.

The score (0–100) blends two views of the match:

* *alignment* (:mod:`store.search.alignment`): rapidfuzz ``partial_ratio`` of the
  query's folded words against the best-matching stretch of the paragraph's folded
  words (typos, dropped and swapped words cost a little each);
* *coverage*: the share of the query's characters whose words occur (exactly or
  with a typo) in that stretch, which keeps out passages that merely look alike.

Spans are the displayed-text ranges of the paragraph words in the matched stretch
that match a query word, merged when consecutive.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from rapidfuzz import fuzz, process

from store.models import Confidence
from store.search.alignment import align, long_text_words, quick_alignment
from store.search.recall import passage_recall, telling_found
from store.text.norm import TokenizedText, has_hangul, joined_words, tokenize

MATCH_THRESHOLD = 80.0  # below this a paragraph is "no match"
CLOSE_THRESHOLD = 90.0
ALIGNMENT_WEIGHT = 0.65
WORD_SIMILARITY = 80.0  # rapidfuzz ratio at which two words count as the same word
MARGIN_CHARS = 25  # context either side of the aligned stretch that coverage looks at
DETAILED_CANDIDATES = 10  # candidates whose alignment is scored in full (coverage, spans)
WORD_FOR_WORD = 94.0  # an alignment score from which the recall score is not worked out
RECALLED_CANDIDATES = 8  # candidates whose recall is scored in full (best cheap coverage)
RECALL_WHOLE_CHARS = 4000  # paragraphs up to this long are recalled whole, not near anchors
FOCUS_CHARS = 4000  # characters of a long paragraph around its best word that get highlights
COVERAGE_SLACK = 25.0  # a cheap coverage this far under the threshold may still clear it


@dataclass(frozen=True, slots=True)
class Scored:
    """One paragraph's score against a query."""

    paragraph_id: int
    score: float
    confidence: Confidence
    spans: tuple[tuple[int, int], ...]
    length: int  # characters in the paragraph, to prefer the tighter of equal matches
    text_key: int = 0  # equal for paragraphs with the same folded words (one text twice)
    recalled: bool = False  # the score is the recall score (see store.search.recall)
    alignment: float = 0.0  # the alignment score (the query found nearly word for word)
    telling: int = 0  # rare query words the recall score found (see store.search.recall)


def confidence_label(score: float, exact: bool) -> Confidence:
    """``exact`` when the words appear verbatim, ``close`` from 90, else ``loose``."""
    if exact:
        return "exact"
    return "close" if score >= CLOSE_THRESHOLD else "loose"


def _contains_words(haystack: str, needle: str) -> bool:
    return f" {needle} " in f" {haystack} "


def _similar_words(words: Iterable[str], query_words: Sequence[str]) -> set[str]:
    """Those of ``words`` that equal or closely resemble one of ``query_words``."""
    wanted = set(query_words)
    long_query = [q for q in wanted if len(q) >= 4]
    found: set[str] = set()
    short_hangul = [q for q in wanted if len(q) >= 2 and has_hangul(q)]
    for word in set(words):
        if word in wanted or any(word.startswith(q) for q in short_hangul):
            found.add(word)
        elif len(word) >= 3 and long_query:
            best = process.extractOne(
                word, long_query, scorer=fuzz.ratio, score_cutoff=WORD_SIMILARITY
            )
            if best is not None:
                found.add(word)
    return found


def _coverage(query_words: Sequence[str], window_words: Sequence[str]) -> float:
    """Share of the query's characters in words found (exactly or nearly) in the window."""
    present = set(window_words)
    long_window = [w for w in present if len(w) >= 3]
    total = matched = 0
    for word in query_words:
        total += len(word)
        if word in present or (
            has_hangul(word) and len(word) >= 2 and any(w.startswith(word) for w in present)
        ):
            matched += len(word)
        elif len(word) >= 4 and long_window:
            best = process.extractOne(
                word, long_window, scorer=fuzz.ratio, score_cutoff=WORD_SIMILARITY
            )
            if best is not None:
                matched += len(word)
    return matched / total if total else 0.0


def merge_spans(tokens: TokenizedText, indices: Iterable[int]) -> tuple[tuple[int, int], ...]:
    """Displayed-text spans of the words at ``indices``, consecutive words merged."""
    spans: list[tuple[int, int]] = []
    last = -2
    for i in sorted(set(indices)):
        start, end = tokens.spans[i]
        if spans and i == last + 1:
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
        last = i
    return tuple(spans)


def _score_joined(
    query_words: Sequence[str], paragraph_id: int, length: int, joined: str
) -> Scored:
    """Score from the folded words of a paragraph (or of its stretches near the query)."""
    query = " ".join(query_words)
    exact = _contains_words(joined, query)
    alignment, dest_start, dest_end = align(query, query_words, joined)
    window = joined[max(0, dest_start - MARGIN_CHARS) : dest_end + MARGIN_CHARS].split()
    coverage = 1.0 if exact else _coverage(query_words, window)
    score = ALIGNMENT_WEIGHT * alignment + (1 - ALIGNMENT_WEIGHT) * 100.0 * coverage
    return Scored(paragraph_id, round(score, 1), confidence_label(score, exact), (), length)


def match_spans(query_words: Sequence[str], text: str) -> tuple[tuple[int, int], ...]:
    """Displayed-text spans of the words of ``text`` that match the query where it aligns."""
    query = " ".join(query_words)
    tokens = tokenize(text)
    if not query or not tokens.words:
        return ()
    _, dest_start, dest_end = align(query, query_words, tokens.joined)
    first, last = tokens.word_at(dest_start), tokens.word_at(max(dest_end - 1, 0))
    similar = _similar_words(tokens.words[first : last + 1], query_words)
    return merge_spans(tokens, [i for i in range(first, last + 1) if tokens.words[i] in similar])


def _breaks_rules(joined: str, phrases: Sequence[str], excluded: frozenset[str]) -> bool:
    if excluded and excluded.intersection(joined.split()):
        return True
    return any(not _contains_words(joined, p) for p in phrases)


def score_paragraph(
    query_words: Sequence[str],
    paragraph_id: int,
    text: str,
    phrases: Sequence[Sequence[str]] = (),
    excluded: Iterable[str] = (),
) -> Scored | None:
    """Score one paragraph, with spans; ``None`` when it breaks a phrase or exclusion
    rule or there is nothing to compare."""
    joined = joined_words(text)
    if not query_words or not joined:
        return None
    if _breaks_rules(joined, [" ".join(p) for p in phrases], frozenset(excluded)):
        return None
    scored = _score_joined(query_words, paragraph_id, len(text), joined)
    return replace(scored, spans=match_spans(query_words, text))


def quick_coverage(
    query_words: Sequence[str], weights: Sequence[float], joined: str, korean: bool
) -> float:
    """A cheap first look at the recall score (0–100): the weighted share of the query
    words that stand in ``joined`` as they are (Korean: the share of the query's syllable
    pairs found in it as they are)."""
    if korean:
        pairs = [w[i : i + 2] for w in query_words for i in range(len(w) - 1)]
        return 100.0 * sum(p in joined for p in pairs) / len(pairs) if pairs else 0.0
    present = set(joined.split())
    total = sum(weights)
    found = sum(w for q, w in zip(query_words, weights, strict=True) if q in present)
    return 100.0 * found / total if total else 0.0


def rank(
    query_words: Sequence[str],
    candidates: Iterable[tuple[int, str]],
    phrases: Sequence[Sequence[str]] = (),
    excluded: Iterable[str] = (),
    threshold: float = MATCH_THRESHOLD,
    detailed: int = DETAILED_CANDIDATES,
    page: int = 10,
    weights: Sequence[float] | None = None,
    align: bool = True,
    telling: frozenset[str] = frozenset(),
) -> list[Scored]:
    """Score ``(paragraph_id, text)`` candidates; those scoring ``threshold`` or more,
    best first.

    A paragraph's score is the better of two views: the *alignment* score (the query
    against the best-matching stretch: typos, dropped and swapped words) and the
    *recall* score (:mod:`store.search.recall`: rare words found in order with gaps,
    other word forms and near-synonyms; query word ``i`` weighs ``weights[i]``, all
    alike when not given).  Every candidate gets the cheap alignment and a cheap
    coverage; the ``detailed`` best by each get the full scores, and only the first
    ``page`` their spans.  Equal scores go to the shorter paragraph (the tighter
    match), then the lower id.  With ``align`` false only the recall view is taken
    (candidates known not to hold the query nearly word for word).  ``telling``: the
    query words that tell passages apart (see :func:`store.search.recall.telling_words`),
    counted in each recall.
    """
    query = " ".join(query_words)
    excluded = frozenset(excluded)
    phrase_texts = [" ".join(p) for p in phrases]
    weights = tuple(weights) if weights is not None else (1.0,) * len(query_words)
    korean = any(has_hangul(w) for w in query_words)
    counted = None if korean else telling  # Korean: every word found counts
    # the alignment a paragraph needs for its alignment score to reach a match at all
    floor = (max(threshold, MATCH_THRESHOLD) - (1 - ALIGNMENT_WEIGHT) * 100.0) / ALIGNMENT_WEIGHT
    hopeful: list[_Candidate] = []
    for pid, text in candidates:
        near = long_text_words(query, query_words, text)
        joined = joined_words(text) if near is None else near
        if near is None and _breaks_rules(joined, phrase_texts, excluded):
            continue
        # (an alignment under the floor is never looked at: rapidfuzz may give up on it)
        alignment = quick_alignment(query, joined, query_words, floor) if align else 0.0
        coverage = quick_coverage(query_words, weights, joined, korean)
        if alignment >= floor or coverage >= threshold - COVERAGE_SLACK:
            hopeful.append(_Candidate(alignment, coverage, len(text), pid, text, joined, near))
    aligned = sorted((c for c in hopeful if c.alignment >= floor), key=_by_alignment)
    covered = sorted(hopeful, key=_by_coverage)
    chosen = {c.pid: c for c in [*aligned[:detailed], *covered[:RECALLED_CANDIDATES]]}
    scored: list[Scored] = []
    texts: dict[int, str] = {}
    for c in chosen.values():
        checked_later = c.near is not None and (phrase_texts or excluded)
        if checked_later and _breaks_rules(joined_words(c.text), phrase_texts, excluded):
            continue
        s = Scored(c.pid, 0.0, "loose", (), len(c.text), text_key=hash(c.joined))
        if c.alignment >= floor:  # the alignment score could still clear the threshold
            s = _score_joined(query_words, c.pid, len(c.text), c.joined)
            s = replace(s, alignment=s.score, text_key=hash(c.joined))
        # a recall could change nothing for a paragraph found word for word
        if s.alignment < WORD_FOR_WORD and c.coverage >= s.score - COVERAGE_SLACK:
            # a long-ish paragraph aligned by its stretch (near) is recalled whole
            whole = c.near is not None and len(c.text) <= RECALL_WHOLE_CHARS
            words = joined_words(c.text) if whole else c.joined
            recalled = passage_recall(query_words, weights, words.split())
            s = replace(s, telling=telling_found(query_words, recalled, counted))
            if recalled.score > s.score:
                label = confidence_label(recalled.score, False)
                s = replace(s, score=recalled.score, confidence=label, recalled=True)
        if s.score >= threshold:
            scored.append(s)
            texts[c.pid] = c.text
    scored = best_first(scored)
    for n, s in enumerate(scored[:page]):
        scored[n] = replace(s, spans=hit_spans(s, query_words, weights, texts[s.paragraph_id]))
    return scored


def best_first(scored: Iterable[Scored]) -> list[Scored]:
    """``scored`` best first: by score, then the shorter paragraph, then the first stored."""
    return sorted(scored, key=lambda s: (-s.score, s.length, s.paragraph_id))


def hit_spans(
    scored: Scored, query_words: Sequence[str], weights: Sequence[float], text: str
) -> tuple[tuple[int, int], ...]:
    """The displayed-text spans to highlight in a scored paragraph: the words its
    recall matched when that was its score, else those of its aligned stretch."""
    offset, stretch = focus(text, query_words, weights)
    if scored.recalled:
        spans = recall_spans(query_words, weights, stretch)
    else:
        spans = match_spans(query_words, stretch)
    return tuple((a + offset, b + offset) for a, b in spans)


@dataclass(frozen=True, slots=True)
class _Candidate:
    alignment: float
    coverage: float
    length: int
    pid: int
    text: str
    joined: str  # folded words (of a long text: only those near the query's rare words)
    near: str | None


def _by_alignment(c: _Candidate) -> tuple[float, int, int]:
    return (-c.alignment, c.length, c.pid)


def _by_coverage(c: _Candidate) -> tuple[float, int, int]:
    return (-c.coverage, c.length, c.pid)


def recall_spans(
    query_words: Sequence[str], weights: Sequence[float], text: str
) -> tuple[tuple[int, int], ...]:
    """Displayed-text spans of the words of ``text`` that the recall score matched."""
    tokens = tokenize(text)
    return merge_spans(tokens, passage_recall(query_words, weights, tokens.words).matched)


def focus(text: str, query_words: Sequence[str], weights: Sequence[float]) -> tuple[int, str]:
    """For a very long text, the stretch of about ``FOCUS_CHARS`` around where the query
    stands in it (its best alignment, as the score found it; else the first place of its
    heaviest word), and where it starts (highlighting a 40,000-character paragraph word
    by word would cost more than the search); else all of it."""
    if len(text) <= FOCUS_CHARS:
        return 0, text
    at = _query_place(text, query_words, weights)
    if at < 0:
        return 0, text
    start = max(0, at - FOCUS_CHARS // 2)
    end = min(len(text), start + FOCUS_CHARS)
    if start > 0:  # whole words only
        start = text.find(" ", start, at) + 1 or start
    if end < len(text):
        end = text.rfind(" ", at, end) if text.rfind(" ", at, end) > at else end
    return start, text[start:end]


def _query_place(text: str, query_words: Sequence[str], weights: Sequence[float]) -> int:
    """The middle of the stretch of ``text`` the query aligns with best (whole words, as
    the score found it); with no alignment at all (nothing in common), the first place
    of its heaviest word that ``text`` holds (-1: none)."""
    tokens = tokenize(text)
    score, start, end = align(" ".join(query_words), query_words, tokens.joined)
    if score > 0 and end > start:
        first, last = tokens.word_at(start), tokens.word_at(end - 1)
        return (tokens.spans[first][0] + tokens.spans[last][1]) // 2
    lowered = text.lower()
    heaviest_first = [w for _, w in sorted(zip(weights, query_words, strict=True), reverse=True)]
    return next((at for at in (lowered.find(w) for w in heaviest_first) if at >= 0), -1)
