"""The SQLite store: connection set-up, numbered migrations and every SQL statement.

All SQL of the project lives in this module.  The schema is created and upgraded by
the numbered migrations in ``MIGRATIONS``; ``PRAGMA user_version`` records how many
have been applied.  Connections use WAL journaling and enforce foreign keys.
"""

from __future__ import annotations

import logging
import secrets
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite

from store.models import DocumentMeta, Paragraph, ParsedDocument, PartialDate
from store.text.norm import PAIR_MARK, index_text

log = logging.getLogger(__name__)

_REINDEX_BATCH = 5_000


async def _index_word_pairs(conn: aiosqlite.Connection) -> None:
    """Migration 7: index every stored paragraph again, now with its word-pair terms
    (store.text.norm.index_text).  A one-off pass over all paragraphs: seconds for the
    sample or a few thousand speeches, about four minutes for a million paragraphs."""
    if stored := await _count(conn, "SELECT count(*) FROM paragraphs"):
        log.info(
            "indexing the word pairs of %d stored paragraphs (once, for this version; "
            "about four minutes per million)",
            stored,
        )
    await conn.execute("INSERT INTO paragraphs_fts (paragraphs_fts) VALUES ('delete-all')")
    last = 0
    while True:
        async with conn.execute(
            "SELECT id, text FROM paragraphs WHERE id > ? ORDER BY id LIMIT ?",
            (last, _REINDEX_BATCH),
        ) as cur:
            rows = list(await cur.fetchall())
        if not rows:
            break
        await conn.executemany(
            "INSERT INTO paragraphs_fts (rowid, text) VALUES (?, ?)",
            [(row[0], index_text(row[1])) for row in rows],
        )
        last = rows[-1][0]
    await conn.execute("INSERT INTO paragraphs_fts (paragraphs_fts) VALUES ('optimize')")


Migration = str | Callable[[aiosqlite.Connection], Awaitable[None]]

# Each entry is one migration, applied in order inside a transaction: an SQL script, or
# a coroutine function for what SQL alone cannot do.  Never edit one that has shipped:
# append a new one instead.
MIGRATIONS: tuple[Migration, ...] = (
    # 1: documents and their paragraphs
    """
    CREATE TABLE documents (
        id INTEGER PRIMARY KEY,
        title TEXT NOT NULL,
        speaker TEXT,
        date TEXT,
        place TEXT,
        agency TEXT,
        language TEXT,
        collection TEXT NOT NULL,
        origin TEXT NOT NULL,
        source_format TEXT NOT NULL,
        content_hash TEXT NOT NULL UNIQUE,
        paragraph_count INTEGER NOT NULL,
        char_count INTEGER NOT NULL,
        ingested_at TEXT NOT NULL
    );
    CREATE INDEX documents_collection ON documents(collection);
    CREATE INDEX documents_date ON documents(date);
    CREATE TABLE paragraphs (
        id INTEGER PRIMARY KEY,
        document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        text TEXT NOT NULL,
        UNIQUE (document_id, position)
    );
    """,
    # 2: full-text index over paragraphs (rowid = paragraphs.id).  It indexes the
    # search-folded text (see Database._index_paragraphs), not the displayed text in
    # the content table: never run FTS5 'rebuild' on it
    """
    CREATE VIRTUAL TABLE paragraphs_fts USING fts5(
        text, content='paragraphs', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
    );
    """,
    # 3: bot: queries that buttons refer to by id, and this database's epoch (a random
    # tag carried in callback data so buttons made against another database are refused)
    """
    CREATE TABLE bot_queries (
        id INTEGER PRIMARY KEY,
        text TEXT NOT NULL UNIQUE,
        last_used TEXT NOT NULL
    );
    CREATE TABLE bot_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    INSERT INTO bot_meta (key, value) VALUES ('epoch', lower(hex(randomblob(3))));
    """,
    # 4: search vocabulary: in how many paragraphs each folded word occurs (df), to pick
    # the discriminating query words and correct misspelt ones; rterm is the word
    # reversed, so words can be looked up by their ending as well as their beginning
    """
    CREATE TABLE search_vocab (
        term TEXT PRIMARY KEY,
        rterm TEXT NOT NULL,
        df INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX search_vocab_rterm ON search_vocab(rterm);
    """,
    # 5: inline mode: how often each paragraph was chosen from inline results (feeds the
    # list shown for an empty inline query)
    """
    CREATE TABLE inline_chosen (
        paragraph_id INTEGER PRIMARY KEY REFERENCES paragraphs(id) ON DELETE CASCADE,
        chosen INTEGER NOT NULL,
        last_chosen TEXT NOT NULL
    );
    CREATE INDEX inline_chosen_rank ON inline_chosen(chosen DESC, last_chosen DESC);
    """,
    # 6: posting to channels and groups: the chats a user linked as post targets, daily
    # "passage of the day" schedules, and which paragraphs each chat already received
    """
    CREATE TABLE post_targets (
        id INTEGER PRIMARY KEY,
        owner_id INTEGER NOT NULL,
        chat_id INTEGER NOT NULL,
        chat_type TEXT NOT NULL,
        title TEXT NOT NULL,
        username TEXT,
        added_at TEXT NOT NULL,
        UNIQUE (owner_id, chat_id)
    );
    CREATE TABLE post_schedules (
        id INTEGER PRIMARY KEY AUTOINCREMENT,  -- ids are never reused: /schedule remove N
        chat_id INTEGER NOT NULL,
        chat_type TEXT NOT NULL,
        chat_title TEXT NOT NULL,
        chat_username TEXT,
        creator_id INTEGER NOT NULL,
        minute_of_day INTEGER NOT NULL CHECK (minute_of_day BETWEEN 0 AND 1439),
        query TEXT,
        collection TEXT,
        enabled INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL,
        last_posted_at TEXT,
        last_error TEXT
    );
    CREATE INDEX post_schedules_chat ON post_schedules(chat_id);
    CREATE INDEX post_schedules_creator ON post_schedules(creator_id);
    CREATE TABLE posted_paragraphs (
        chat_id INTEGER NOT NULL,
        paragraph_id INTEGER NOT NULL REFERENCES paragraphs(id) ON DELETE CASCADE,
        message_id INTEGER,
        posted_at TEXT NOT NULL,
        PRIMARY KEY (chat_id, paragraph_id)
    ) WITHOUT ROWID;
    """,
    # 7: the full-text index also holds each paragraph's neighbouring word pairs
    _index_word_pairs,
)

