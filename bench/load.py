"""Load and faults: many users at once against the real ``verbatim run``, with Bot API
failures injected.  Prints numbers; not a test.

    python -m bench.load [--db FILE] [--users 200] [--queries 10] [--fault-rate 0.05]

The database (a copy of ``--db``, else the bundled sample) is searched in-process first
to know each query's right answer (the card's text for a chat message, the first result
for an inline query).  Then ``verbatim run --base-url`` runs as a subprocess against the
fake Bot API of ``bench/fake_telegram.py`` on 127.0.0.1, which injects 429s, 5xx and
timeouts on a share of the bot's calls.  Each simulated user sends its queries one after
another (chat messages and inline queries mixed), waiting for each answer and a short
pause.  Two runs: the users alone, and the same users beside one abusive user who sends
heavy queries as fast as the bot takes them.  Reported per run: answers (exactly one and
correct / wrong / missing / duplicate), p50/p95/max end-to-end latency (push to answer),
the bot's longest event-loop stall (logged by ``bot/telegram/loop_monitor.py`` at
shutdown), the faults injected, and the others' p95 with the abuser over without.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.evaluate import percentile
from bench.fake_telegram import Answer, FaultPlan, FaultyBotApi, FaultyServer

ANSWER_TIMEOUT = 60.0  # seconds a user waits for an answer before counting it missing
HEAVY = " ".join(['"the"'] * 50) + " " + " ".join(f"-w{n}" for n in range(20))


@dataclass(frozen=True)
class Query:
    """One query with its right answer."""

    text: str
    inline: bool
    expected: str  # chat: the card's HTML text; inline: the first result's id


@dataclass
class Outcome:
    """What one run measured."""

    latencies: list[float] = field(default_factory=list)
    right: int = 0
    wrong: int = 0
    missing: int = 0
    duplicates: int = 0
    abuser_sent: int = 0
    abuser_cards: int = 0
    abuser_slow_down: int = 0
    stall_ms: float | None = None
    faults: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


async def _prepare(db: Path, count: int, seed: int) -> list[Query]:
    """Queries drawn from the database's paragraphs, with their right answers."""
    from bot.core.service import VerbatimService
    from bot.core.views import Card, CardPage
    from bot.telegram.render import chat as chat_render
    from bot.telegram.render import inline as inline_render
    from store import SearcherPool, open_database

    rng = random.Random(seed)
    username = FaultyBotApi.bot_username()
    queries: list[Query] = []
    async with open_database(db) as database, SearcherPool.open(db, 2) as pool:
        service = await VerbatimService.create(database, pool)
        attempts = 0
        while len(queries) < count and attempts < count * 20:
            attempts += 1
            paragraph = await database.random_paragraph()
            words = re.findall(r"\w+(?:['’]\w+)*", paragraph.text if paragraph else "")
            if len(words) < 8:
                continue
            size = rng.randint(5, min(10, len(words)))
            start = rng.randint(0, len(words) - size)
            text = " ".join(words[start : start + size]).lower()
            if rng.random() < 0.5:
                inline = await service.search_page(text, offset=0, limit=10)
                if isinstance(inline, CardPage) and inline.cards:
                    first = inline_render.result_id(inline.cards[0].paragraph.id)
                    queries.append(Query(text, True, first))
            else:
                card = await service.search(text)
                if isinstance(card, Card):
                    queries.append(Query(text, False, chat_render.render_card(card, username).text))
    rng.shuffle(queries)
    return queries


def _user(
    api: FaultyBotApi,
    uid: int,
    queries: list[Query],
    think: tuple[float, float],
    out: Outcome,
    lock: threading.Lock,
    seed: int,
) -> None:
    """One user: each query in turn, waiting for its answer, then a pause."""
    rng = random.Random(seed * 1000 + uid)
    fake = api.fake
    time.sleep(rng.uniform(0, think[1]))
    for n, query in enumerate(queries):
        since = len(api.answers)
        if query.inline:
            qid = f"{uid}-{n}"
            payload = {"id": qid, "from": fake.user(uid), "query": query.text, "offset": ""}
            match = _matcher("answerInlineQuery", "inline_query_id", qid)
            sent = time.monotonic()
            fake.push("inline_query", payload)
        else:
            message = fake.message(query.text, chat_id=uid, user_id=uid)
            match = _matcher("sendMessage", "chat_id", uid)
            sent = time.monotonic()
            fake.push("message", message)
        answer, index = api.wait_answer(match, since, ANSWER_TIMEOUT)
        with lock:
            if answer is None:
                out.missing += 1
                continue
            out.latencies.append(answer.at - sent)
            if query.inline:
                results = answer.params.get("results") or [{}]
                good = results[0].get("id") == query.expected
            else:
                good = answer.params.get("text") == query.expected
            out.right += good
            out.wrong += not good
        time.sleep(rng.uniform(*think))
        again, _ = api.wait_answer(match, index + 1, 0)  # a second answer to the same one
        if again is not None:
            with lock:
                out.duplicates += 1


def _matcher(method: str, key: str, value: object) -> Callable[[Answer], bool]:
    def match(answer: Answer) -> bool:
        return answer.method == method and answer.params.get(key) == value

    return match


