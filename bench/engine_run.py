"""Run the evaluation queries through the search engine in a process of its own.

A separate process, pinned to one CPU, so latency is single-core and the peak
memory reported is that of searching alone (not of query generation or the
brute-force comparison).  ``python -m bench.engine_run DB QUERIES OUT``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

from store.db import open_database
from store.search.engine import Searcher
from store.text.norm import tokens

TOP_K = 5


def relevant(source: str, text: str) -> bool:
    """A hit is right when its paragraph contains the original span (folded words)."""
    return f" {' '.join(tokens(source))} " in f" {' '.join(tokens(text))} "


async def run(db_path: Path, queries: list[dict[str, Any]]) -> dict[str, Any]:
    """Search every query; per query the rank of the first right hit, hit count, latency."""
    results: list[dict[str, Any]] = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        async with open_database(db_path) as db:
            searcher = Searcher(db, pool)
            for q in queries[:20]:  # warm the page cache and code paths
                await searcher.search(q["text"], limit=TOP_K)
            for q in queries:
                start = time.perf_counter()
                result = await searcher.search(q["text"], limit=TOP_K)
                elapsed = (time.perf_counter() - start) * 1000
                rank = None
                if q["source"] is not None:
                    rank = next(
                        (
                            i
                            for i, h in enumerate(result.hits, 1)
                            if relevant(q["source"], h.paragraph.text)
                        ),
                        None,
                    )
                results.append({"rank": rank, "hits": len(result.hits), "ms": elapsed})
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"results": results, "peak_rss_mb": peak_kb / 1024}


def main(argv: list[str]) -> int:
    """Entry point: ``DB QUERIES_JSON OUT_JSON``."""
    db_path, queries_path, out_path = (Path(a) for a in argv)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    queries = json.loads(queries_path.read_text("utf-8"))
    out_path.write_text(json.dumps(asyncio.run(run(db_path, queries))), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
