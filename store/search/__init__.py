"""Search: find the paragraph a half-remembered quotation comes from.

The path of a query, module by module: :mod:`~store.search.query` parses what was
typed; :mod:`~store.search.terms` looks its words up in the search vocabulary
(misspellings, word pairs); :mod:`~store.search.plan` decides which terms to ask the
full-text index for (pure functions); :mod:`~store.search.engine` (the
:class:`~store.search.engine.Searcher`) runs those plans against the database and has
the candidates scored by :mod:`~store.search.ranking` (rapidfuzz, pure functions);
:mod:`~store.search.pool` runs searches side by side on several connections.
"""
