"""Benchmark of the whole inline handler path: update in, answerInlineQuery payload out.

The bot's Application is built exactly as ``verbatim run`` builds it (handlers, rate
limiter, service over the database), with the Bot API replaced by an in-process
:class:`CaptureRequest`.  Each sample is one ``inline_query`` update as a JSON dict
(as getUpdates delivers it): the clock starts before ``Update.de_json`` and stops
when the answerInlineQuery request body (JSON, the bytes that would go over HTTP)
has been built.  Queries are real text of the database (5–15 word spans of random
paragraphs, exact, with typos, a word dropped, words swapped), the same seed giving
the same queries.

Scenarios: ``first page`` (typed queries), ``next page`` (the offset a client sends
back), ``empty query`` (the default list, after some results were chosen), and
``typing`` (each query typed word by word, a prefix every ``typing_gap`` ms from one
user: how long after the last keystroke the answer comes, and how many prefixes were
answered rather than superseded).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.request import RequestData

from bench.queries import add_typos, sample_span, variants_of
from bot.core.service import VerbatimService
from bot.telegram.app import AnyApplication, build_application, running
from bot.telegram.bot_data import bot_data_of
from bot.telegram.inprocess_request import InProcessRequest

TOKEN = "1000001:InlineBenchTokenNotReal_0123456789abc"
BOT_USERNAME = "verbatim_bench_bot"
VARIANTS = ("exact", "typo", "drop_word", "swap_words")
BENCH_USER = 4242


class CaptureRequest(InProcessRequest):
    """Answers the Bot API in-process; notes when each inline query's answer is sent."""

    def __init__(self) -> None:
        self.answers: dict[str, tuple[float, int, dict[str, Any]]] = {}

    async def answer(self, method: str, request_data: RequestData | None, url: str) -> Any:
        """getMe gets the bot, answerInlineQuery is captured, anything else is ``True``."""
        if method == "getMe":
            return {
                "id": 1000001,
                "is_bot": True,
                "first_name": "Bench",
                "username": BOT_USERNAME,
                "supports_inline_queries": True,
            }
        if method == "answerInlineQuery" and request_data is not None:
            body = request_data.json_payload  # what would be posted to Telegram
            stamp = time.perf_counter()
            params = request_data.json_parameters
            self.answers[params["inline_query_id"]] = (stamp, len(body), params)
        return True


@dataclass
class Scenario:
    """Latencies (ms) and answer sizes (bytes) of one scenario."""

    name: str
    ms: list[float] = field(default_factory=list)
    hits: list[int] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    note: str = ""

    def summary(self) -> dict[str, Any]:
        """n, p50, p95, max (ms) and the mean answer size (KiB)."""
        if not self.ms:
            return {"scenario": self.name, "n": 0, "note": self.note}
        ordered = sorted(self.ms)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        return {
            "scenario": self.name,
            "n": len(ordered),
            "p50_ms": round(statistics.median(ordered), 2),
            "p95_ms": round(p95, 2),
            "max_ms": round(ordered[-1], 2),
            "answer_kib": round(statistics.mean(self.sizes) / 1024, 1) if self.sizes else None,
            "note": self.note,
        }


class InlineBench:
    """Feeds inline updates to an Application and times their answers."""

    def __init__(self, app: AnyApplication, capture: CaptureRequest) -> None:
        self.app = app
        self.capture = capture
        self._ids = 0

    def update(self, query: str, offset: str = "", user_id: int = BENCH_USER) -> dict[str, Any]:
        """An inline_query update as getUpdates would deliver it."""
        self._ids += 1
        user = {"id": user_id, "is_bot": False, "first_name": "Bench", "language_code": "en"}
        payload = {"id": f"b{self._ids}", "from": user, "query": query, "offset": offset}
        return {"update_id": self._ids, "inline_query": payload | {"chat_type": "supergroup"}}

    async def one(self, query: str, offset: str = "") -> tuple[float, int, dict[str, Any]]:
        """Process one inline query; (ms from update to answer, answer bytes, answer)."""
        data = self.update(query, offset)
        start = time.perf_counter()
        await self.app.process_update(Update.de_json(data, self.app.bot))
        stamp, size, params = self.capture.answers.pop(data["inline_query"]["id"])
        return (stamp - start) * 1000, size, params

    async def choose(self, result_id: str) -> None:
        """A chosen_inline_result update (feeds the empty-query list)."""
        self._ids += 1
        user = {"id": BENCH_USER, "is_bot": False, "first_name": "Bench"}
        chosen = {"result_id": result_id, "from": user, "query": "", "inline_message_id": "x"}
        update = {"update_id": self._ids, "chosen_inline_result": chosen}
        await self.app.process_update(Update.de_json(update, self.app.bot))

    async def typing(self, text: str, gap_ms: float) -> tuple[float, int, int]:
        """Type ``text`` word by word, a prefix every ``gap_ms``; (ms from the last
        keystroke to its answer, prefixes sent, answers sent)."""
        words = text.split()
        prefixes = [" ".join(words[: n + 1]) for n in range(len(words))]
        tasks, ids = [], []
        last_start = 0.0
        for prefix in prefixes:
            data = self.update(prefix)
            ids.append(data["inline_query"]["id"])
            last_start = time.perf_counter()
            update = Update.de_json(data, self.app.bot)
            tasks.append(asyncio.create_task(self.app.process_update(update)))
            await asyncio.sleep(gap_ms / 1000)
        await asyncio.gather(*tasks)
        answered = [i for i in ids if i in self.capture.answers]
        final = self.capture.answers.get(ids[-1])
        for i in answered:
            self.capture.answers.pop(i)
        elapsed = (final[0] - last_start) * 1000 if final else float("nan")
        return elapsed, len(prefixes), len(answered)