_MAX_CHAR = "\U0010ffff"  # sorts after every word: prefix ranges are [p, p + _MAX_CHAR)
_AFTER_PAIR_MARK = chr(ord(PAIR_MARK) + 1)  # word-pair terms sort in [PAIR_MARK, this)

KEEP_BOT_QUERIES = 200_000  # bot: buttons of older searches say "search again"
_QUERY_ID_RANGE = 36**8  # bot: query ids are drawn at random below this

_DOCUMENT_INSERT_COLUMNS = (
    "title, speaker, date, place, agency, language, collection, origin, source_format, "
    "content_hash, paragraph_count, char_count, ingested_at"
)
_DOCUMENT_COLUMNS = (
    "id, title, paragraph_count, collection, speaker, date, place, agency, language, origin"
)


@dataclass(frozen=True, slots=True)
class InsertOutcome:
    """What happened to one document handed to :meth:`Database.insert_documents`."""

    origin: str
    status: str  # "new", "duplicate" or "failed"
    document_id: int | None = None
    reason: str | None = None


def _document_values(doc: ParsedDocument, content_hash: str, now: str) -> tuple[Any, ...]:
    """Values for ``_DOCUMENT_INSERT_COLUMNS``, in order."""
    return (
        doc.title,
        doc.speaker,
        doc.date.iso() if doc.date else None,
        doc.place,
        doc.agency,
        doc.language,
        doc.collection or "default",
        doc.origin,
        doc.source_format,
        content_hash,
        len(doc.paragraphs),
        sum(len(p) for p in doc.paragraphs),
        now,
    )


def _document_from_row(row: sqlite3.Row | tuple[Any, ...]) -> DocumentMeta:
    return DocumentMeta(
        id=row[0],
        title=row[1],
        paragraph_count=row[2],
        collection=row[3],
        speaker=row[4],
        date=PartialDate.parse_iso(row[5]),
        place=row[6],
        agency=row[7],
        language=row[8],
        origin=row[9],
    )


_IN_CHUNK = 500  # values per "IN (...)" list (SQLite caps a statement's parameters)


async def _select_in(
    conn: aiosqlite.Connection, sql: str, values: Sequence[Any], *leading: Any
) -> list[Any]:
    """The rows of ``sql + " IN (?, ?, …)"`` over the distinct ``values`` (in chunks),
    with the ``leading`` parameters before them; none for no values."""
    unique = tuple(dict.fromkeys(values))
    rows: list[Any] = []
    for start in range(0, len(unique), _IN_CHUNK):
        chunk = unique[start : start + _IN_CHUNK]
        marks = ",".join("?" * len(chunk))
        async with conn.execute(f"{sql} IN ({marks})", (*leading, *chunk)) as cur:
            rows += await cur.fetchall()
    return rows


async def _count(conn: aiosqlite.Connection, sql: str, params: Sequence[Any] = ()) -> int:
    """The integer in the first column of ``sql``'s first row (0 for no row or NULL)."""
    async with conn.execute(sql, tuple(params)) as cur:
        row = await cur.fetchone()
    return int(row[0] or 0) if row else 0


