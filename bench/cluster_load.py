"""Cluster load: updates/s and latency of one and of two bot replicas behind a proxy, on
this machine.  Prints numbers; not a test.

    python -m bench.cluster_load [--db FILE] [--users 100] [--queries 10] [--replicas 1 2]

The database (a copy of ``--db``, else the bundled sample) is published as a corpus
snapshot (``verbatim publish-snapshot``), and each query's right answer is found
in-process first (as ``bench/load.py`` does).  Then, for each replica count, the tests'
cluster harness (``tests/cluster_harness.py``: run from a clone) starts that many
``verbatim run --snapshot … --webhook-url …`` replicas behind nginx (or the Python
round-robin proxy where nginx is absent), and the fake Bot API delivers the users'
updates by webhook, as Telegram does (at most ``--connections`` requests open at once,
one user's updates in order; a replica answers once the update is handled).  Each
simulated user sends its queries one after another (chat messages and inline queries
mixed), each as soon as the previous one is answered.  Reported side by side: updates/s,
p50/p95/max latency (push to answer), answers right / wrong / missing / duplicate, and
the CPU seconds each part used (the replicas, the proxy, this process: the fake Bot API,
its webhook delivery and the users), to say what limits the rate.  ``--state-url`` gives
the replicas a shared state in PostgreSQL (else they store nothing: see
``bot/telegram/replica.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.evaluate import percentile
from bench.fake_telegram import fake_bot_api
from bench.load import Query, _prepare
from store import ensure_sample_loaded, open_database, publish_snapshot

HANDLED = re.compile(r"bot\.updates: update \d+ [^:]*: ([\d.]+) ms")
CHAT_LIMIT = 30.0  # messages/s the bot's rate limiter allows (Telegram's, per process)
ANSWER_TIMEOUT = 120.0  # seconds a user waits for an answer before counting it missing
ANSWERS = frozenset({"sendMessage", "answerInlineQuery"})
TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cluster_harness() -> Any:
    """The tests' ``cluster_harness`` module (``tests/`` must be beside ``bench/``)."""
    fake_bot_api()  # puts tests/ on the path, or says why it cannot
    return importlib.import_module("cluster_harness")


@dataclass
class Run:
    """What one run measured."""

    replicas: int
    proxy: str = ""
    updates: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    right: int = 0
    wrong: int = 0
    missing: int = 0
    duplicates: int = 0
    cpu_replicas: list[float] = field(default_factory=list)
    cpu_proxy: float = 0.0
    cpu_harness: float = 0.0
    cpu_machine: float = 0.0  # every process of the machine (PostgreSQL, other jobs too)
    failed_deliveries: int = 0
    handling: list[float] = field(default_factory=list)  # in a replica, from its log (s)
    chat_answers: int = 0  # answers to chat messages (sendMessage)

    def rate(self) -> float:
        """Updates answered per second of the run."""
        return (self.right + self.wrong) / self.seconds if self.seconds else 0.0