async def make_queries(service: VerbatimService, count: int, seed: int) -> list[str]:
    """``count`` queries from random paragraphs of the database (deterministic per seed)."""
    rng = random.Random(seed)
    top = await service.db.paragraph_id_span()
    queries: list[str] = []
    for _ in range(count * 50):
        if len(queries) >= count or top == 0:
            break
        found = await service.db.get_paragraphs([rng.randint(1, top)])
        span = sample_span(rng, next(iter(found.values())).text) if found else None
        if span is None:
            continue
        variant = VARIANTS[len(queries) % len(VARIANTS)]
        text = add_typos(rng, span, 2) if variant == "typo" else variants_of(rng, span)[variant]
        queries.append(text[:256])
    return queries


def pin_to_one_core() -> str:
    """Run this process (and the threads it starts later) on one CPU; returns a note."""
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity here)"
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return f"pinned to CPU {cpu}"


async def run_bench(
    db_path: Path, *, queries: int = 200, seed: int = 11, warmup: int = 20, typing_gap: float = 40
) -> dict[str, Any]:
    """Run every scenario over the database at ``db_path``; a JSON-ready report."""
    bot_log = logging.getLogger("bot")
    level = bot_log.level
    bot_log.setLevel(logging.WARNING)  # no per-update INFO lines while timing
    try:
        return await _run(db_path, queries, seed, warmup, typing_gap)
    finally:
        bot_log.setLevel(level)


async def _run(
    db_path: Path, queries: int, seed: int, warmup: int, typing_gap: float
) -> dict[str, Any]:
    capture = CaptureRequest()
    app = build_application(TOKEN, db_path, request=capture, get_updates_request=capture)
    async with running(app):
        service = bot_data_of(app.bot_data).service
        bench = InlineBench(app, capture)
        texts = await make_queries(service, queries + warmup, seed)
        for text in texts[:warmup]:  # page cache, code paths, the vocabulary check
            await bench.one(text)
        first, nxt = Scenario("first page"), Scenario("next page")
        empty, reused = Scenario("empty, new"), Scenario("empty, reused")
        typed = Scenario("typing")
        chosen: list[str] = []
        for text in texts[warmup:]:
            ms, size, params = await bench.one(text)
            first.ms.append(ms)
            first.sizes.append(size)
            results = json.loads(params["results"]) if isinstance(params["results"], str) else []
            if results and results[0]["id"].startswith("p") and len(chosen) < 30:
                chosen.append(results[0]["id"])
            if params.get("next_offset"):
                ms, size, _ = await bench.one(text, str(params["next_offset"]))
                nxt.ms.append(ms)
                nxt.sizes.append(size)
        for n in range(max(20, queries // 10)):
            await bench.choose(chosen[n % len(chosen)] if chosen else "none")  # a new list
            for scenario in (empty, reused):
                ms, size, params = await bench.one("", "" if n % 2 == 0 else "10")
                scenario.ms.append(ms)
                scenario.sizes.append(size)
        prefixes = answered = 0
        for text in texts[warmup : warmup + max(10, queries // 10)]:
            ms, sent, got = await bench.typing(text, typing_gap)
            typed.ms.append(ms)
            prefixes, answered = prefixes + sent, answered + got
        typed.note = f"{answered} of {prefixes} prefixes answered, the rest superseded"
        stats = await service.stats()
    scenarios = [first, nxt, empty, reused, typed]
    return {
        "database": str(db_path),
        "paragraphs": stats.paragraphs,
        "documents": stats.documents,
        "queries": len(texts) - warmup,
        "scenarios": [s.summary() for s in scenarios],
    }


def format_report(report: dict[str, Any]) -> str:
    """The report as a small table."""
    lines = [
        f"inline handler path, update -> answerInlineQuery payload: {report['database']}",
        f"{report['paragraphs']:,} paragraphs, {report['documents']:,} documents, "
        f"{report['queries']} queries; {report.get('cpu', '')}",
        f"{'scenario':<12} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'KiB':>6}",
    ]
    for s in report["scenarios"]:
        if not s["n"]:
            lines.append(f"{s['scenario']:<12} {0:>5}")
            continue
        lines.append(
            f"{s['scenario']:<12} {s['n']:>5} {s['p50_ms']:>8.1f} {s['p95_ms']:>8.1f} "
            f"{s['max_ms']:>8.1f} {s['answer_kib'] or '-':>6}  {s['note']}".rstrip()
        )
    return "\n".join(lines)