class Database:
    """An open Verbatim database; create it with :func:`open_database`."""

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path
        # True once this connection stored documents that the search vocabulary does not
        # count yet; :meth:`rebuild_search_vocab` (run by ``after_bulk_load``) clears it.
        self.search_vocab_stale = False

    # ------------------------------------------------------------------ schema

    async def migrate(self) -> int:
        """Apply pending migrations; return the schema version now in force."""
        version = await _count(self.conn, "PRAGMA user_version")
        if version > len(MIGRATIONS):
            raise RuntimeError(
                f"database {self.path} has schema version {version}, newer than this "
                f"program knows ({len(MIGRATIONS)}): upgrade verbatim-bot"
            )
        for number in range(version + 1, len(MIGRATIONS) + 1):
            step = MIGRATIONS[number - 1]
            if isinstance(step, str):
                await self.conn.executescript(
                    f"BEGIN;\n{step}\nPRAGMA user_version = {number};\nCOMMIT;"
                )
                continue
            await self.conn.execute("BEGIN IMMEDIATE")
            try:
                await step(self.conn)
                await self.conn.execute(f"PRAGMA user_version = {number}")
                await self.conn.execute("COMMIT")
            except BaseException:
                await self.conn.execute("ROLLBACK")
                raise
        return len(MIGRATIONS)

    # ------------------------------------------------------------------ writes

    async def insert_documents(
        self, docs: Sequence[tuple[ParsedDocument, str]]
    ) -> list[InsertOutcome]:
        """Store ``(document, content_hash)`` pairs; return what happened to each.

        The batch is written in one transaction with a few bulk statements.  If the
        database refuses any of it, the batch is rolled back and written again one
        document per savepoint, so only the failing document is lost.  A document
        whose hash is already stored is reported as a duplicate and not written again.
        """
        now = datetime.now(UTC).isoformat(timespec="seconds")
        outcomes: list[InsertOutcome] | None = None
        await self.conn.execute("BEGIN IMMEDIATE")
        try:
            outcomes = await self._insert_batch(docs, now)
            await self.conn.execute("COMMIT")
        except sqlite3.Error:
            await self.conn.execute("ROLLBACK")
        except BaseException:
            await self.conn.execute("ROLLBACK")
            raise
        if outcomes is None:
            await self.conn.execute("BEGIN IMMEDIATE")
            try:
                outcomes = [await self._insert_one(doc, h, now) for doc, h in docs]
                await self.conn.execute("COMMIT")
            except BaseException:
                await self.conn.execute("ROLLBACK")
                raise
        if any(o.status == "new" for o in outcomes):
            self.search_vocab_stale = True
        return outcomes

    async def _stored_hashes(self, hashes: Sequence[str]) -> dict[str, int]:
        rows = await _select_in(
            self.conn, "SELECT content_hash, id FROM documents WHERE content_hash", hashes
        )
        return {row[0]: int(row[1]) for row in rows}

    async def _max_id(self, table: str) -> int:
        return await _count(self.conn, f"SELECT max(id) FROM {table}")

    async def _insert_batch(
        self, docs: Sequence[tuple[ParsedDocument, str]], now: str
    ) -> list[InsertOutcome]:
        stored = await self._stored_hashes(list({h for _, h in docs}))
        next_doc = await self._max_id("documents")
        next_para = await self._max_id("paragraphs")
        outcomes: list[InsertOutcome] = []
        doc_rows: list[tuple[Any, ...]] = []
        para_rows: list[tuple[int, int, int, str]] = []
        for doc, content_hash in docs:
            if content_hash in stored:
                outcomes.append(InsertOutcome(doc.origin, "duplicate", stored[content_hash]))
                continue
            next_doc += 1
            stored[content_hash] = next_doc
            doc_rows.append((next_doc, *_document_values(doc, content_hash, now)))
            for position, text in enumerate(doc.paragraphs, start=1):
                next_para += 1
                para_rows.append((next_para, next_doc, position, text))
            outcomes.append(InsertOutcome(doc.origin, "new", next_doc))
        if doc_rows:
            await self.conn.executemany(
                f"INSERT INTO documents (id, {_DOCUMENT_INSERT_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                doc_rows,
            )
            await self.conn.executemany(
                "INSERT INTO paragraphs (id, document_id, position, text) VALUES (?, ?, ?, ?)",
                para_rows,
            )
            await self._index_paragraphs([(row[0], row[3]) for row in para_rows])
        return outcomes

    async def _insert_one(self, doc: ParsedDocument, content_hash: str, now: str) -> InsertOutcome:
        stored = await self._stored_hashes([content_hash])
        if content_hash in stored:
            return InsertOutcome(doc.origin, "duplicate", stored[content_hash])
        await self.conn.execute("SAVEPOINT doc")
        try:
            cur = await self.conn.execute(
                f"INSERT INTO documents ({_DOCUMENT_INSERT_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                _document_values(doc, content_hash, now),
            )
            document_id = cur.lastrowid
            assert document_id is not None
            await cur.close()
            rows = [(document_id, n, text) for n, text in enumerate(doc.paragraphs, start=1)]
            await self.conn.executemany(
                "INSERT INTO paragraphs (document_id, position, text) VALUES (?, ?, ?)", rows
            )
            async with self.conn.execute(
                "SELECT id, text FROM paragraphs WHERE document_id = ?", (document_id,)
            ) as cur:
                await self._index_paragraphs([(r[0], r[1]) for r in await cur.fetchall()])
            await self.conn.execute("RELEASE doc")
        except sqlite3.Error as exc:
            await self.conn.execute("ROLLBACK TO doc")
            await self.conn.execute("RELEASE doc")
            return InsertOutcome(doc.origin, "failed", reason=f"database error: {exc}")
        return InsertOutcome(doc.origin, "new", document_id)

    async def before_bulk_load(self) -> None:
        """Prepare for an ingest run: a larger page cache, and no incremental FTS merging
        (:meth:`after_bulk_load` merges the index into one segment and restores it)."""
        await self.conn.execute("PRAGMA cache_size = -131072")
        await self.conn.execute(
            "INSERT INTO paragraphs_fts (paragraphs_fts, rank) VALUES ('automerge', 0)"
        )

    async def after_bulk_load(self) -> None:
        """Tidy indexes after an ingest run added documents: merge FTS segments and
        recount the search vocabulary from the full-text index."""
        await self.conn.execute("INSERT INTO paragraphs_fts (paragraphs_fts) VALUES ('optimize')")
        await self.conn.execute(
            "INSERT INTO paragraphs_fts (paragraphs_fts, rank) VALUES ('automerge', 4)"
        )
        await self.rebuild_search_vocab()
        await self.conn.execute("PRAGMA optimize")

    async def _index_paragraphs(self, rows: Sequence[tuple[int, str]]) -> None:
        """Add ``(paragraph id, displayed text)`` rows to the full-text index.

        The index gets the search-folded text (store.text.norm.fold: full-width digits,
        curly quotes, diacritics, case), so index terms are exactly the query's words,
        and the paragraph's word-pair terms (store.text.norm.index_text).
        """
        await self.conn.executemany(
            "INSERT INTO paragraphs_fts (rowid, text) VALUES (?, ?)",
            [(paragraph_id, index_text(text)) for paragraph_id, text in rows],
        )

    # ------------------------------------------------------------------ reads

    async def get_document(self, document_id: int) -> DocumentMeta | None:
        """Return a document's metadata, or ``None`` if there is no such document."""
        async with self.conn.execute(
            f"SELECT {_DOCUMENT_COLUMNS} FROM documents WHERE id = ?", (document_id,)
        ) as cur:
            row = await cur.fetchone()
        return _document_from_row(row) if row else None

    async def get_paragraph(self, paragraph_id: int) -> Paragraph | None:
        """Return one paragraph by id, or ``None``."""
        async with self.conn.execute(
            "SELECT id, document_id, position, text FROM paragraphs WHERE id = ?",
            (paragraph_id,),
        ) as cur:
            row = await cur.fetchone()
        return Paragraph(*row) if row else None

    async def get_paragraphs(self, paragraph_ids: Sequence[int]) -> dict[int, Paragraph]:
        """Return the paragraphs with these ids that exist, keyed by id."""
        rows = await _select_in(
            self.conn,
            "SELECT id, document_id, position, text FROM paragraphs WHERE id",
            paragraph_ids,
        )
        return {row[0]: Paragraph(*row) for row in rows}

    async def get_documents(self, document_ids: Sequence[int]) -> dict[int, DocumentMeta]:
        """Return the documents with these ids that exist, keyed by id."""
        rows = await _select_in(
            self.conn, f"SELECT {_DOCUMENT_COLUMNS} FROM documents WHERE id", document_ids
        )
        return {row[0]: _document_from_row(row) for row in rows}

    async def paragraph_window(
        self, document_id: int, position: int, before: int = 1, after: int = 1
    ) -> list[Paragraph]:
        """Paragraphs ``position-before .. position+after`` of a document, in order."""
        async with self.conn.execute(
            "SELECT id, document_id, position, text FROM paragraphs "
            "WHERE document_id = ? AND position BETWEEN ? AND ? ORDER BY position",
            (document_id, position - before, position + after),
        ) as cur:
            rows = await cur.fetchall()
        return [Paragraph(*row) for row in rows]

    async def random_paragraph(self, min_chars: int = 80) -> Paragraph | None:
        """A random paragraph of at least ``min_chars`` characters (any, if none is that long)."""
        async with self.conn.execute("SELECT max(id) FROM paragraphs") as cur:
            row = await cur.fetchone()
        if row is None or row[0] is None:
            return None
        columns = "SELECT id, document_id, position, text FROM paragraphs "
        attempts: tuple[tuple[str, tuple[int, ...]], ...] = (
            # a random starting id, then the next long-enough paragraph (cheap)
            (
                "WHERE id >= abs(random()) % ? + 1 AND length(text) >= ? ORDER BY id LIMIT 1",
                (row[0], min_chars),
            ),
            # past the last long paragraph: any long one
            ("WHERE length(text) >= ? ORDER BY random() LIMIT 1", (min_chars,)),
            # none is that long: any paragraph
            ("ORDER BY random() LIMIT 1", ()),
        )
        for where, args in attempts:
            async with self.conn.execute(columns + where, args) as cur:
                found = await cur.fetchone()
            if found:
                return Paragraph(*found)
        return None

    async def list_documents(
        self, offset: int = 0, limit: int = 10, collection: str | None = None
    ) -> list[DocumentMeta]:
        """Documents ordered by collection, date and title, for browsing."""
        where, args = ("WHERE collection = ?", (collection,)) if collection else ("", ())
        async with self.conn.execute(
            f"SELECT {_DOCUMENT_COLUMNS} FROM documents {where} "
            "ORDER BY collection, date, title, id LIMIT ? OFFSET ?",
            (*args, limit, offset),
        ) as cur:
            rows = await cur.fetchall()
        return [_document_from_row(r) for r in rows]

    async def ping(self) -> None:
        """A trivial round trip: returns once the connection has finished earlier work."""
        async with self.conn.execute("SELECT 1") as cur:
            await cur.fetchone()

    async def checkpoint(self) -> None:
        """Copy the write-ahead log into the database file and truncate it."""
        await self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    async def count_documents(self, collection: str | None = None) -> int:
        """How many documents are stored (in one collection, if given)."""
        where, args = ("WHERE collection = ?", (collection,)) if collection else ("", ())
        return await _count(self.conn, f"SELECT count(*) FROM documents {where}", args)

    async def stats(self) -> dict[str, Any]:
        """Counts per collection and overall, plus the schema version and file size."""
        async with self.conn.execute(
            "SELECT collection, count(*), sum(paragraph_count), sum(char_count) "
            "FROM documents GROUP BY collection ORDER BY collection"
        ) as cur:
            rows = await cur.fetchall()
        collections = [
            {"collection": r[0], "documents": r[1], "paragraphs": r[2], "characters": r[3]}
            for r in rows
        ]
        return {
            "database": str(self.path),
            "schema_version": await _count(self.conn, "PRAGMA user_version"),
            "documents": sum(c["documents"] for c in collections),
            "paragraphs": sum(c["paragraphs"] for c in collections),
            "characters": sum(c["characters"] for c in collections),
            "collections": collections,
            "size_bytes": _database_size(self.path),
        }

    # ---- search (owned by the search engineer: store/search.py uses these)

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
        await self.conn.execute("BEGIN")
        try:
            await self.conn.execute("DELETE FROM search_vocab")
            for low, high in (("", PAIR_MARK), (_AFTER_PAIR_MARK, _MAX_CHAR)):  # not pairs
                await self.conn.execute(
                    "INSERT INTO search_vocab (term, rterm, df) "
                    "SELECT term, verbatim_reverse(term), doc FROM temp.paragraphs_fts_terms "
                    "WHERE term >= ? AND term < ?",
                    (low, high),
                )
            await self.conn.execute("COMMIT")
        except BaseException:
            await self.conn.execute("ROLLBACK")
            raise
        self.search_vocab_stale = False
        return await _count(self.conn, "SELECT count(*) FROM search_vocab")

    async def search_vocab_is_empty(self) -> bool:
        """True when no word is in the search vocabulary."""
        async with self.conn.execute("SELECT 1 FROM search_vocab LIMIT 1") as cur:
            return await cur.fetchone() is None

    async def paragraph_id_span(self) -> int:
        """The largest paragraph id: a quick upper estimate of how many paragraphs exist."""
        return await _count(self.conn, "SELECT max(id) FROM paragraphs")

    async def has_paragraphs(self) -> bool:
        """True when at least one paragraph is stored."""
        async with self.conn.execute("SELECT 1 FROM paragraphs LIMIT 1") as cur:
            return await cur.fetchone() is not None

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

    async def paragraph_texts(self, paragraph_ids: Sequence[int]) -> list[tuple[int, str]]:
        """``(id, text)`` of those of ``paragraph_ids`` that exist, in the order given."""
        rows = await _select_in(
            self.conn, "SELECT id, text FROM paragraphs WHERE id", paragraph_ids
        )
        texts = {row[0]: row[1] for row in rows}
        return [(i, texts[i]) for i in paragraph_ids if i in texts]

    async def filtered_paragraphs(
        self, limit: int, **filters: str | int | None
    ) -> list[tuple[int, str]]:
        """``(paragraph id, text)`` of up to ``limit`` paragraphs passing ``filters``."""
        where, args = _filter_sql(filters)
        async with self.conn.execute(
            "SELECT p.id, p.text FROM paragraphs p JOIN documents d ON d.id = p.document_id "
            f"WHERE {where or '1'} ORDER BY p.id LIMIT ?",
            (*args, limit),
        ) as cur:
            return [(row[0], row[1]) for row in await cur.fetchall()]

    async def count_filtered_paragraphs(self, cap: int, **filters: str | int | None) -> int:
        """How many paragraphs pass ``filters``, counting no further than ``cap``."""
        where, args = _filter_sql(filters)
        return await _count(
            self.conn,
            "SELECT count(*) FROM (SELECT 1 FROM paragraphs p "
            f"JOIN documents d ON d.id = p.document_id WHERE {where or '1'} LIMIT ?)",
            (*args, cap),
        )

    async def paragraph_ids(self, exclude_collection: str | None = None) -> list[int]:
        """Ids of all paragraphs, except those of one collection (for benchmark sampling)."""
        async with self.conn.execute(
            "SELECT p.id FROM paragraphs p JOIN documents d ON d.id = p.document_id "
            "WHERE d.collection IS NOT ? ORDER BY p.id",
            (exclude_collection,),
        ) as cur:
            return [row[0] for row in await cur.fetchall()]

    async def iter_paragraph_texts(
        self, batch: int = 10_000
    ) -> AsyncIterator[list[tuple[int, str]]]:
        """All ``(id, text)`` pairs in batches, for brute-force comparison."""
        async with self.conn.execute("SELECT id, text FROM paragraphs ORDER BY id") as cur:
            while rows := await cur.fetchmany(batch):
                yield [(row[0], row[1]) for row in rows]

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

    # ---- end search

    # ---- bot (owned by the bot engineer: bot/service.py uses these)

    async def bot_epoch(self) -> str:
        """This database's epoch: six hex digits chosen when the schema was created."""
        async with self.conn.execute("SELECT value FROM bot_meta WHERE key = 'epoch'") as cur:
            row = await cur.fetchone()
        return str(row[0]) if row else ""

    async def remember_query(self, text: str) -> int:
        """Store a search query (or refresh it) and return its id, for buttons to refer to.

        Ids are random (1 .. 36**8), so a forged button cannot walk through other
        people's searches.  Returns 0 ("no query": the card then has no buttons that
        need one) when another process holds the write lock, e.g. a running ingest.
        """
        now = datetime.now(UTC).isoformat(timespec="microseconds")
        for _ in range(3):
            try:
                async with self.conn.execute(
                    "INSERT INTO bot_queries (id, text, last_used) "
                    "VALUES (abs(random()) % ? + 1, ?, ?) "
                    "ON CONFLICT (text) DO UPDATE SET last_used = excluded.last_used RETURNING id",
                    (_QUERY_ID_RANGE, text, now),
                ) as cur:
                    row = await cur.fetchone()
            except sqlite3.IntegrityError:  # the random id is taken: draw again
                continue
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                return 0
            assert row is not None
            if secrets.randbelow(1000) == 0:  # now and then, forget the oldest queries
                await self.conn.execute(
                    "DELETE FROM bot_queries WHERE id NOT IN "
                    "(SELECT id FROM bot_queries ORDER BY last_used DESC LIMIT ?)",
                    (KEEP_BOT_QUERIES,),
                )
            return int(row[0])
        return 0

    async def neighbour_ids(
        self, paragraph_ids: Sequence[int]
    ) -> dict[int, tuple[int | None, int | None]]:
        """For each paragraph id, the ids of the paragraphs before and after it (or None)."""
        rows = await _select_in(
            self.conn,
            "SELECT p.id, "
            "(SELECT q.id FROM paragraphs q WHERE q.document_id = p.document_id "
            "AND q.position = p.position - 1), "
            "(SELECT q.id FROM paragraphs q WHERE q.document_id = p.document_id "
            "AND q.position = p.position + 1) "
            "FROM paragraphs p WHERE p.id",
            paragraph_ids,
        )
        return {row[0]: (row[1], row[2]) for row in rows}

    async def get_query(self, query_id: int) -> str | None:
        """The query text stored under ``query_id``, or ``None``."""
        async with self.conn.execute(
            "SELECT text FROM bot_queries WHERE id = ?", (query_id,)
        ) as cur:
            row = await cur.fetchone()
        return str(row[0]) if row else None

    # ---- end bot

    # ---- inline (owned by the inline-mode engineer: bot/inline.py uses these)

    async def record_inline_choice(self, paragraph_id: int) -> bool:
        """Count one choice of a paragraph from inline results; False if it does not exist."""
        now = datetime.now(UTC).isoformat(timespec="microseconds")  # ties: latest first
        cur = await self.conn.execute(
            "INSERT INTO inline_chosen (paragraph_id, chosen, last_chosen) "
            "SELECT id, 1, ? FROM paragraphs WHERE id = ? "
            "ON CONFLICT (paragraph_id) DO UPDATE SET chosen = chosen + 1, "
            "last_chosen = excluded.last_chosen",
            (now, paragraph_id),
        )
        changed = cur.rowcount
        await cur.close()
        return changed > 0

    async def inline_default_ids(self, offset: int, limit: int) -> list[int]:
        """Paragraph ids for an empty inline query, ``offset .. offset+limit-1`` of: the
        most often chosen paragraphs, then the first substantial paragraph of each
        document, latest documents first."""
        wanted = offset + limit
        async with self.conn.execute(
            "SELECT paragraph_id FROM inline_chosen "
            "ORDER BY chosen DESC, last_chosen DESC, paragraph_id LIMIT ?",
            (wanted,),
        ) as cur:
            ids = [int(row[0]) for row in await cur.fetchall()]
        if len(ids) < wanted:
            async with self.conn.execute(
                "SELECT pid FROM (SELECT d.date AS date, d.id AS did, (SELECT p.id "
                "FROM paragraphs p WHERE p.document_id = d.id AND length(p.text) >= 120 "
                "ORDER BY p.position LIMIT 1) AS pid FROM documents d) "
                "WHERE pid IS NOT NULL ORDER BY date DESC, did DESC LIMIT ?",
                (wanted + len(ids),),
            ) as cur:
                seen = set(ids)
                ids += [int(row[0]) for row in await cur.fetchall() if int(row[0]) not in seen]
        return ids[offset:wanted]

    # ---- end inline


