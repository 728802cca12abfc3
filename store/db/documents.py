"""Documents: storing them (with their paragraphs and full-text index rows) and reading
their metadata and counts.

:meth:`Documents.insert_documents` writes a batch of parsed documents in one
transaction; paragraphs enter the full-text index in the same transaction
(:meth:`Documents._index_paragraphs`).  Reading paragraphs is :mod:`store.db.paragraphs`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from store.db._sql import Base, _count, _select_in
from store.models import DocumentMeta, ParsedDocument, PartialDate
from store.text.norm import index_text

_DOCUMENT_INSERT_COLUMNS = (
    "title, speaker, date, place, agency, language, collection, origin, source_format, "
    "content_hash, paragraph_count, char_count, ingested_at, url, url_is_index"
)
_DOCUMENT_COLUMNS = (
    "id, title, paragraph_count, collection, speaker, date, place, agency, language, origin, "
    "url, url_is_index"
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
        doc.url,
        int(doc.url_is_index),
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
        url=row[10],
        url_is_index=bool(row[11]),
    )


class Documents(Base):
    """Writing documents and reading their metadata: part of
    :class:`~store.db.database.Database`."""

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
            await self._mark_derived_stale(outcomes, now)
            await self.conn.execute("COMMIT")
        except sqlite3.Error:
            await self.conn.execute("ROLLBACK")
            outcomes = None
        except BaseException:
            await self.conn.execute("ROLLBACK")
            raise
        if outcomes is None:
            await self.conn.execute("BEGIN IMMEDIATE")
            try:
                outcomes = [await self._insert_one(doc, h, now) for doc, h in docs]
                await self._mark_derived_stale(outcomes, now)
                await self.conn.execute("COMMIT")
            except BaseException:
                await self.conn.execute("ROLLBACK")
                raise
        if any(o.status == "new" for o in outcomes):
            self.search_vocab_stale = True
        return outcomes

    async def _mark_derived_stale(self, outcomes: Sequence[InsertOutcome], now: str) -> None:
        """Inside the storing transaction: when it added documents, record that the search
        vocabulary no longer counts every paragraph (cleared by its rebuild)."""
        if any(o.status == "new" for o in outcomes):
            await self.conn.execute(
                "UPDATE derived_state SET stale_since = coalesce(stale_since, ?) "
                "WHERE name = 'search_vocab'",
                (now,),
            )

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
        links: list[tuple[str, int, int]] = []
        for doc, content_hash in docs:
            if content_hash in stored:
                outcomes.append(InsertOutcome(doc.origin, "duplicate", stored[content_hash]))
                if doc.url:
                    links.append((doc.url, int(doc.url_is_index), stored[content_hash]))
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
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                doc_rows,
            )
            await self.conn.executemany(
                "INSERT INTO paragraphs (id, document_id, position, text) VALUES (?, ?, ?, ?)",
                para_rows,
            )
            await self._index_paragraphs([(row[0], row[3]) for row in para_rows])
        await self._add_links(links)
        return outcomes

    async def _add_links(self, links: Sequence[tuple[str, int, int]]) -> None:
        """Give documents stored without a link (before links were kept, or from a source
        without one) the link of the same text found again: ``(url, is_index, id)``."""
        if links:
            await self.conn.executemany(
                "UPDATE documents SET url = ?, url_is_index = ? WHERE id = ? AND url IS NULL",
                links,
            )

    async def _insert_one(self, doc: ParsedDocument, content_hash: str, now: str) -> InsertOutcome:
        stored = await self._stored_hashes([content_hash])
        if content_hash in stored:
            if doc.url:
                await self._add_links([(doc.url, int(doc.url_is_index), stored[content_hash])])
            return InsertOutcome(doc.origin, "duplicate", stored[content_hash])
        await self.conn.execute("SAVEPOINT doc")
        try:
            cur = await self.conn.execute(
                f"INSERT INTO documents ({_DOCUMENT_INSERT_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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

    async def _index_paragraphs(self, rows: Sequence[tuple[int, str]]) -> None:
        """Add ``(paragraph id, displayed text)`` rows to the full-text index.

        The index gets the search-folded text (store.text.norm.fold: full-width digits,
        curly quotes, diacritics, case), so index terms are exactly the query's words,
        and the paragraph's word-pair terms (store.text.norm.index_text).  The rows are
        made one at a time as SQLite takes them: a batch's index text is never all in
        memory at once.
        """
        await self.conn.executemany(
            "INSERT INTO paragraphs_fts (rowid, text) VALUES (?, ?)",
            ((paragraph_id, index_text(text)) for paragraph_id, text in rows),
        )

    async def get_document(self, document_id: int) -> DocumentMeta | None:
        """Return a document's metadata, or ``None`` if there is no such document."""
        async with self.conn.execute(
            f"SELECT {_DOCUMENT_COLUMNS} FROM documents WHERE id = ?", (document_id,)
        ) as cur:
            row = await cur.fetchone()
        return _document_from_row(row) if row else None

    async def get_documents(self, document_ids: Sequence[int]) -> dict[int, DocumentMeta]:
        """Return the documents with these ids that exist, keyed by id."""
        rows = await _select_in(
            self.conn, f"SELECT {_DOCUMENT_COLUMNS} FROM documents WHERE id", document_ids
        )
        return {row[0]: _document_from_row(row) for row in rows}

    async def stored_links(self, urls: Sequence[str]) -> set[str]:
        """Which of ``urls`` are stored as the link of a document (``documents.url``, not
        an index page's link): ingest does not fetch a feed entry's page again."""
        rows = await _select_in(
            self.conn, "SELECT url FROM documents WHERE url_is_index = 0 AND url", urls
        )
        return {str(row[0]) for row in rows}

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
        return await _count(self.conn, f"SELECT count(*) FROM documents {where}", args)

    async def collection_names(self) -> list[str]:
        """The names of the collections that hold documents, sorted (read from the
        collection index: cheap enough to ask for every filtered search)."""
        async with self.conn.execute(
            "SELECT DISTINCT collection FROM documents ORDER BY collection"
        ) as cur:
            return [str(row[0]) for row in await cur.fetchall()]

    async def speaker_counts(self, offset: int = 0, limit: int = 10) -> list[tuple[str, int]]:
        """Speakers with how many documents each, most documents first (then by name)."""
        async with self.conn.execute(
            "SELECT speaker, count(*) AS n FROM documents WHERE coalesce(speaker, '') != '' "
            "GROUP BY speaker ORDER BY n DESC, speaker LIMIT ? OFFSET ?",
            (limit, offset),
        ) as cur:
            return [(str(row[0]), int(row[1])) for row in await cur.fetchall()]

    async def count_speakers(self) -> int:
        """How many different speakers the documents name."""
        return await _count(
            self.conn,
            "SELECT count(DISTINCT speaker) FROM documents WHERE coalesce(speaker, '') != ''",
        )

    async def collection_stats(self) -> list[dict[str, Any]]:
        """Per collection (by name): its ``collection``, ``documents``, ``paragraphs``
        and ``characters``; nothing else is read (for /sources and /stats)."""
        async with self.conn.execute(
            "SELECT collection, count(*), sum(paragraph_count), sum(char_count) "
            "FROM documents GROUP BY collection ORDER BY collection"
        ) as cur:
            rows = await cur.fetchall()
        return [
            {"collection": r[0], "documents": r[1], "paragraphs": r[2], "characters": r[3]}
            for r in rows
        ]

    async def stats(self) -> dict[str, Any]:
        """Counts per collection and overall, plus the schema version and file size."""
        collections = await self.collection_stats()
        return {
            "database": str(self.path),
            "schema_version": await _count(self.conn, "PRAGMA user_version"),
            "documents": sum(c["documents"] for c in collections),
            "paragraphs": sum(c["paragraphs"] for c in collections),
            "characters": sum(c["characters"] for c in collections),
            "collections": collections,
            "size_bytes": _database_size(self.path),
        }


def _database_size(path: Path) -> int:
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists() and p.is_file())
