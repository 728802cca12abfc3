"""Which index terms stand for a query's words: the search vocabulary at work.

A query word in the index stands for itself; a word not in it (misspelt) for its
nearest vocabulary words; neighbouring words also make word-pair terms (see
:func:`store.text.norm.pair_terms`); Korean words match as prefixes.  Each becomes a
:class:`~store.search.plan.Slot` with the number of paragraphs it matches, from which
:mod:`store.search.plan` plans what to ask the full-text index.
"""

from __future__ import annotations

import itertools
import math
import time

from rapidfuzz import process
from rapidfuzz.distance import OSA

from store.db import Database
from store.db.lock import ingest_running
from store.search.plan import COMMON_SHARE, Slot
from store.search.query import ParsedQuery, fts_term
from store.search.recall import stem
from store.text.norm import has_hangul, pair_term

MAX_CORRECTIONS = 4
MAX_FORMS = 6  # other forms of a word the last retrieval tier asks for at most
FORM_MIN_LENGTH = 4  # shorter words are asked for as they are
VOCAB_RECHECK_SECONDS = 60.0  # how often a long-running process looks at the vocabulary again
PAIR_SPELLINGS = 2  # corrections of a misspelt word tried in its word pairs


def beyond_cap(cap: int, first_df: int, second_df: int) -> int:
    """An estimate of the paragraph count of a word pair counted no further than ``cap``:
    between ``cap`` and the rarer word's count (the geometric mean of the two)."""
    return round(math.sqrt(cap * max(cap, min(first_df, second_df))))


def widened(slot: Slot, extra: list[tuple[str, int]]) -> Slot:
    """``slot`` with the index words ``extra`` (word, paragraph count) as further
    alternatives, its count raised by theirs (an upper bound)."""
    if not extra:
        return slot
    df = slot.df + sum(n for _, n in extra)
    return Slot(slot.word, (*slot.alternatives, *(t for t, _ in extra)), df, slot.prefix)