def _filter_sql(filters: dict[str, str | int | None]) -> tuple[str, list[str | int]]:
    """SQL condition (on ``d`` = documents) and arguments for search filters.

    Keys: ``collection``, ``document_id``, ``speaker`` (case-insensitive substring),
    ``language``, ``date_from`` / ``date_to`` (ISO dates, partial allowed, inclusive:
    ``date_to="2024-03"`` keeps all of March).  Unknown keys are a programming error.
    """
    clauses: list[str] = []
    args: list[str | int] = []
    for key, value in filters.items():
        if value is None or value == "":
            continue
        if key == "collection":
            clauses.append("d.collection = ?")
        elif key == "document_id":
            clauses.append("d.id = ?")
        elif key == "speaker":
            clauses.append("instr(lower(d.speaker), lower(?)) > 0")
        elif key == "language":
            clauses.append("lower(d.language) = lower(?)")
        elif key == "date_from":
            clauses.append("d.date GLOB '[0-9]*' AND substr(d.date, 1, length(?)) >= ?")
            args.append(value)
        elif key == "date_to":
            clauses.append("d.date GLOB '[0-9]*' AND substr(d.date, 1, length(?)) <= ?")
            args.append(value)
        else:
            raise ValueError(f"unknown search filter: {key}")
        args.append(value)
    return " AND ".join(clauses), args


