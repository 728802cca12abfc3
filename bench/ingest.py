"""Ingest benchmark: throughput of parse + store over real corpora into a fresh database.

Run on demand (``verbatim bench-ingest ../shared/corpora``); it prints numbers and asserts
nothing.  Reported: wall time, paragraphs/s, MB/s of input, CPU seconds of the process
(to tell whether more than one core was used), database size, and the time of the
parse stage alone measured in a separate pass.
"""

from __future__ import annotations

import resource
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from store.db import open_database
from store.ingest import expand_paths, ingest_paths
from store.models import ParseError, RecordError
from store.parsers import parse_file


@dataclass(frozen=True, slots=True)
class IngestBenchmark:
    """Numbers from one benchmark run."""

    documents: int
    paragraphs: int
    input_bytes: int
    seconds: float
    cpu_seconds: float
    parse_seconds: float
    db_bytes: int
    peak_rss_mb: float

    def lines(self) -> list[str]:
        """The report, one line per figure."""
        return [
            f"documents stored     {self.documents:>12,}",
            f"paragraphs stored    {self.paragraphs:>12,}",
            f"input                {self.input_bytes / 1e6:>12.1f} MB",
            f"wall time            {self.seconds:>12.2f} s",
            f"CPU time             {self.cpu_seconds:>12.2f} s",
            f"paragraphs/s (wall)  {self.paragraphs / self.seconds:>12,.0f}",
            f"paragraphs/s (CPU)   {self.paragraphs / max(self.cpu_seconds, 1e-9):>12,.0f}",
            f"MB/s (wall)          {self.input_bytes / 1e6 / self.seconds:>12.2f}",
            f"parse stage alone    {self.parse_seconds:>12.2f} s",
            f"database size        {self.db_bytes / 1e6:>12.1f} MB",
            f"peak RSS             {self.peak_rss_mb:>12.0f} MB",
        ]


def _parse_only(paths: Sequence[str]) -> float:
    files, _ = expand_paths(paths)
    start = time.perf_counter()
    for item in files:
        try:
            for parsed in parse_file(item.path):
                if isinstance(parsed, RecordError):
                    continue
        except (ParseError, OSError):
            continue
    return time.perf_counter() - start


async def run_ingest_benchmark(
    paths: Sequence[str], db_path: Path | None = None, progress: bool = True
) -> IngestBenchmark:
    """Ingest ``paths`` into ``db_path`` (default: a new temporary file) and time it."""
    with tempfile.TemporaryDirectory(prefix="verbatim-bench-") as tmp:
        target = db_path or Path(tmp) / "bench.db"
        cpu0 = time.process_time()
        start = time.perf_counter()
        async with open_database(target) as db:
            summary = await ingest_paths(db, paths, progress=progress)
            await db.checkpoint()
        seconds = time.perf_counter() - start
        cpu = time.process_time() - cpu0
        db_bytes = target.stat().st_size
    parse_seconds = _parse_only(paths)
    return IngestBenchmark(
        documents=summary.new,
        paragraphs=summary.new_paragraphs,
        input_bytes=summary.bytes_read,
        seconds=seconds,
        cpu_seconds=cpu,
        parse_seconds=parse_seconds,
        db_bytes=db_bytes,
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    )
