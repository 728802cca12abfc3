"""Deterministic query generation for the search evaluation.

From paragraphs of the database, sample spans of 5–15 consecutive words and derive
variants: ``exact``, ``lower_nopunct`` (lower case, punctuation removed), ``typo1`` …
``typo3`` (character edits in distinct words), ``drop_word``, ``swap_words`` (two
neighbours swapped) and ``synonym`` (a US/UK spelling or near-synonym swapped in).
``negative`` queries are real sentences of held-out documents that are not indexed;
the evaluation moves those that largely quote an indexed paragraph anyway (see
:data:`NEAR_QUOTE`) to a variant of their own.  The same seed always gives the same
queries.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass

from store.text.norm import has_hangul, tokens

POSITIVE_VARIANTS = (
    "exact",
    "lower_nopunct",
    "typo1",
    "typo2",
    "typo3",
    "drop_word",
    "swap_words",
    "synonym",
)
# a held-out sentence at least half of whose words (four or more) appear, in order and
# side by side, in an indexed paragraph: speakers repeat themselves ("Governors have done
# a great job" / "governors that have done a great job"), so finding that paragraph is
# not wrong; its rate is reported apart from the negatives'
NEAR_QUOTE = "near_quote"
NEGATIVE_VARIANTS = ("negative", NEAR_QUOTE)
VARIANTS = (*POSITIVE_VARIANTS, *NEGATIVE_VARIANTS)

_PAIRS = """colour color|colours colors|honour honor|labour labor|favour favor|neighbour neighbor
neighbours neighbors|behaviour behavior|endeavour endeavor|harbour harbor|vigour vigor
rumour rumor|humour humor|centre center|centres centers|theatre theater|defence defense
offence offense|licence license|programme program|programmes programs
organisation organization|organisations organizations|organise organize|organised organized
realise realize|realised realized|recognise recognize|recognised recognized
emphasise emphasize|emphasised emphasized|modernisation modernization
civilisation civilization|mobilise mobilize|mobilised mobilized|travelled traveled
cancelled canceled|labelled labeled|modelled modeled|analyse analyze|catalogue catalog
grey gray|towards toward|amongst among|whilst while|learnt learned|fulfil fulfill
judgement judgment|ageing aging|sceptical skeptical|criticise criticize|characterise characterize
symbolise symbolize|apologise apologize|summarise summarize|stabilise stabilize
normalise normalize|utilise utilize|jewellery jewelry|practise practice|shall will
upon on|begin start|big large|nearly almost|fight struggle|glorious splendid"""
SYNONYMS: dict[str, str] = {}
for _pair in re.split(r"[|\n]", _PAIRS):
    _a, _b = _pair.split()
    SYNONYMS.setdefault(_a, _b)
    SYNONYMS.setdefault(_b, _a)

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“‘(])")
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True, slots=True)
class Query:
    """One evaluation query; ``source`` is the original span (``None`` for negatives)."""

    variant: str
    text: str
    source: str | None
    paragraph_id: int | None


def sample_span(rng: random.Random, text: str, around: int | None = None) -> str | None:
    """5–15 consecutive words of ``text`` (containing word ``around`` if given)."""
    words = text.split()
    if len(words) < 5:
        return None
    length = rng.randint(5, min(15, len(words)))
    if around is None:
        start = rng.randint(0, len(words) - length)
    else:
        low, high = max(0, around - length + 1), min(around, len(words) - length)
        start = rng.randint(low, high)
    span = " ".join(words[start : start + length])
    return span if len(tokens(span)) >= 5 else None


def _typo_word(rng: random.Random, word: str) -> str:
    letters = [i for i, c in enumerate(word) if c.isalpha()]
    if has_hangul(word):
        i = rng.choice(letters)
        return word[:i] + chr(rng.randint(0xAC00, 0xD7A3)) + word[i + 1 :]
    op = rng.choice(("sub", "del", "ins", "swap"))
    i = rng.choice(letters[:-1] if op == "swap" and len(letters) > 1 else letters)
    ch = rng.choice(_LETTERS)
    if op == "sub":
        ch = rng.choice([c for c in _LETTERS if c != word[i].lower()])
        return word[:i] + ch + word[i + 1 :]
    if op == "del":
        return word[:i] + word[i + 1 :]
    if op == "ins":
        return word[:i] + ch + word[i:]
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def add_typos(rng: random.Random, span: str, count: int) -> str:
    """``span`` with ``count`` character edits, each in a different word where possible."""
    words = span.split()
    eligible = [
        i for i, w in enumerate(words) if sum(c.isalpha() for c in w) >= (2 if has_hangul(w) else 4)
    ] or [i for i, w in enumerate(words) if any(c.isalpha() for c in w)]
    chosen = rng.sample(eligible, min(count, len(eligible)))
    while len(chosen) < count:
        chosen.append(rng.choice(eligible))
    for i in chosen:
        words[i] = _typo_word(rng, words[i])
    return " ".join(words)


def _replace_synonym(rng: random.Random, span: str) -> str | None:
    words = span.split()
    options = [i for i, w in enumerate(words) if _bare(w) in SYNONYMS]
    if not options:
        return None
    i = rng.choice(options)
    bare = _bare(words[i])
    new = SYNONYMS[bare]
    if words[i][:1].isupper():
        new = new.capitalize()
    words[i] = re.sub(re.escape(bare), new, words[i], count=1, flags=re.IGNORECASE)
    return " ".join(words)


def _bare(word: str) -> str:
    return re.sub(r"[^\w]", "", word).lower()


def variants_of(rng: random.Random, span: str) -> dict[str, str]:
    """The non-synonym positive variants of one span."""
    words = span.split()
    drop = rng.randrange(len(words))
    swap = rng.randrange(len(words) - 1)
    swapped = [*words]
    swapped[swap], swapped[swap + 1] = swapped[swap + 1], swapped[swap]
    return {
        "exact": span,
        "lower_nopunct": " ".join(tokens(span)),
        "typo1": add_typos(rng, span, 1),
        "typo2": add_typos(rng, span, 2),
        "typo3": add_typos(rng, span, 3),
        "drop_word": " ".join(words[:drop] + words[drop + 1 :]),
        "swap_words": " ".join(swapped),
    }


def generate(
    paragraphs: Sequence[tuple[int, str]],
    holdout_paragraphs: Sequence[str],
    per_variant: int,
    seed: int = 7,
    korean_share: float = 0.05,
) -> list[Query]:
    """``per_variant`` queries of every variant (``paragraphs`` = (id, text) of real ones)."""
    rng = random.Random(seed)
    korean = [p for p in paragraphs if has_hangul(p[1])]
    other = [p for p in paragraphs if not has_hangul(p[1])]
    n_korean = min(len(korean), round(per_variant * korean_share)) if korean else 0
    queries: list[Query] = []
    for pool, wanted in ((korean, n_korean), (other, per_variant - n_korean)):
        made = 0
        while made < wanted and pool:
            pid, text = rng.choice(pool)
            span = sample_span(rng, text)
            if span is None:
                continue
            for variant, qtext in variants_of(rng, span).items():
                queries.append(Query(variant, qtext, span, pid))
            made += 1
    made = 0
    for _ in range(per_variant * 200):
        if made >= per_variant or not other:
            break
        pid, text = rng.choice(other)
        words = text.split()
        options = [i for i, w in enumerate(words) if _bare(w) in SYNONYMS]
        if not options:
            continue
        span = sample_span(rng, text, rng.choice(options))
        changed = _replace_synonym(rng, span) if span else None
        if span and changed:
            queries.append(Query("synonym", changed, span, pid))
            made += 1
    queries += negatives(rng, holdout_paragraphs, per_variant)
    return queries


def negatives(rng: random.Random, paragraphs: Sequence[str], count: int) -> list[Query]:
    """``count`` distinct real sentences of 6–20 words from held-out ``paragraphs``."""
    sentences = sorted(
        {
            s.strip()
            for p in paragraphs
            for s in _SENTENCE_END.split(p)
            if 6 <= len(s.split()) <= 20 and len(tokens(s)) >= 6
        }
    )
    picked = rng.sample(sentences, min(count, len(sentences)))
    return [Query("negative", s, None, None) for s in picked]
