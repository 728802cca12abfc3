"""Parsing what people type into the search box.

Syntax people already know: ``"exact phrase"`` in double quotes (curly quotes too)
must appear, ``-word`` excludes paragraphs containing that word, everything else is
matched fuzzily.  Nothing typed is ever handed to SQLite's FTS5 parser as is: the
search builds its FTS5 expression from folded words only (see :func:`fts_term`), so
operators, parentheses, ``*``, ``NEAR``, ``:``, emoji and control characters are
just text here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from store.text.clean import scrub_surrogates
from store.text.norm import tokens

MAX_QUERY_CHARS = 300
MAX_WORD_CHARS = 40  # longer "words" (runs of letters pasted by accident) are ignored
MAX_PHRASES = 4  # quoted phrases that must appear; the same phrase twice counts once
MAX_EXCLUDED = 8  # -words
MAX_WORDS = 60  # words compared (some characters fold into several: "¼" is "1 4")

# English function words: a query of at most COMMON_ONLY_WORDS of these alone ("the",
# "of the", "NOT") stands in nearly every paragraph and says nothing of a passage
_FUNCTION_WORDS = """a an the and or but nor not no of to in on at by for with from as
into onto upon is are was were be been being am it its this that these those there here
then than i you he she we they me him her us them my your his our their do does did have
has had will would shall should can could may might must so if what which who whom when
where why how all any some such up down out over under about very too also just only s t"""
FUNCTION_WORDS = frozenset(_FUNCTION_WORDS.split())
COMMON_ONLY_WORDS = 3
COMMON_ONLY = (
    "Those are only common words (the, of, and…), found in nearly every paragraph: "
    "add a word or two that say what the passage is about, or put the words in quotes."
)
_EXCLUDE = re.compile(r"(?:^|(?<=\s))-(\S+)")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """A query split into its parts.

    ``text`` is the query as used (trimmed, capped); ``words`` the folded words to
    match fuzzily, in order (phrase words included, excluded words not);
    ``phrases`` the folded word sequences that must appear; ``excluded`` folded
    words that must not appear.
    """

    text: str
    words: tuple[str, ...]
    phrases: tuple[tuple[str, ...], ...] = ()
    excluded: frozenset[str] = field(default_factory=frozenset)
    notice: str | None = None
    error: str | None = None


def _clean(raw: str) -> str:
    text = _CONTROL.sub(" ", scrub_surrogates(raw))
    return " ".join(text.split())


def parse_query(raw: str, max_chars: int = MAX_QUERY_CHARS) -> ParsedQuery:
    """Parse a raw query; never raises on any input string (lone surrogates become
    U+FFFD, so ``text`` can always be stored)."""
    text = _clean(raw)
    notice = None
    if len(text) > max_chars:
        cut = text[:max_chars]
        if " " in cut[max_chars // 2 :]:
            cut = cut[: cut.rindex(" ")]
        text = cut.rstrip()
        notice = f"Your query was cut to the first {len(text)} characters."
    # Curly double quotes behave like straight ones for phrases.
    normal = text.replace("“", '"').replace("”", '"').replace("„", '"')
    if normal.count('"') % 2:  # an unclosed quote is just a character
        last = normal.rindex('"')
        normal = normal[:last] + " " + normal[last + 1 :]
    phrases: list[tuple[str, ...]] = []
    excluded: dict[str, None] = {}  # in the order typed
    words: list[str] = []
    too_many_phrases = False
    segments = _split_phrases(normal)
    for n, segment in enumerate(segments):
        if n % 2:  # inside quotes; -"..." excludes its words
            if re.search(r"(?:^|\s)-$", segments[n - 1]):
                excluded.update(dict.fromkeys(tokens(segment)))
                continue
            phrase = tuple(_words(segment))
            if phrase in phrases:
                continue  # the same phrase again asks for nothing more
            if phrase and len(phrases) >= MAX_PHRASES:
                too_many_phrases = True
                continue
            if phrase:
                phrases.append(phrase)
            words.extend(phrase)
            continue
        for m in _EXCLUDE.finditer(segment):
            excluded.update(dict.fromkeys(tokens(m.group(1))))
        words.extend(_words(_EXCLUDE.sub(" ", segment)))
    too_many_excluded = len(excluded) > MAX_EXCLUDED
    if too_many_excluded:
        excluded = dict.fromkeys(list(excluded)[:MAX_EXCLUDED])  # the first typed
    limits = " ".join(
        f"Only the first {limit} {what} count."
        for limit, what, over in (
            (MAX_PHRASES, "quoted phrases", too_many_phrases),
            (MAX_EXCLUDED, "-words", too_many_excluded),
        )
        if over
    )
    if limits:
        notice = f"{notice} {limits}" if notice else limits
    if not words:
        error = (
            "Only excluded words were given: add some words to look for."
            if excluded
            else "Type a few words of the quotation you are looking for."
        )
        return ParsedQuery(text, (), (), frozenset(excluded), notice, error)
    if not phrases and len(words) <= COMMON_ONLY_WORDS and FUNCTION_WORDS.issuperset(words):
        return ParsedQuery(text, (), (), frozenset(excluded), notice, COMMON_ONLY)
    if len(words) > MAX_WORDS:
        words = words[:MAX_WORDS]
        cut = f"Only the first {MAX_WORDS} words count."
        notice = f"{notice} {cut}" if notice else cut
    return ParsedQuery(text, tuple(words), tuple(phrases), frozenset(excluded), notice)


def _words(text: str) -> list[str]:
    return [w for w in tokens(text) if len(w) <= MAX_WORD_CHARS]


def _split_phrases(text: str) -> list[str]:
    """Alternating outside/inside-quotes segments; an unclosed quote runs to the end."""
    return text.split('"')


def fts_term(word: str, prefix: bool = False) -> str:
    """One folded word as a safe FTS5 string (double-quoted), optionally a prefix query.
    NUL is dropped: FTS5 would end the string there ("unterminated string")."""
    quoted = '"' + word.replace("\x00", "").replace('"', '""') + '"'
    return quoted + "*" if prefix else quoted