class Answers:
    """The bot's answers as the fake Bot API receives them, with their arrival times."""

    def __init__(self, fake: Any) -> None:
        self._cond = threading.Condition()
        self._found: dict[tuple[str, object], list[tuple[float, dict[str, Any]]]] = {}
        handle: Callable[..., Any] = fake.handle

        def recording(token: str, method: str, params: dict[str, Any]) -> Any:
            result = handle(token, method, params)
            if method in ANSWERS:
                key = (
                    params.get("chat_id")
                    if method == "sendMessage"
                    else params.get("inline_query_id")
                )
                with self._cond:
                    self._found.setdefault((method, key), []).append((time.monotonic(), params))
                    self._cond.notify_all()
            return result

        fake.handle = recording

    def wait(
        self, method: str, key: object, count: int, timeout: float
    ) -> tuple[float, dict[str, Any]] | None:
        """The ``count``-th answer (1-based) for ``(method, key)``, waiting up to ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self._found.get((method, key), [])) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)
            return self._found[(method, key)][count - 1]

    def count(self, method: str, key: object) -> int:
        """How many answers ``(method, key)`` got."""
        with self._cond:
            return len(self._found.get((method, key), []))


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has been busy (all cores, /proc/stat; 0 elsewhere)."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0.0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / TICKS


def children(pid: int) -> list[int]:
    """The child processes of ``pid`` (nginx's workers)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


def _user(
    cluster: Any, answers: Answers, uid: int, queries: list[Query], out: Run, lock: threading.Lock
) -> None:
    fake = cluster.fake
    sent_chat = 0
    key: object
    for n, query in enumerate(queries):
        if query.inline:
            qid = f"{uid}-{n}"
            method, key, count = "answerInlineQuery", qid, 1
            payload = {"id": qid, "from": fake.user(uid), "query": query.text, "offset": ""}
            started = time.monotonic()
            fake.push("inline_query", payload)
        else:
            sent_chat += 1
            method, key, count = "sendMessage", uid, sent_chat
            started = time.monotonic()
            fake.push("message", fake.message(query.text, chat_id=uid, user_id=uid))
        found = answers.wait(method, key, count, ANSWER_TIMEOUT)
        with lock:
            if found is None:
                out.missing += 1
                continue
            at, params = found
            out.latencies.append(at - started)
            if query.inline:
                good = (params.get("results") or [{}])[0].get("id") == query.expected
            else:
                good = params.get("text") == query.expected
                out.chat_answers += 1
            out.right += good
            out.wrong += not good


def run_cluster(
    args: argparse.Namespace, snapshot: Path, queries: list[Query], replicas: int
) -> Run:
    """One run with ``replicas`` replicas."""
    harness = cluster_harness()
    work = Path(tempfile.mkdtemp(prefix=f"verbatim-cluster-{replicas}-"))
    out = Run(replicas)
    cluster = harness.Cluster(
        snapshot,
        work,
        replicas=replicas,
        proxy=args.proxy,
        max_connections=args.connections,
        env={  # one log line per update, with its handling time
            "VERBATIM_LOG_LEVEL": "INFO",
            **({"VERBATIM_STATE_URL": args.state_url} if args.state_url else {}),
        },
    )
    with cluster:
        out.proxy = cluster.proxy_kind
        answers = Answers(cluster.fake)
        per_user = [
            [queries[(u * args.queries + i) % len(queries)] for i in range(args.queries)]
            for u in range(args.users)
        ]
        pids = [r.proc.pid for r in cluster.replicas]
        proxy_pids = (
            [] if cluster.nginx is None else [cluster.nginx.pid, *children(cluster.nginx.pid)]
        )
        cpu_before = [cpu_seconds(p) for p in pids]
        proxy_before = sum(cpu_seconds(p) for p in proxy_pids)
        harness_before = time.process_time()
        machine_before = machine_busy_seconds()
        lock = threading.Lock()
        threads = [
            threading.Thread(target=_user, args=(cluster, answers, 20_000 + u, qs, out, lock))
            for u, qs in enumerate(per_user)
        ]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        out.seconds = time.monotonic() - started
        out.cpu_replicas = [cpu_seconds(p) - b for p, b in zip(pids, cpu_before, strict=True)]
        out.cpu_proxy = sum(cpu_seconds(p) for p in proxy_pids) - proxy_before
        out.cpu_harness = time.process_time() - harness_before
        out.cpu_machine = machine_busy_seconds() - machine_before
        out.updates = args.users * args.queries
        time.sleep(0.5)  # a late second answer to the last updates counts as a duplicate
        for u, qs in enumerate(per_user):
            uid = 20_000 + u
            chats = sum(not q.inline for q in qs)
            out.duplicates += max(0, answers.count("sendMessage", uid) - chats)
            for n, q in enumerate(qs):
                if q.inline:
                    out.duplicates += max(0, answers.count("answerInlineQuery", f"{uid}-{n}") - 1)
        assert cluster.delivery is not None
        out.failed_deliveries = len(cluster.delivery.failed_attempts())
    for replica in cluster.replicas:
        found = HANDLED.findall(replica.log.read_text(errors="replace"))
        out.handling += [float(ms) / 1000 for ms in found]
    if args.keep:
        print(f"  (kept {work})")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return out


def own(run: Run) -> float:
    """CPU seconds of the run's own processes (replicas, proxy, harness)."""
    return sum(run.cpu_replicas) + run.cpu_proxy + run.cpu_harness


def report(runs: list[Run]) -> None:
    """The runs side by side, then what limits the rate."""
    cores = os.cpu_count() or 1
    rows: list[tuple[str, list[str]]] = [
        ("proxy", [r.proxy for r in runs]),
        ("updates", [str(r.updates) for r in runs]),
        ("seconds", [f"{r.seconds:.1f}" for r in runs]),
        ("updates/s", [f"{r.rate():.1f}" for r in runs]),
        ("p50 ms", [f"{statistics.median(r.latencies) * 1000:.0f}" for r in runs]),
        ("p95 ms", [f"{percentile(r.latencies, 95) * 1000:.0f}" for r in runs]),
        ("max ms", [f"{max(r.latencies) * 1000:.0f}" for r in runs]),
        ("in a replica p50 ms", [f"{percentile(r.handling, 50) * 1000:.0f}" for r in runs]),
        ("in a replica p95 ms", [f"{percentile(r.handling, 95) * 1000:.0f}" for r in runs]),
        ("chat answers/s", [f"{r.chat_answers / r.seconds:.1f}" for r in runs]),
        ("right / wrong", [f"{r.right} / {r.wrong}" for r in runs]),
        ("missing / dup", [f"{r.missing} / {r.duplicates}" for r in runs]),
        ("failed deliveries", [str(r.failed_deliveries) for r in runs]),
        ("CPU s per replica", [" ".join(f"{c:.1f}" for c in r.cpu_replicas) for r in runs]),
        ("CPU s proxy", [f"{r.cpu_proxy:.1f}" for r in runs]),
        ("CPU s harness", [f"{r.cpu_harness:.1f}" for r in runs]),
        ("CPU s all else", [f"{max(0.0, r.cpu_machine - own(r)):.1f}" for r in runs]),
        (
            "CPU ms per update",
            [f"{(sum(r.cpu_replicas)) * 1000 / max(1, r.right + r.wrong):.1f}" for r in runs],
        ),
        (
            f"machine busy ({cores} cores)",
            [f"{r.cpu_machine / (r.seconds * cores):.0%}" for r in runs],
        ),
    ]
    header = ["replicas", *[str(r.replicas) for r in runs]]
    width = max(len(name) for name, _ in rows) + 2
    print(header[0].ljust(width) + "".join(h.rjust(14) for h in header[1:]))
    for name, values in rows:
        print(name.ljust(width) + "".join(v.rjust(14) for v in values))
    print()
    for r in runs:
        busy = r.cpu_machine / (r.seconds * cores)
        others = max(0.0, r.cpu_machine - own(r)) / r.seconds
        per = ", ".join(f"{c / r.seconds:.0%}" for c in r.cpu_replicas)
        notes = []
        if r.chat_answers / r.seconds / r.replicas >= 0.9 * CHAT_LIMIT:
            notes.append(
                f"chat answers held at {CHAT_LIMIT:.0f} messages/s per replica (each keeps "
                "Telegram's limit on its own: N replicas may send N times as many, which "
                "Telegram may refuse with 429)"
            )
        if busy > 0.85:
            notes.append("CPU-bound: the replicas, the harness and the rest share the cores")
        print(
            f"{r.replicas} replica(s): each replica used {per} of a core, the harness (fake "
            f"Bot API, delivery, users) {r.cpu_harness / r.seconds:.0%}, everything else "
            f"(PostgreSQL, other jobs) {others:.0%}; the machine was {busy:.0%} busy"
            + "".join(f"; {n}" for n in notes)
        )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the numbers."""
    p = argparse.ArgumentParser(
        prog="python -m bench.cluster_load", description=(__doc__ or "").split("\n")[0]
    )
    p.add_argument("--db", type=Path, help="database to publish (default: the bundled sample)")
    p.add_argument("--users", type=int, default=100)
    p.add_argument("--queries", type=int, default=10, help="queries per user")
    p.add_argument("--replicas", type=int, nargs="+", default=[1, 2])
    p.add_argument(
        "--connections", type=int, default=40, help="webhook requests open at once (Telegram: 40)"
    )
    p.add_argument(
        "--kind",
        choices=("mixed", "inline", "chat"),
        default="mixed",
        help="the updates: chat messages and inline queries mixed, or only one kind (inline "
        "answers are not held back by the replicas' 30 messages/s limit, chat answers are)",
    )
    p.add_argument("--proxy", choices=("auto", "nginx", "python"), default="auto")
    p.add_argument(
        "--state-url",
        metavar="URL",
        help="the replicas' shared state (VERBATIM_STATE_URL, postgresql://…; default: none, "
        "the snapshot: searches are not stored)",
    )
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--keep", action="store_true", help="keep the work folders (logs)")
    args = p.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="verbatim-cluster-db-"))
    try:
        primary = work / "primary.db"
        if args.db:
            shutil.copy(args.db, primary)
        else:

            async def sample() -> None:
                async with open_database(primary) as database:
                    await ensure_sample_loaded(database)

            asyncio.run(sample())
        published = publish_snapshot(primary, work / "snap")
        print(published.line())
        # the right answers, found on the primary (opening the snapshot writable would change it)
        queries = asyncio.run(_prepare(primary, min(400, args.users * args.queries), args.seed))
        if args.kind != "mixed":
            queries = [q for q in queries if q.inline == (args.kind == "inline")]
        print(
            f"{len(queries)} distinct queries ({sum(q.inline for q in queries)} inline), "
            f"{args.users} users x {args.queries} queries, {args.connections} webhook "
            f"connections, {os.cpu_count()} cores"
        )
        runs = [run_cluster(args, published.path, queries, n) for n in args.replicas]
        report(runs)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
