"""Search: find the paragraph a half-remembered quotation comes from.

The path of a query, module by module: :mod:`~store.search.query` parses what was
typed; :mod:`~store.search.terms` looks its words up in the search vocabulary
(misspellings, word pairs); :mod:`~store.search.plan` decides which terms to ask the
full-text index for (pure functions); :mod:`~store.search.engine` (the
:class:`~store.search.engine.Searcher`) runs those plans against the database (in a
large collection first a scan without bm25, :mod:`~store.search.scan`) and has the
candidates scored by :mod:`~store.search.ranking` (rapidfuzz alignment) and
:mod:`~store.search.recall` (rare words in order, other forms; both pure functions);
:mod:`~store.search.answer` decides what is an answer and what only a suggestion;
:mod:`~store.search.hits` assembles the hits shown; :mod:`~store.search.pool` runs
searches side by side on several connections.
"""
