"""Verbatim's storage and search: the SQLite database, ingest of corpora, search.

Never imports ``telegram`` or ``bot``.  The names exported here are the public API;
where the rest lives:

- :mod:`store.models` — the plain data types that flow between the parts.
- :mod:`store.parsers` — one module per corpus format (add a format there).
- :mod:`store.ingest` — files → parsers → content hash → database.
- :mod:`store.text` — cleaning text for display, folding it for search.
- :mod:`store.db` — every SQL statement: schema and migrations, documents, paragraphs,
  the full-text index and vocabulary, the bot's state, posting, backups, the corpus
  snapshots replicas read (:mod:`store.db.snapshot`); the shared state in PostgreSQL
  (:mod:`store.db.pg`).
- :mod:`store.state` — the bot's shared state behind one interface: the SQLite file's,
  or PostgreSQL's for several replicas.
- :mod:`store.search` — query parsing, vocabulary lookups, retrieval planning, ranking
  (scoring happens in :mod:`store.search.ranking`) and the :class:`Searcher`.
"""

from store.db import (
    MIGRATIONS,
    Database,
    InsertOutcome,
    PostingStore,
    PostSchedule,
    PostTarget,
    Watch,
    WatchClaim,
    WatchStore,
    open_database,
)
from store.db.backup import (
    BackupError,
    BackupResult,
    BackupTargetError,
    backup_database,
    integrity_problems,
    schema_version,
)
from store.db.health import DatabaseState, read_state, search_vocab_line
from store.db.lock import IngestRunning
from store.db.schema import NewerSchemaError, NotVerbatimDatabase, OlderSchemaError
from store.db.snapshot import (
    SnapshotError,
    SnapshotIdentity,
    SnapshotIdsChanged,
    SnapshotResult,
    publish_snapshot,
    snapshot_identity,
    snapshot_path,
)
from store.ingest import (
    IngestSummary,
    content_hash,
    ensure_sample_loaded,
    expand_paths,
    ingest_paths,
    sample_path,
)
from store.models import (
    Confidence,
    DocumentMeta,
    Hit,
    Paragraph,
    ParsedDocument,
    ParseError,
    PartialDate,
    RecordError,
)
from store.parsers import FORMATS, detect_format, parse_file
from store.search.engine import Searcher, SearchFilters, SearchResult
from store.search.pool import QuoteSearch, SearcherPool
from store.search.query import ParsedQuery, parse_query
from store.search.ranking import match_spans
from store.text.clean import scrub_surrogates

__all__ = [
    "FORMATS",
    "MIGRATIONS",
    "BackupError",
    "BackupResult",
    "BackupTargetError",
    "Confidence",
    "Database",
    "DatabaseState",
    "DocumentMeta",
    "Hit",
    "IngestRunning",
    "IngestSummary",
    "InsertOutcome",
    "NewerSchemaError",
    "NotVerbatimDatabase",
    "OlderSchemaError",
    "Paragraph",
    "ParseError",
    "ParsedDocument",
    "ParsedQuery",
    "PartialDate",
    "PostSchedule",
    "PostTarget",
    "PostingStore",
    "QuoteSearch",
    "RecordError",
    "SearchFilters",
    "SearchResult",
    "Searcher",
    "SearcherPool",
    "SnapshotError",
    "SnapshotIdentity",
    "SnapshotIdsChanged",
    "SnapshotResult",
    "Watch",
    "WatchClaim",
    "WatchStore",
    "backup_database",
    "content_hash",
    "detect_format",
    "ensure_sample_loaded",
    "expand_paths",
    "ingest_paths",
    "integrity_problems",
    "match_spans",
    "open_database",
    "parse_file",
    "parse_query",
    "publish_snapshot",
    "read_state",
    "sample_path",
    "schema_version",
    "scrub_surrogates",
    "search_vocab_line",
    "snapshot_identity",
    "snapshot_path",
]
