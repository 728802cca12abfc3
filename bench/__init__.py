"""Benchmarks: search quality and speed, ingest throughput (outside the runtime path).

Nothing in ``store`` or ``bot`` imports this package when it loads; the ``verbatim``
benchmark commands import it when they run.  ``build`` makes the 100k / 1M paragraph
databases from the real corpora plus the KJV (and windows of 2–4 consecutive real
paragraphs to reach 1M); ``queries`` generates a deterministic query set with variants
and negatives; ``evaluate`` runs it through the search engine (in a single-core child
process, ``engine_run``) and brute-force rapidfuzz and reports quality and latency;
``ingest`` times parse + store over real corpora; ``human`` runs the hand-written
evaluation set (``bench/data/human_eval``).  Run on demand, not tests: ``crash_loop``
kills an ingest again and again and checks nothing was lost; ``load`` runs many users
against the real ``verbatim run`` with Bot API faults injected by ``fake_telegram`` (the
tests' fake Bot API, served); ``cluster_load`` measures one and two replicas behind a
proxy.
"""
