"""Crash loop: ``kill -9`` an ingest of all corpora at random points, again and again on
the same database, then check that nothing was lost or left half-done.

Run on demand (``python -m bench.crash_loop``; a few minutes); it prints numbers and a
verdict, it is not a test.  Steps:

1. a clean build: the corpora ingested into a fresh database, timed;
2. ``--kills`` rounds on a second fresh database: ``verbatim ingest`` started (each round
   resumes: what earlier rounds stored are duplicates) and killed with SIGKILL at a random
   point.  So that the kills land where the ingest writes, the point is one of progress:
   in the first rounds, once the database holds a random number of documents (spread
   so that round i of n reaches about i/(n-2) of them), in the last three, a random
   0-1 s into the end phase (index merge, vocabulary rebuild): after the last document
   is stored, or, when every document was already stored, once the process starts
   writing again (more than 1 MB, from /proc/PID/io: a run that only meets duplicates
   writes nothing until it repairs the vocabulary a killed end phase left stale).  A
   round that ends before its point is counted as finished;
3. on the crashed database, before anything opens it as Verbatim: ``PRAGMA
   integrity_check`` and no partial document (``paragraph_count`` = its paragraphs);
4. the next open (``open_database``, as the bot or any command does): the search
   vocabulary is no longer marked stale;
5. one more ``verbatim ingest`` to the end, then the same documents, paragraphs and
   vocabulary as the clean build, and the same first answer for a fixed list of queries
   (every 10th query of the hand-written evaluation set, ``bench/data/human_eval``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from store import Searcher, open_database, read_state
from store.db.health import physical_checks, raw_counts

HUMAN_EVAL = Path(__file__).resolve().parent / "data" / "human_eval"
QUERY_STEP = 10  # every 10th evaluation query


POLL_SECONDS = 0.02
END_PHASE_ROUNDS = 3
END_PHASE_WRITES = 1 << 20  # bytes a run that met only duplicates writes before its end phase


@dataclass(frozen=True, slots=True)
class Round:
    """One ingest run of the loop: where it was to be killed, and what it left."""

    number: int
    point: str  # "at 1,234 documents" or "end +1.2 s"
    killed: bool
    seconds: float
    documents: int
    stale: bool


def ingest_command(db: Path, corpora: Path) -> list[str]:
    """``verbatim ingest`` with this interpreter, quietly, into ``db``."""
    return [sys.executable, "-m", "bot.cli", "ingest", "--quiet", "--db", str(db), str(corpora)]


def clean_build(db: Path, corpora: Path) -> float:
    """Ingest the corpora into a fresh ``db``; return the seconds it took."""
    started = time.perf_counter()
    subprocess.run(ingest_command(db, corpora), check=False, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def crash_round(
    number: int, db: Path, corpora: Path, target: int, after: float | None, limit: float
) -> Round:
    """Start an ingest and SIGKILL it once ``db`` holds ``target`` documents, plus
    ``after`` seconds when that is given (the end phase), unless it ended first."""
    started = time.perf_counter()
    complete_at_start = raw_counts(db)[0] >= target
    proc = subprocess.Popen(
        ingest_command(db, corpora), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    reached: float | None = None
    while proc.poll() is None and time.perf_counter() - started < limit:
        time.sleep(POLL_SECONDS)
        if reached is None and raw_counts(db)[0] >= target:
            writing = not complete_at_start or written(proc.pid) > END_PHASE_WRITES
            if after is None or writing:
                reached = time.perf_counter()
        if reached is not None and time.perf_counter() - reached >= (after or 0.0):
            break
    killed = proc.poll() is None
    if killed:
        os.kill(proc.pid, signal.SIGKILL)  # only the process started here
    proc.wait()
    seconds = time.perf_counter() - started
    documents, _, _ = raw_counts(db)
    stale = db.exists() and read_state(db).search_vocab_stale_since is not None
    point = f"end +{after:.1f} s" if after is not None else f"at {target:,} documents"
    return Round(number, point, killed, seconds, documents, stale)


def written(pid: int) -> int:
    """Bytes the process ``pid`` has written so far (Linux ``/proc/PID/io``, ``wchar``);
    a large number when that cannot be read, so that the caller goes on."""
    try:
        for line in Path(f"/proc/{pid}/io").read_text().splitlines():
            if line.startswith("wchar:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 1 << 62


async def stale_after_open(db: Path) -> str | None:
    """Open ``db`` as every command does (repairing derived data); then its stale mark."""
    async with open_database(db) as database:
        return await database.search_vocab_stale_since()


def fixed_queries() -> list[str]:
    """Every ``QUERY_STEP``-th query of the hand-written evaluation set, in file order."""
    queries: list[str] = []
    for path in sorted(HUMAN_EVAL.glob("*.jsonl")):
        lines = [line for line in path.read_text("utf-8").splitlines() if line.strip()]
        queries += [str(json.loads(line)["query"]) for line in lines[::QUERY_STEP]]
    return queries


Answer = tuple[str, int] | None  # (document origin, paragraph position) of the first hit


async def first_answers(db: Path, queries: list[str]) -> list[Answer]:
    """The first hit of each query, by where it is (ids may differ between builds)."""
    out: list[Answer] = []
    async with open_database(db) as database:
        searcher = Searcher(database)
        for query in queries:
            hits = (await searcher.search(query, limit=1)).hits
            first = hits[0] if hits else None
            out.append((str(first.document.origin), first.position) if first else None)
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the loop and print the table; exit 0 when every check holds, 1 if not."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.crash_loop",
        description="kill -9 an ingest of all corpora at random points, N times on one "
        "database, then check integrity, whole documents, the search vocabulary and the "
        "first answers against a clean build. Prints numbers; takes a few minutes.",
    )
    parser.add_argument("--corpora", type=Path, default=Path("../shared/corpora"))
    parser.add_argument("--kills", type=int, default=20, metavar="N", help="rounds (20)")
    parser.add_argument("--seed", type=int, default=1, help="random delays (1)")
    parser.add_argument("--work", type=Path, help="keep the databases in this folder")
    args = parser.parse_args(argv)
    if not args.corpora.is_dir():
        print(f"crash_loop: no corpora folder at {args.corpora}", file=sys.stderr)
        return 3
    with tempfile.TemporaryDirectory(prefix="verbatim-crash-") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        return run(args.corpora, work, args.kills, random.Random(args.seed))


def run(corpora: Path, work: Path, kills: int, rng: random.Random) -> int:
    """The loop itself (see the module docstring); prints as it goes."""
    clean, crashed = work / "clean.db", work / "crashed.db"
    for stale_file in (clean, crashed):
        if stale_file.exists():
            print(f"crash_loop: {stale_file} exists; give an empty --work", file=sys.stderr)
            return 2
    print(f"clean build of {corpora} ...", flush=True)
    seconds = clean_build(clean, corpora)
    clean_counts = raw_counts(clean)
    print(f"clean build: {seconds:.1f} s, {clean_counts[0]:,} documents, "
          f"{clean_counts[1]:,} paragraphs, {clean_counts[2]:,} words\n")  # fmt: skip
    print(f"{'round':>5}  {'kill point':<22}  {'outcome':>8}  {'after':>7}  "
          f"{'documents':>9}  stale mark")  # fmt: skip
    rounds: list[Round] = []
    total = clean_counts[0]
    writing = max(kills - END_PHASE_ROUNDS, 1)
    for number in range(1, kills + 1):
        if number <= writing:
            share = (number - 1 + rng.uniform(0.2, 1.0)) / (writing + 1)
            target, after = max(1, int(total * share)), None
        else:
            target, after = total, rng.uniform(0.0, 1.0)
        r = crash_round(number, crashed, corpora, target, after, limit=5 * seconds + 30)
        rounds.append(r)
        outcome = "killed" if r.killed else "finished"
        print(f"{r.number:>5}  {r.point:<22}  {outcome:>8}  {r.seconds:>6.1f}s  "
              f"{r.documents:>9,}  {'yes' if r.stale else 'no'}", flush=True)  # fmt: skip
    integrity, partial = physical_checks(crashed)
    stale = asyncio.run(stale_after_open(crashed))
    subprocess.run(ingest_command(crashed, corpora), check=False, stdout=subprocess.DEVNULL)
    crashed_counts = raw_counts(crashed)
    queries = fixed_queries()
    want = asyncio.run(first_answers(clean, queries))
    got = asyncio.run(first_answers(crashed, queries))
    same = sum(a == b for a, b in zip(want, got, strict=True))
    checks = [
        ("rounds killed / finished first", f"{sum(r.killed for r in rounds)} / "
         f"{sum(not r.killed for r in rounds)}", True),
        ("rounds that left the stale mark", str(sum(r.stale for r in rounds)), True),
        ("integrity_check after the kills", integrity, integrity == "ok"),
        ("partial documents", str(partial), partial == 0),
        ("vocabulary stale after the next open", str(stale is not None).lower(), stale is None),
        ("documents: crashed+resumed / clean", f"{crashed_counts[0]:,} / {clean_counts[0]:,}",
         crashed_counts[0] == clean_counts[0]),
        ("paragraphs", f"{crashed_counts[1]:,} / {clean_counts[1]:,}",
         crashed_counts[1] == clean_counts[1]),
        ("vocabulary words", f"{crashed_counts[2]:,} / {clean_counts[2]:,}",
         crashed_counts[2] == clean_counts[2]),
        ("same first answer", f"{same} of {len(queries)} queries", same == len(queries)),
    ]  # fmt: skip
    print()
    width = max(len(name) for name, _, _ in checks)
    for name, value, ok in checks:
        print(f"{name:<{width}}  {value:<24}  {'ok' if ok else 'FAILED'}")
    failed = [name for name, _, ok in checks if not ok]
    print("\nverdict: " + ("all checks hold" if not failed else "FAILED: " + ", ".join(failed)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