def _abuser(api: FaultyBotApi, uid: int, rate: float, stop: threading.Event, out: Outcome) -> None:
    while not stop.is_set():
        api.fake.push("message", api.fake.message(HEAVY, chat_id=uid, user_id=uid))
        out.abuser_sent += 1
        stop.wait(1.0 / rate)


def run_once(args: argparse.Namespace, db: Path, queries: list[Query], abuse: bool) -> Outcome:
    """One run of the bot with the users (and maybe the abuser)."""
    work = Path(tempfile.mkdtemp(prefix="verbatim-load-"))
    copy = Path(shutil.copy(db, work / "load.db"))
    faults = FaultPlan(rate=args.fault_rate, seed=args.seed + int(abuse))
    api = FaultyBotApi(faults)
    out = Outcome()
    with FaultyServer(api) as server, (work / "bot.log").open("w") as log:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("VERBATIM_", "TELEGRAM_"))}
        env.update(TELEGRAM_BOT_TOKEN=api.token, VERBATIM_LOG_LEVEL="INFO")
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bot.cli",
                "run",
                "--db",
                str(copy),
                "--base-url",
                server.base_url,
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            api.fake.wait_for("setMyCommands", timeout=60)
            faults.enabled = True
            lock, stop = threading.Lock(), threading.Event()
            per_user = [
                queries[(u * args.queries + i) % len(queries)]
                for u in range(args.users)
                for i in range(args.queries)
            ]
            threads = [
                threading.Thread(
                    target=_user,
                    args=(
                        api,
                        10_000 + u,
                        per_user[u * args.queries : (u + 1) * args.queries],
                        (args.think_min, args.think_max),
                        out,
                        lock,
                        args.seed,
                    ),
                )
                for u in range(args.users)
            ]
            abuser = threading.Thread(target=_abuser, args=(api, 99, args.abuse_rate, stop, out))
            started = time.monotonic()
            if abuse:
                abuser.start()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            out.seconds = time.monotonic() - started
            stop.set()
            if abuse:
                abuser.join()
            faults.enabled = False
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    text = (work / "bot.log").read_text()
    stalls = re.findall(r"event loop: longest stall ([\d.]+) ms since start", text)
    out.stall_ms = float(stalls[-1]) if stalls else None
    for a in api.answers:
        if a.method == "sendMessage" and a.params.get("chat_id") == 99:
            slow = str(a.params.get("text", "")).startswith("Slow down")
            out.abuser_slow_down += slow
            out.abuser_cards += not slow
    out.faults = dict(faults.counts)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"  (kept {work})")
    return out


def report(name: str, out: Outcome, expected: int) -> None:
    """Print one run's numbers."""
    lat = [v * 1000 for v in out.latencies]
    print(f"{name}: {out.seconds:.1f} s, {expected} updates from the users")
    print(
        f"  answers: {out.right} exactly one and correct, {out.wrong} wrong, "
        f"{out.missing} missing, {out.duplicates} duplicate"
    )
    if lat:
        print(
            f"  end to end: p50 {statistics.median(lat):.0f} ms, p95 {percentile(lat, 95):.0f} ms, "
            f"max {max(lat):.0f} ms"
        )
    print(f"  longest event-loop stall: {out.stall_ms} ms")
    print(f"  faults injected: {out.faults or 'none'}")
    if out.abuser_sent:
        print(
            f"  abuser: {out.abuser_sent} heavy queries sent, {out.abuser_cards} answered, "
            f"{out.abuser_slow_down} 'Slow down' notices"
        )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the numbers."""
    p = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n")[0])
    p.add_argument("--db", type=Path, help="database to copy (default: the bundled sample)")
    p.add_argument("--users", type=int, default=200)
    p.add_argument("--queries", type=int, default=10, help="queries per user")
    p.add_argument("--fault-rate", type=float, default=0.05, help="share of calls that fail")
    p.add_argument("--abuse-rate", type=float, default=20.0, help="abuser's messages a second")
    p.add_argument("--think-min", type=float, default=1.0, help="pause after an answer (s)")
    p.add_argument("--think-max", type=float, default=4.0)
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--keep", action="store_true", help="keep the work folders (logs)")
    args = p.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="verbatim-load-db-"))
    db = work / "source.db"
    if args.db:
        shutil.copy(args.db, db)
    else:
        from store import ensure_sample_loaded, open_database

        async def sample() -> None:
            async with open_database(db) as database:
                await ensure_sample_loaded(database)

        asyncio.run(sample())
    queries = asyncio.run(_prepare(db, min(400, args.users * args.queries), args.seed))
    print(f"{len(queries)} distinct queries ({sum(q.inline for q in queries)} inline)")
    expected = args.users * args.queries
    alone = run_once(args, db, queries, abuse=False)
    report("users alone", alone, expected)
    beside = run_once(args, db, queries, abuse=True)
    report("users beside one abusive user", beside, expected)
    if alone.latencies and beside.latencies:
        ratio = percentile(beside.latencies, 95) / percentile(alone.latencies, 95)
        print(f"others' p95 with the abuser / without: {ratio:.2f}")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
