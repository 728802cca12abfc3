"""Property-based tests of what people type (hypothesis): any Unicode, FTS5 syntax and
huge input never make the query parser raise, its work stays bounded, and the FTS5
expressions the search sends to SQLite hold nothing typed except inside quoted terms.

Cases per test: ``VERBATIM_HYPOTHESIS_EXAMPLES`` (200 by default; see conftest).
"""

from __future__ import annotations

import asyncio
import re
import shutil
import sqlite3
import time
from collections.abc import Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from store import Searcher, SearchFilters, open_database, parse_query
from store.models import ParsedDocument
from store.search.query import MAX_EXCLUDED, MAX_PHRASES, MAX_QUERY_CHARS, MAX_WORD_CHARS, fts_term

# pieces of FTS5 query syntax, and characters that have tripped tokenizers and encoders
FTS_PIECES = [
    '"', '""', "*", "(", ")", " ", "NEAR", "NEAR(", "AND", "OR", "NOT", ":", "^", "-", "+",
    ",", "{", "}", "[", "]", "'", "\\", "col:", "paragraphs_fts:", "people", "party",
    "servant", "한국", "인민", "\x00", "\x1f", "\ud800", "\udcff", "😀", "“", "”", "„", "ǂ",
    "\u200b", "\ufeff", "\t", "\n", "𝔘𝔫𝔦", "ﬁ", "İ", "ß", "\u0301", "-\"", "\"-",
]  # fmt: skip
fts_like = st.lists(st.sampled_from(FTS_PIECES), max_size=80).map("".join)
huge = st.builds(
    lambda piece, times: piece * times, st.text(min_size=1, max_size=40), st.integers(200, 5000)
)
queries = st.one_of(st.text(max_size=400), fts_like, huge)

_QUOTED = re.compile(r'"(?:[^"]|"")*"\*?')
_OPERATORS = frozenset({"T", "(", ")", "AND", "OR", "+"})


def only_quoted_terms(expression: str) -> bool:
    """True when everything outside double-quoted strings is an operator the search
    itself writes (AND, OR, + inside a phrase, parentheses)."""
    rest = _QUOTED.sub(" T ", expression).replace("(", " ( ").replace(")", " ) ")
    return bool(rest.split()) and set(rest.split()) <= _OPERATORS


@given(raw=queries)
@example(raw="¼/" * 150 + '"' + "¼" * 150)  # 301 words of 300 characters: the bound is 4x
@example(raw="\ufdfa" * 300)
def test_parse_query_never_raises_and_stays_bounded(raw: str) -> None:
    started = time.perf_counter()
    parsed = parse_query(raw)
    assert time.perf_counter() - started < 1.0
    parsed.text.encode("utf-8")
    assert len(parsed.text) <= MAX_QUERY_CHARS
    assert len(parsed.phrases) <= MAX_PHRASES and len(parsed.excluded) <= MAX_EXCLUDED
    # folding (NFKD) may make several words of one character: "¼" is "1", "4", and
    # U+FDFA is four words; no character makes more
    assert len(parsed.words) <= 4 * MAX_QUERY_CHARS
    for word in (*parsed.words, *parsed.excluded):
        assert word and len(word) <= MAX_WORD_CHARS
        assert word.isalnum(), f"not a plain word: {word!r}"
    assert (parsed.error is None) == bool(parsed.words)


@pytest.fixture(scope="module")
def fts() -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(":memory:")
    conn.execute(
        "CREATE VIRTUAL TABLE t USING fts5(text, tokenize='unicode61 remove_diacritics 2')"
    )
    conn.execute("INSERT INTO t (text) VALUES ('people party servant 한국')")
    yield conn
    conn.close()


@given(word=st.text(max_size=60), prefix=st.booleans())
@example(word="a\x00b", prefix=False)  # was: "unterminated string" from FTS5
def test_fts_term_is_one_quoted_string_sqlite_accepts(
    fts: sqlite3.Connection, word: str, prefix: bool
) -> None:
    word = word.encode("utf-8", "replace").decode("utf-8")  # what can be bound at all
    term = fts_term(word, prefix)
    assert _QUOTED.fullmatch(term)
    assert term.rstrip("*")[1:-1].replace('""', '"') == word.replace("\x00", "")
    fts.execute("SELECT count(*) FROM t WHERE t MATCH ?", (term,)).fetchone()


