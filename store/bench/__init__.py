"""Search quality and speed measurement: scale databases, query generation, evaluation.

``build`` makes the 100k / 1M paragraph databases from the real corpora plus the KJV
(and windows of 2–4 consecutive real paragraphs to reach 1M); ``queries`` generates a
deterministic query set with variants and negatives; ``evaluate`` runs it through the
search engine (and brute-force rapidfuzz) and reports quality and latency.
"""