def _reverse(term: str) -> str:
    return term[::-1]


def _database_size(path: Path) -> int:
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists() and p.is_file())


@asynccontextmanager
async def open_database(path: Path | str) -> AsyncIterator[Database]:
    """Open (creating if needed) the database at ``path``, migrated to the current schema."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = await aiosqlite.connect(path, isolation_level=None)
    try:
        await conn.execute("PRAGMA journal_mode = WAL")
        await conn.execute("PRAGMA synchronous = NORMAL")
        await conn.execute("PRAGMA foreign_keys = ON")
        await conn.execute("PRAGMA busy_timeout = 5000")
        db = Database(conn, path)
        await db.migrate()
        yield db
    finally:
        await conn.close()


# ---- posting (owned by the posting engineer: bot/posting.py and bot/schedule.py use these)
#
# A separate class over the same connection, so that this section stays at the end of
# the module: ``PostingStore(db)``.  Times are ISO 8601 UTC; chat and user ids are
# Telegram's.


@dataclass(frozen=True, slots=True)
class PostTarget:
    """A channel or group that user ``owner_id`` linked as a place to post to."""

    id: int
    owner_id: int
    chat_id: int
    chat_type: str
    title: str
    username: str | None
    added_at: str


@dataclass(frozen=True, slots=True)
class PostSchedule:
    """A daily post to ``chat_id`` at ``minute_of_day`` (0..1439, the bot's timezone).

    ``query`` ``None`` means a random passage; ``collection`` restricts either kind.
    ``creator_id`` is a user, or the group itself (negative) when its anonymous
    administrators made the schedule.
    """

    id: int
    chat_id: int
    chat_type: str
    chat_title: str
    chat_username: str | None
    creator_id: int
    minute_of_day: int
    query: str | None
    collection: str | None
    enabled: bool
    created_at: str
    last_posted_at: str | None
    last_error: str | None


_TARGET_COLUMNS = "id, owner_id, chat_id, chat_type, title, username, added_at"
_SCHEDULE_COLUMNS = (
    "id, chat_id, chat_type, chat_title, chat_username, creator_id, minute_of_day, query, "
    "collection, enabled, created_at, last_posted_at, last_error"
)
_NOT_POSTED = (
    "NOT EXISTS (SELECT 1 FROM posted_paragraphs x WHERE x.chat_id = ? AND x.paragraph_id = p.id)"
)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _schedule_from_row(row: sqlite3.Row | tuple[Any, ...]) -> PostSchedule:
    return PostSchedule(
        id=int(row[0]),
        chat_id=int(row[1]),
        chat_type=str(row[2]),
        chat_title=str(row[3]),
        chat_username=row[4],
        creator_id=int(row[5]),
        minute_of_day=int(row[6]),
        query=row[7],
        collection=row[8],
        enabled=bool(row[9]),
        created_at=str(row[10]),
        last_posted_at=row[11],
        last_error=row[12],
    )


class PostingStore:
    """Post targets, schedules and the posted-paragraph log of one open database."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.conn = db.conn

    # ------------------------------------------------------------------ targets

    async def link_target(
        self, owner_id: int, chat_id: int, chat_type: str, title: str, username: str | None
    ) -> tuple[PostTarget, bool]:
        """Link a chat for ``owner_id`` (or refresh its title); returns (target, newly linked)."""
        async with self.conn.execute(
            "INSERT INTO post_targets (owner_id, chat_id, chat_type, title, username, added_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (owner_id, chat_id) DO NOTHING RETURNING id",
            (owner_id, chat_id, chat_type, title, username, _now()),
        ) as cur:
            created = await cur.fetchone() is not None
        if not created:
            await self.conn.execute(
                "UPDATE post_targets SET chat_type = ?, title = ?, username = ? "
                "WHERE owner_id = ? AND chat_id = ?",
                (chat_type, title, username, owner_id, chat_id),
            )
        target = await self.find_target(owner_id, chat_id)
        assert target is not None
        return target, created

    async def find_target(self, owner_id: int, chat_id: int) -> PostTarget | None:
        """``owner_id``'s link to ``chat_id``, or ``None``."""
        async with self.conn.execute(
            f"SELECT {_TARGET_COLUMNS} FROM post_targets WHERE owner_id = ? AND chat_id = ?",
            (owner_id, chat_id),
        ) as cur:
            row = await cur.fetchone()
        return PostTarget(*row) if row else None

    async def list_targets(self, owner_id: int) -> list[PostTarget]:
        """The chats ``owner_id`` linked, oldest first (the numbers of ``/channel list``)."""
        async with self.conn.execute(
            f"SELECT {_TARGET_COLUMNS} FROM post_targets WHERE owner_id = ? ORDER BY id",
            (owner_id,),
        ) as cur:
            return [PostTarget(*row) for row in await cur.fetchall()]

    async def unlink_target(self, owner_id: int, chat_id: int) -> list[int]:
        """Forget ``owner_id``'s link to ``chat_id`` and their schedules for it; returns the
        ids of the schedules removed."""
        async with self.conn.execute(
            "DELETE FROM post_schedules WHERE creator_id = ? AND chat_id = ? RETURNING id",
            (owner_id, chat_id),
        ) as cur:
            removed = sorted(int(row[0]) for row in await cur.fetchall())
        await self.conn.execute(
            "DELETE FROM post_targets WHERE owner_id = ? AND chat_id = ?", (owner_id, chat_id)
        )
        return removed

    # ------------------------------------------------------------------ schedules

    async def add_schedule(
        self,
        *,
        chat_id: int,
        chat_type: str,
        chat_title: str,
        chat_username: str | None,
        creator_id: int,
        minute_of_day: int,
        query: str | None,
        collection: str | None,
    ) -> PostSchedule:
        """Store a new enabled schedule and return it."""
        async with self.conn.execute(
            "INSERT INTO post_schedules (chat_id, chat_type, chat_title, chat_username, "
            "creator_id, minute_of_day, query, collection, created_at) "
            f"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING {_SCHEDULE_COLUMNS}",
            (
                chat_id,
                chat_type,
                chat_title,
                chat_username,
                creator_id,
                minute_of_day,
                query,
                collection,
                _now(),
            ),
        ) as cur:
            row = await cur.fetchone()
        assert row is not None
        return _schedule_from_row(row)

    async def get_schedule(self, schedule_id: int) -> PostSchedule | None:
        """The schedule ``schedule_id``, or ``None``."""
        async with self.conn.execute(
            f"SELECT {_SCHEDULE_COLUMNS} FROM post_schedules WHERE id = ?", (schedule_id,)
        ) as cur:
            row = await cur.fetchone()
        return _schedule_from_row(row) if row else None

    async def list_schedules(
        self, *, creator_id: int | None = None, chat_id: int | None = None
    ) -> list[PostSchedule]:
        """Schedules made by ``creator_id`` or for ``chat_id`` (either given), by id."""
        column, value = ("creator_id", creator_id) if chat_id is None else ("chat_id", chat_id)
        async with self.conn.execute(
            f"SELECT {_SCHEDULE_COLUMNS} FROM post_schedules WHERE {column} = ? ORDER BY id",
            (value,),
        ) as cur:
            return [_schedule_from_row(row) for row in await cur.fetchall()]

    async def enabled_schedules(self) -> list[PostSchedule]:
        """Every enabled schedule (restored into the job queue at start)."""
        async with self.conn.execute(
            f"SELECT {_SCHEDULE_COLUMNS} FROM post_schedules WHERE enabled = 1 ORDER BY id"
        ) as cur:
            return [_schedule_from_row(row) for row in await cur.fetchall()]

    async def remove_schedule(self, schedule_id: int) -> bool:
        """Delete a schedule; False if there was none."""
        cur = await self.conn.execute("DELETE FROM post_schedules WHERE id = ?", (schedule_id,))
        removed = cur.rowcount
        await cur.close()
        return removed > 0

    async def finish_schedule_run(
        self, schedule_id: int, *, error: str | None = None, disable: bool = False
    ) -> None:
        """Record a run: posted (``error`` None) or why not; ``disable`` switches it off."""
        await self.conn.execute(
            "UPDATE post_schedules SET last_posted_at = CASE WHEN ? IS NULL THEN ? "
            "ELSE last_posted_at END, last_error = ?, enabled = enabled AND NOT ? WHERE id = ?",
            (error, _now(), error, disable, schedule_id),
        )

    async def move_chat(self, old_chat_id: int, new_chat_id: int, chat_type: str) -> None:
        """A group became a supergroup with a new id: its links, schedules and posted log
        follow it.  Each statement leaves consistent rows, so no transaction is needed; a
        link or log row the new id already has wins over the old one."""
        for table in ("post_targets", "posted_paragraphs"):
            await self.conn.execute(
                f"UPDATE OR IGNORE {table} SET chat_id = ? WHERE chat_id = ?",
                (new_chat_id, old_chat_id),
            )
            await self.conn.execute(f"DELETE FROM {table} WHERE chat_id = ?", (old_chat_id,))
        await self.conn.execute(
            "UPDATE post_targets SET chat_type = ? WHERE chat_id = ?", (chat_type, new_chat_id)
        )
        await self.conn.execute(
            "UPDATE post_schedules SET chat_id = ?, chat_type = ? WHERE chat_id = ?",
            (new_chat_id, chat_type, old_chat_id),
        )
        await self.conn.execute(  # made by the group's anonymous administrators
            "UPDATE post_schedules SET creator_id = ? WHERE creator_id = ?",
            (new_chat_id, old_chat_id),
        )

    # ------------------------------------------------------------------ posted paragraphs

    async def record_post(self, chat_id: int, paragraph_id: int, message_id: int | None) -> None:
        """Remember that ``paragraph_id`` was posted to ``chat_id``."""
        await self.conn.execute(
            "INSERT INTO posted_paragraphs (chat_id, paragraph_id, message_id, posted_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (chat_id, paragraph_id) DO UPDATE SET "
            "message_id = excluded.message_id, posted_at = excluded.posted_at",
            (chat_id, paragraph_id, message_id, _now()),
        )

    async def posted_among(self, chat_id: int, paragraph_ids: Sequence[int]) -> set[int]:
        """Which of ``paragraph_ids`` were already posted to ``chat_id``."""
        rows = await _select_in(
            self.conn,
            "SELECT paragraph_id FROM posted_paragraphs WHERE chat_id = ? AND paragraph_id",
            paragraph_ids,
            chat_id,
        )
        return {int(row[0]) for row in rows}

    async def random_unposted_paragraph(
        self, chat_id: int, collection: str | None = None, min_chars: int = 80
    ) -> Paragraph | None:
        """A random paragraph never posted to ``chat_id`` (of ``collection`` if given),
        at least ``min_chars`` long when one is left; ``None`` when all were posted."""
        async with self.conn.execute("SELECT max(id) FROM paragraphs") as cur:
            row = await cur.fetchone()
        if row is None or row[0] is None:
            return None
        start = secrets.randbelow(int(row[0])) + 1
        join = (
            "JOIN documents d ON d.id = p.document_id AND d.collection = ? " if collection else ""
        )
        head = [collection] if collection else []
        select = f"SELECT p.id, p.document_id, p.position, p.text FROM paragraphs p {join}"
        for least in (min_chars, 1):
            for where, bound in (("p.id >= ?", start), ("p.id < ?", start)):
                async with self.conn.execute(
                    f"{select} WHERE {where} AND length(p.text) >= ? AND {_NOT_POSTED} "
                    "ORDER BY p.id LIMIT 1",
                    (*head, bound, least, chat_id),
                ) as cur:
                    found = await cur.fetchone()
                if found:
                    return Paragraph(*found)
        return None


# ---- end posting