@given(raw=queries)
def test_every_word_the_parser_keeps_is_a_valid_fts_term(fts: sqlite3.Connection, raw: str) -> None:
    parsed = parse_query(raw)
    words = [*parsed.words, *parsed.excluded, *(w for p in parsed.phrases for w in p)]
    for word in words:
        fts.execute("SELECT count(*) FROM t WHERE t MATCH ?", (fts_term(word, True),)).fetchone()


Searching = tuple[asyncio.AbstractEventLoop, Searcher, list[str]]


@pytest.fixture(scope="module")
def searching(
    sample_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Searching]:
    """A Searcher over the sample (plus a Korean paragraph) whose database records every
    FTS5 expression it is asked to run."""
    path = Path(shutil.copy(sample_template, tmp_path_factory.mktemp("search") / "v.db"))
    loop = asyncio.new_event_loop()
    stack = AsyncExitStack()
    db = loop.run_until_complete(stack.enter_async_context(open_database(path)))
    korean = ParsedDocument(
        "신년사", ["우리 인민은 새해를 맞이하여 승리를 다짐합니다."], "ko.txt", "text"
    )
    loop.run_until_complete(db.insert_documents([(korean, "ko")]))
    loop.run_until_complete(db.after_bulk_load())
    sent: list[str] = []

    def recording(name: str) -> Any:
        original = getattr(db, name)

        async def run(expression: Any, *args: Any, **kwargs: Any) -> Any:
            sent.extend([expression] if isinstance(expression, str) else expression)
            return await original(expression, *args, **kwargs)

        return run

    for name in ("fts_candidates", "fts_rowids", "fts_counts", "fts_count"):
        setattr(db, name, recording(name))
    yield loop, Searcher(db), sent
    loop.run_until_complete(stack.aclose())
    loop.close()


filter_text = st.one_of(st.none(), st.text(max_size=20), st.sampled_from(FTS_PIECES))
filters = st.builds(
    SearchFilters,
    collection=filter_text,
    document_id=st.one_of(
        st.none(), st.sampled_from([0, -1, 2**63 - 1, 2**63, -(2**63) - 1, 10**30]), st.integers()
    ),
    speaker=filter_text,
    language=filter_text,
    date_from=filter_text,
    date_to=filter_text,
)


@given(raw=queries, limit=st.integers(-5, 50), offset=st.integers(-5, 50))
def test_search_never_raises_and_sends_sqlite_only_quoted_terms(
    searching: Searching, raw: str, limit: int, offset: int
) -> None:
    loop, searcher, sent = searching
    sent.clear()
    result = loop.run_until_complete(searcher.search(raw, limit=limit, offset=offset))
    result.query.encode("utf-8")
    for expression in sent:
        assert only_quoted_terms(expression), expression


@given(raw=st.one_of(st.sampled_from(["servant party people", "인민 승리"]), fts_like), f=filters)
@example(raw="servant party people", f=SearchFilters(document_id=2**63))  # was: OverflowError
def test_search_with_any_filters_never_raises(
    searching: Searching, raw: str, f: SearchFilters
) -> None:
    loop, searcher, sent = searching
    sent.clear()
    loop.run_until_complete(searcher.search(raw, filters=f))
    for expression in sent:
        assert only_quoted_terms(expression), expression


def test_the_check_itself_refuses_what_is_not_quoted() -> None:
    assert only_quoted_terms('"a" AND ("b"* OR ("c" + "d"))')
    assert only_quoted_terms('"say ""hi"""')
    for bad in ("a", '"a" NEAR "b"', '"a" AND b*', 'col:"a"', '"a" NOT "b"', '"a"^', ""):
        assert not only_quoted_terms(bad), bad
