"""Reading paragraphs: by id, by position in their document, at random, in bulk for
search (filtered scans, candidate texts) and for the benchmarks.

Paragraphs are written with their documents (:mod:`store.db.documents`).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator, Collection, Sequence

from store.db._sql import Base, _count, _filter_sql, _select_in
from store.models import Paragraph


class Paragraphs(Base):
    """Paragraph reads: part of :class:`~store.db.database.Database`."""

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

    async def random_paragraph_excluding(
        self, excluded: Collection[int], collection: str | None = None, min_chars: int = 80
    ) -> Paragraph | None:
        """A random paragraph whose id is not in ``excluded`` (of ``collection`` if given),
        at least ``min_chars`` long when one is left; ``None`` when none is left.  The
        posting schedules' pick: ``excluded`` are the paragraphs a chat already received,
        read from the shared state (which may be another database)."""
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
        skip = json.dumps(sorted(excluded))  # one parameter, however many
        for least in (min_chars, 1):
            for where, bound in (("p.id >= ?", start), ("p.id < ?", start)):
                async with self.conn.execute(
                    f"{select} WHERE {where} AND length(p.text) >= ? "
                    "AND p.id NOT IN (SELECT value FROM json_each(?)) ORDER BY p.id LIMIT 1",
                    (*head, bound, least, skip),
                ) as cur:
                    found = await cur.fetchone()
                if found:
                    return Paragraph(*found)
        return None

    async def document_openings(self, limit: int) -> list[int]:
        """The first substantial paragraph (120 characters or more) of each document, the
        latest documents first: ``limit`` of them (the empty inline query's list after the
        most chosen passages)."""
        async with self.conn.execute(
            "SELECT pid FROM (SELECT d.date AS date, d.id AS did, (SELECT p.id "
            "FROM paragraphs p WHERE p.document_id = d.id AND length(p.text) >= 120 "
            "ORDER BY p.position LIMIT 1) AS pid FROM documents d) "
            "WHERE pid IS NOT NULL ORDER BY date DESC, did DESC LIMIT ?",
            (limit,),
        ) as cur:
            return [int(row[0]) for row in await cur.fetchall()]

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

    async def paragraph_id_span(self) -> int:
        """The largest paragraph id: a quick upper estimate of how many paragraphs exist."""
        return await _count(self.conn, "SELECT max(id) FROM paragraphs")

    async def has_paragraphs(self) -> bool:
        """True when at least one paragraph is stored."""
        async with self.conn.execute("SELECT 1 FROM paragraphs LIMIT 1") as cur:
            return await cur.fetchone() is not None

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