class QueryTerms:
    """Vocabulary lookups for one open :class:`Database`."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._vocab_checked = False
        self._checked_at = 0.0
        self.paragraphs = 0  # about how many paragraphs are stored (see ensure_vocab)

    async def slots(self, parsed: ParsedQuery, pair_cap: int) -> tuple[list[Slot], dict[str, int]]:
        """The query's words (not those in quoted phrases) with the index words that may
        stand for them (corrections of words not in the index), then its neighbouring
        words as word pairs (see :meth:`_pair_slots`); and how many paragraphs hold each
        query word (a misspelt word: its corrections; a Korean word: its prefix)."""
        words = list(dict.fromkeys(parsed.words))
        phrase_words = {w for p in parsed.phrases for w in p}
        df = await self._db.term_frequencies(words)
        slots: list[Slot] = []
        spellings: dict[str, tuple[str, ...]] = {}  # index words standing for a query word
        korean = [w for w in words if has_hangul(w) and w not in phrase_words]
        # Korean words match as prefixes (particles and endings follow the stem); their
        # counts are the vocabulary's words with that prefix (an upper bound, and cheap)
        prefix_df = await self._db.prefix_frequencies(korean)
        slots += [Slot(w, (w,), prefix_df[w], prefix=True) for w in korean if prefix_df[w]]
        for word in words:
            if has_hangul(word):
                continue
            if df.get(word, 0) > 0:
                spellings[word] = (word,)
                if word not in phrase_words:
                    slots.append(Slot(word, (word,), df[word]))
            elif word not in phrase_words:
                fixes = await self.corrections(word)
                if fixes:
                    spellings[word] = tuple(t for t, _ in fixes)
                    df[word] = sum(d for _, d in fixes)
                    slots.append(Slot(word, spellings[word], df[word]))
        pairs = await self._pair_slots(parsed, spellings, df, phrase_words, pair_cap)
        return slots + pairs, {**df, **{w: n for w, n in prefix_df.items() if n}}

    async def _pair_slots(
        self,
        parsed: ParsedQuery,
        spellings: dict[str, tuple[str, ...]],
        df: dict[str, int],
        phrase_words: set[str],
        cap: int,
    ) -> list[Slot]:
        """Neighbouring query words as the index's word-pair terms, those it has.  A pair
        stands for its words in either order (two words swapped) and for the likeliest
        corrections of a misspelt word; pairs inside a quoted phrase are left to the
        phrase.  Pairs are counted up to ``cap`` (all a scan needs to know); beyond, see
        :func:`beyond_cap`."""
        pairs = [
            (a, b)
            for a, b in dict.fromkeys(itertools.pairwise(parsed.words))
            if a != b
            and a in spellings
            and b in spellings
            and not (a in phrase_words and b in phrase_words)
        ]
        if not pairs:
            return []
        alternatives: list[tuple[str, ...]] = []
        for a, b in pairs:
            terms = [
                pair_term(x, y)
                for x in spellings[a][:PAIR_SPELLINGS]
                for y in spellings[b][:PAIR_SPELLINGS]
            ]
            if spellings[a] == (a,) and spellings[b] == (b,):
                terms.append(pair_term(b, a))
            alternatives.append(tuple(terms))
        expressions = [" OR ".join(fts_term(t) for t in terms) for terms in alternatives]
        counts = await self._db.fts_counts(expressions, cap)
        return [
            Slot(f"{a} {b}", terms, n if n < cap else beyond_cap(cap, df[a], df[b]), pair=True)
            for (a, b), terms, n in zip(pairs, alternatives, counts, strict=True)
            if n > 0
        ]

    async def with_forms(self, slot: Slot) -> Slot:
        """``slot`` with the index's other forms of its word added as alternatives (the
        same light stem: envy and envied for envies, organization for organisation), so
        that retrieval, like the recall score, does not lose a passage to a changed
        word form; short, Korean and word-pair slots as they are."""
        word = slot.word
        if len(word) < FORM_MIN_LENGTH or has_hangul(word) or slot.pair or slot.prefix:
            return slot
        root = stem(word)
        # what the word and its stem begin with (the stem spells our as or: sources, sorc)
        pairs = enumerate(zip(word, root, strict=False))
        common = next((i for i, (a, b) in pairs if a != b), len(root))
        head = word[: max(3, min(common, len(root) - 1))]  # envies, envy → env
        found = await self._db.vocab_with_prefix(head, len(word) + 3)
        forms = [(t, n) for t, n in found if t not in slot.alternatives and stem(t) == root]
        return widened(slot, sorted(forms, key=lambda f: -f[1])[:MAX_FORMS])

    async def corrections(self, word: str) -> list[tuple[str, int]]:
        """Index words within a small edit distance of ``word``, most frequent first."""
        n = len(word)
        if n < 3:
            return []
        await self.ensure_vocab()
        max_edits = 1 if n <= 5 else 2
        affix = 2 if n <= 5 else 3
        neighbours = await self._db.vocab_neighbours(word, affix, n - max_edits, n + max_edits)
        if not neighbours:
            return []
        frequency = dict(neighbours)
        found = process.extract(
            word,
            list(frequency),
            scorer=OSA.distance,
            score_cutoff=max_edits,
            limit=None,
        )
        # fewest edits, then the same first and last letters (typos are rarer at the
        # ends of words), then the most frequent
        found.sort(
            key=lambda f: (f[1], f[0][:1] != word[:1], f[0][-1:] != word[-1:], -frequency[f[0]])
        )
        return [(term, frequency[term]) for term, _, _ in found[:MAX_CORRECTIONS]]

    async def expand(self, slot: Slot) -> Slot:
        """``slot`` with the index words one or two edits away added as alternatives."""
        if len(slot.word) < 4 or slot.pair:
            return slot
        common = max(1000, int(self.paragraphs * COMMON_SHARE))
        extra = [
            (t, df)
            for t, df in await self.corrections(slot.word)
            if t not in slot.alternatives and df <= common
        ]
        return widened(slot, extra)

    async def ensure_vocab(self) -> None:
        """Rebuild the search vocabulary if it is missing or stale; note the collection size.

        A long-running process looks again every ``VOCAB_RECHECK_SECONDS``: another
        process may have stored documents meanwhile (the size grows) or crashed before
        its rebuild (the database records the vocabulary as stale; repaired here once no
        ingest is running)."""
        now = time.monotonic()
        if (
            self._vocab_checked
            and not self._db.search_vocab_stale
            and now - self._checked_at < VOCAB_RECHECK_SECONDS
        ):
            return
        stale = self._db.search_vocab_stale or await self._db.search_vocab_is_empty()
        if stale and await self._db.has_paragraphs() and not ingest_running(self._db.path):
            await self._db.rebuild_search_vocab()
        else:
            await self._db.repair_derived_data()
        self.paragraphs = await self._db.paragraph_id_span()
        self._vocab_checked = True
        self._checked_at = now
