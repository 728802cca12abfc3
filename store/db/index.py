"""The search index: FTS5 queries over the paragraphs and the search vocabulary.

``paragraphs_fts`` holds the search-folded text of every paragraph plus its word-pair
terms (rows are added with their paragraphs, see
:meth:`store.db.documents.Documents._index_paragraphs`).  ``search_vocab`` counts, for
each folded word, the paragraphs it occurs in; it is recounted from the index after an
ingest run (:meth:`SearchIndex.after_bulk_load`).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence

from store.db._sql import Base, _count, _filter_sql, _select_in
from store.db.migrations import reindex_fts
from store.text.norm import PAIR_MARK

log = logging.getLogger(__name__)

# SQLite before 3.44 (Debian 12 has 3.40) stacks two more levels onto an FTS5 index of
# any size at every 'optimize', i.e. every ingest run that stores documents, and past
# 2,000 levels reports the index as "database disk image is malformed", for good: about
# 1,000 ingest runs.  Past this many levels, the end of an ingest indexes every paragraph
# again, from an empty index, and the levels start over (every ~250 runs; seconds for a
# few thousand speeches, minutes for a million paragraphs).  Read at call time.
FTS_LEVEL_LIMIT = 500
_STRUCTURE_ROWID = 10  # FTS5 keeps the index's structure (levels, segments) in this row

_MAX_CHAR = "\U0010ffff"  # sorts after every word: prefix ranges are [p, p + _MAX_CHAR)
_AFTER_PAIR_MARK = chr(ord(PAIR_MARK) + 1)  # word-pair terms sort in [PAIR_MARK, this)


class SearchIndex(Base):
    """Full-text and vocabulary queries: part of :class:`~store.db.database.Database`."""

    async def before_bulk_load(self) -> None:
        """Prepare for an ingest run: a larger page cache, and no incremental FTS merging
        (:meth:`after_bulk_load` merges the index into one segment and restores it)."""
        await self.conn.execute("PRAGMA cache_size = -131072")
        await self.conn.execute(
            "INSERT INTO paragraphs_fts (paragraphs_fts, rank) VALUES ('automerge', 0)"
        )

    async def after_bulk_load(self) -> None:
        """Tidy indexes after an ingest run added documents: merge FTS segments — or,
        when the index has piled up :data:`FTS_LEVEL_LIMIT` levels, start it over, which
        merges it too — and recount the search vocabulary from the full-text index."""
        if (levels := await self.fts_levels()) > FTS_LEVEL_LIMIT:
            log.warning(
                "the full-text index of %s has %d levels (SQLite %s adds two per ingest): "
                "indexing every paragraph again, from an empty index",
                self.path,
                levels,
                sqlite3.sqlite_version,
            )
            await self.conn.execute("BEGIN IMMEDIATE")
            try:
                await reindex_fts(self.conn)  # ends with an 'optimize'
                await self.conn.execute("COMMIT")
            except BaseException:
                await self.conn.execute("ROLLBACK")
                raise
        else:
            await self.conn.execute(
                "INSERT INTO paragraphs_fts (paragraphs_fts) VALUES ('optimize')"
            )
        await self.conn.execute(
            "INSERT INTO paragraphs_fts (paragraphs_fts, rank) VALUES ('automerge', 4)"
        )
        await self.rebuild_search_vocab()
        await self.conn.execute("PRAGMA optimize")

    async def fts_levels(self) -> int:
        """How many levels the FTS5 index's structure has (0 for an empty index)."""
        async with self.conn.execute(
            "SELECT block FROM paragraphs_fts_data WHERE id = ?", (_STRUCTURE_ROWID,)
        ) as cur:
            row = await cur.fetchone()
        return structure_levels(bytes(row[0])) if row and row[0] else 0

    async def term_frequencies(self, terms: Sequence[str]) -> dict[str, int]:
        """Document frequency of each of ``terms`` found in the search vocabulary."""
        rows = await _select_in(self.conn, "SELECT term, df FROM search_vocab WHERE term", terms)
        return {row[0]: int(row[1]) for row in rows}

    async def prefix_frequencies(self, prefixes: Sequence[str]) -> dict[str, int]:
        """For each of ``prefixes``, the summed paragraph counts of the vocabulary words
        starting with it: an upper bound of how many paragraphs have such a word."""
        return {
            prefix: await _count(
                self.conn,
                "SELECT sum(df) FROM search_vocab WHERE term >= ? AND term < ?",
                (prefix, prefix + _MAX_CHAR),
            )
            for prefix in dict.fromkeys(prefixes)
        }

    async def vocab_neighbours(
        self, term: str, affix: int, min_len: int, max_len: int
    ) -> list[tuple[str, int]]:
        """Vocabulary words sharing ``term``'s first or last ``affix`` characters, in a
        length range: the candidates from which a misspelt word's correction is chosen."""
        head, tail = term[:affix], term[::-1][:affix]
        async with self.conn.execute(
            "SELECT term, df FROM search_vocab WHERE term >= ? AND term < ? "
            "AND length(term) BETWEEN ? AND ? "
            "UNION SELECT term, df FROM search_vocab WHERE rterm >= ? AND rterm < ? "
            "AND length(term) BETWEEN ? AND ?",
            (head, head + _MAX_CHAR, min_len, max_len, tail, tail + _MAX_CHAR, min_len, max_len),
        ) as cur:
            return [(row[0], int(row[1])) for row in await cur.fetchall()]

    async def vocab_with_prefix(self, head: str, max_len: int) -> list[tuple[str, int]]:
        """Vocabulary words beginning with ``head``, at most ``max_len`` characters long:
        the candidates among which a query word's other forms are chosen."""
        async with self.conn.execute(
            "SELECT term, df FROM search_vocab WHERE term >= ? AND term < ? AND length(term) <= ?",
            (head, head + _MAX_CHAR, max_len),
        ) as cur:
            return [(row[0], int(row[1])) for row in await cur.fetchall()]

    async def rebuild_search_vocab(self) -> int:
        """Recount the search vocabulary from the full-text index; returns the number of words.

        The words and their paragraph counts come from FTS5's own index (fts5vocab), so
        they are exactly the terms a MATCH can find.  Ingest calls this after each run
        that added documents (via :meth:`after_bulk_load`).
        """
        await self.conn.create_function("verbatim_reverse", 1, _reverse, deterministic=True)
        await self.conn.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.paragraphs_fts_terms "
            "USING fts5vocab(main, paragraphs_fts, 'row')"
        )
        await self.conn.execute("BEGIN IMMEDIATE")  # no document can be stored meanwhile
        try:
            await self.conn.execute("DELETE FROM search_vocab")
            for low, high in (("", PAIR_MARK), (_AFTER_PAIR_MARK, _MAX_CHAR)):  # not pairs
                await self.conn.execute(
                    "INSERT INTO search_vocab (term, rterm, df) "
                    "SELECT term, verbatim_reverse(term), doc FROM temp.paragraphs_fts_terms "
                    "WHERE term >= ? AND term < ?",
                    (low, high),
                )
            await self.conn.execute(
                "UPDATE derived_state SET stale_since = NULL WHERE name = 'search_vocab'"
            )
            await self.conn.execute("COMMIT")
        except BaseException:
            await self.conn.execute("ROLLBACK")
            raise
        self.search_vocab_stale = False
        return await _count(self.conn, "SELECT count(*) FROM search_vocab")

    async def search_vocab_stale_since(self) -> str | None:
        """When documents were stored that the search vocabulary does not count yet
        (UTC, ISO 8601), or ``None`` when it is up to date.  Recorded in the database, in
        the transaction that stored them, so a crash cannot hide it."""
        async with self.conn.execute(
            "SELECT stale_since FROM derived_state WHERE name = 'search_vocab'"
        ) as cur:
            row = await cur.fetchone()
        return str(row[0]) if row and row[0] is not None else None

    async def searchable_paragraph_id(self) -> int | None:
        """The newest paragraph's id (0 for none) when the search can find every stored
        paragraph, or ``None`` while documents are stored that the search vocabulary does
        not count yet (an ingest is running, or stopped before its last step): a /watch
        check then would miss words that only the new paragraphs have.  One statement,
        so one snapshot: the paragraphs up to the id returned are all in the vocabulary.
        (A question about the corpus: /watch's own rows may live elsewhere.)"""
        async with self.conn.execute(
            "SELECT (SELECT coalesce(max(id), 0) FROM paragraphs), "
            "(SELECT stale_since FROM derived_state WHERE name = 'search_vocab')"
        ) as cur:
            row = await cur.fetchone()
        if row is None or row[1] is not None:
            return None
        return int(row[0])

    async def search_vocab_is_empty(self) -> bool:
        """True when no word is in the search vocabulary."""
        async with self.conn.execute("SELECT 1 FROM search_vocab LIMIT 1") as cur:
            return await cur.fetchone() is None

    async def fts_candidates(
        self, expression: str, limit: int, **filters: str | int | None
    ) -> list[tuple[int, str]]:
        """``(paragraph id, text)`` of the best ``limit`` paragraphs (bm25) matching an
        FTS5 ``expression`` (built by the search from quoted words only) and ``filters``
        (see :func:`_filter_sql`)."""
        where, args = _filter_sql(filters)
        if where:
            sql = (
                "SELECT p.id, p.text FROM paragraphs_fts f JOIN paragraphs p ON p.id = f.rowid "
                "JOIN documents d ON d.id = p.document_id "
                f"WHERE paragraphs_fts MATCH ? AND {where} ORDER BY f.rank LIMIT ?"
            )
        else:
            sql = (
                "SELECT p.id, p.text FROM (SELECT rowid, rank FROM paragraphs_fts "
                "WHERE paragraphs_fts MATCH ? ORDER BY rank LIMIT ?) AS top "
                "JOIN paragraphs p ON p.id = top.rowid ORDER BY top.rank"
            )
            args = []
        params = (expression, *args, limit) if where else (expression, limit)
        async with self.conn.execute(sql, params) as cur:
            return [(row[0], row[1]) for row in await cur.fetchall()]

    async def fts_rowids(self, expression: str, limit: int, max_id: int | None = None) -> list[int]:
        """Ids (ascending, none above ``max_id``) of up to ``limit`` paragraphs matching an
        FTS5 ``expression``, unranked (no bm25: the work grows with the postings walked,
        not with ranking every match)."""
        async with self.conn.execute(
            "SELECT rowid FROM paragraphs_fts WHERE paragraphs_fts MATCH ? AND rowid <= ? LIMIT ?",
            (expression, max_id if max_id is not None else 2**63 - 1, limit),
        ) as cur:
            return [row[0] for row in await cur.fetchall()]

    async def fts_counts(self, expressions: Sequence[str], cap: int) -> list[int]:
        """:meth:`fts_count` of each of ``expressions``, in one statement."""
        if not expressions:
            return []
        one = (
            "(SELECT count(*) FROM "
            "(SELECT 1 FROM paragraphs_fts WHERE paragraphs_fts MATCH ? LIMIT ?))"
        )
        async with self.conn.execute(
            "SELECT " + ", ".join([one] * len(expressions)),
            [v for e in expressions for v in (e, cap)],
        ) as cur:
            row = await cur.fetchone()
        return [int(v) for v in row] if row else [0] * len(expressions)

    async def fts_count(self, expression: str, cap: int) -> int:
        """How many paragraphs match an FTS5 ``expression``, counting no further than ``cap``."""
        return await _count(
            self.conn,
            "SELECT count(*) FROM (SELECT 1 FROM paragraphs_fts WHERE paragraphs_fts MATCH ? "
            "LIMIT ?)",
            (expression, cap),
        )

    async def search_index_size(self) -> dict[str, int]:
        """Bytes of text, of the search index (FTS5 + vocabulary) and of the whole file."""
        return {
            "text_bytes": await _count(
                self.conn, "SELECT sum(length(CAST(text AS BLOB))) FROM paragraphs"
            ),
            "index_bytes": await _count(
                self.conn,
                "SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'paragraphs_fts%' "
                "OR name LIKE 'search_vocab%'",
            ),
            "database_bytes": await _count(self.conn, "SELECT sum(pgsize) FROM dbstat"),
        }


def structure_levels(block: bytes) -> int:
    """The level count in an FTS5 structure record: a 4-byte cookie, from SQLite 3.44 a
    4-byte format marker (FF 00 00 01), then the count as an SQLite varint."""
    at = 8 if block[4:8] == b"\xff\x00\x00\x01" else 4
    value = 0
    for n, byte in enumerate(block[at : at + 9]):
        if n == 8:
            return (value << 8) | byte
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            break
    return value


def _reverse(term: str) -> str:
    return term[::-1]
