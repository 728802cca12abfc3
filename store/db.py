"""The SQLite store: connection set-up, numbered migrations and every SQL statement.

All SQL of the project lives in this module.  The schema is created and upgraded by
the numbered migrations in ``MIGRATIONS``; ``PRAGMA user_version`` records how many
have been applied.  Connections use WAL journaling and enforce foreign keys.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite

from store.models import DocumentMeta, Paragraph, ParsedDocument, PartialDate

# Each entry is one migration, applied in order inside a transaction; never edit one
# that has shipped: append a new one instead.
MIGRATIONS: tuple[str, ...] = (
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
    # 2: full-text index over paragraphs (rowid = paragraphs.id)
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


class Database:
    """An open Verbatim database; create it with :func:`open_database`."""

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path

    # ------------------------------------------------------------------ schema

    async def migrate(self) -> int:
        """Apply pending migrations; return the schema version now in force."""
        async with self.conn.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        version = int(row[0]) if row else 0
        if version > len(MIGRATIONS):
            raise RuntimeError(
                f"database {self.path} has schema version {version}, newer than this "
                f"program knows ({len(MIGRATIONS)}): upgrade verbatim-bot"
            )
        for number in range(version + 1, len(MIGRATIONS) + 1):
            script = MIGRATIONS[number - 1]
            await self.conn.executescript(
                f"BEGIN;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;"
            )
        return len(MIGRATIONS)

    # ------------------------------------------------------------------ writes

    async def insert_documents(
        self, docs: Sequence[tuple[ParsedDocument, str]]
    ) -> list[InsertOutcome]:
        """Store ``(document, content_hash)`` pairs in one transaction.

        Each document is written under its own savepoint, so one that fails leaves
        no trace while the others are kept.  A document whose hash is already stored
        is reported as a duplicate and not written again.
        """
        outcomes: list[InsertOutcome] = []
        now = datetime.now(UTC).isoformat(timespec="seconds")
        await self.conn.execute("BEGIN")
        try:
            for doc, content_hash in docs:
                outcomes.append(await self._insert_one(doc, content_hash, now))
            await self.conn.execute("COMMIT")
        except BaseException:
            await self.conn.execute("ROLLBACK")
            raise
        return outcomes

    async def _insert_one(self, doc: ParsedDocument, content_hash: str, now: str) -> InsertOutcome:
        async with self.conn.execute(
            "SELECT id FROM documents WHERE content_hash = ?", (content_hash,)
        ) as cur:
            existing = await cur.fetchone()
        if existing is not None:
            return InsertOutcome(doc.origin, "duplicate", int(existing[0]))
        await self.conn.execute("SAVEPOINT doc")
        try:
            cur = await self.conn.execute(
                "INSERT INTO documents (title, speaker, date, place, agency, language, "
                "collection, origin, source_format, content_hash, paragraph_count, char_count, "
                "ingested_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
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
                ),
            )
            document_id = cur.lastrowid
            assert document_id is not None
            await cur.close()
            rows = [(document_id, n, text) for n, text in enumerate(doc.paragraphs, start=1)]
            await self.conn.executemany(
                "INSERT INTO paragraphs (document_id, position, text) VALUES (?, ?, ?)", rows
            )
            await self._index_document(document_id)
            await self.conn.execute("RELEASE doc")
        except sqlite3.Error as exc:
            await self.conn.execute("ROLLBACK TO doc")
            await self.conn.execute("RELEASE doc")
            return InsertOutcome(doc.origin, "failed", reason=f"database error: {exc}")
        return InsertOutcome(doc.origin, "new", document_id)

    async def after_bulk_load(self) -> None:
        """Tidy indexes after an ingest run added documents (merges FTS segments)."""
        await self.conn.execute("INSERT INTO paragraphs_fts (paragraphs_fts) VALUES ('optimize')")
        await self.conn.execute("PRAGMA optimize")

    async def _index_document(self, document_id: int) -> None:
        await self.conn.execute(
            "INSERT INTO paragraphs_fts (rowid, text) "
            "SELECT id, text FROM paragraphs WHERE document_id = ?",
            (document_id,),
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
        if not paragraph_ids:
            return {}
        marks = ",".join("?" * len(paragraph_ids))
        async with self.conn.execute(
            f"SELECT id, document_id, position, text FROM paragraphs WHERE id IN ({marks})",
            tuple(paragraph_ids),
        ) as cur:
            rows = await cur.fetchall()
        return {row[0]: Paragraph(*row) for row in rows}

    async def get_documents(self, document_ids: Sequence[int]) -> dict[int, DocumentMeta]:
        """Return the documents with these ids that exist, keyed by id."""
        if not document_ids:
            return {}
        ids = tuple(set(document_ids))
        marks = ",".join("?" * len(ids))
        async with self.conn.execute(
            f"SELECT {_DOCUMENT_COLUMNS} FROM documents WHERE id IN ({marks})", ids
        ) as cur:
            rows = await cur.fetchall()
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
        for query in (
            "SELECT id, document_id, position, text FROM paragraphs "
            "WHERE id >= abs(random()) % ? + 1 AND length(text) >= ? ORDER BY id LIMIT 1",
            "SELECT id, document_id, position, text FROM paragraphs "
            "WHERE length(text) >= ? - ? ORDER BY random() LIMIT 1",
        ):
            async with self.conn.execute(query, (row[0], min_chars)) as cur:
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

    async def count_documents(self, collection: str | None = None) -> int:
        """How many documents are stored (in one collection, if given)."""
        where, args = ("WHERE collection = ?", (collection,)) if collection else ("", ())
        async with self.conn.execute(f"SELECT count(*) FROM documents {where}", args) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def stats(self) -> dict[str, Any]:
        """Counts per collection and overall, plus the schema version and file size."""
        async with self.conn.execute(
            "SELECT collection, count(*), sum(paragraph_count), sum(char_count) "
            "FROM documents GROUP BY collection ORDER BY collection"
        ) as cur:
            rows = await cur.fetchall()
        async with self.conn.execute("PRAGMA user_version") as cur:
            version_row = await cur.fetchone()
        collections = [
            {"collection": r[0], "documents": r[1], "paragraphs": r[2], "characters": r[3]}
            for r in rows
        ]
        return {
            "database": str(self.path),
            "schema_version": int(version_row[0]) if version_row else 0,
            "documents": sum(c["documents"] for c in collections),
            "paragraphs": sum(c["paragraphs"] for c in collections),
            "characters": sum(c["characters"] for c in collections),
            "collections": collections,
            "size_bytes": _database_size(self.path),
        }

    # ---- bot (owned by the bot engineer: bot/service.py uses these)

    async def bot_epoch(self) -> str:
        """This database's epoch: six hex digits chosen when the schema was created."""
        async with self.conn.execute("SELECT value FROM bot_meta WHERE key = 'epoch'") as cur:
            row = await cur.fetchone()
        return str(row[0]) if row else ""

    async def remember_query(self, text: str) -> int:
        """Store a search query (or refresh it) and return its id, for buttons to refer to."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        async with self.conn.execute(
            "INSERT INTO bot_queries (text, last_used) VALUES (?, ?) "
            "ON CONFLICT (text) DO UPDATE SET last_used = excluded.last_used RETURNING id",
            (text, now),
        ) as cur:
            row = await cur.fetchone()
        assert row is not None
        return int(row[0])

    async def get_query(self, query_id: int) -> str | None:
        """The query text stored under ``query_id``, or ``None``."""
        async with self.conn.execute(
            "SELECT text FROM bot_queries WHERE id = ?", (query_id,)
        ) as cur:
            row = await cur.fetchone()
        return str(row[0]) if row else None

    # ---- end bot


def _database_size(path: Path) -> int:
    return sum(
        p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists() and p.is_file()
    )


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
