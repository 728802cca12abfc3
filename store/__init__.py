"""Verbatim storage: SQLite schema, ingest of corpora and search. Never imports telegram."""
