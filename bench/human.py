"""The hand-written evaluation: queries written the way people half-remember a passage.

The set lives in ``bench/data/human_eval/*.jsonl`` (see its README): positives of four
classes (``fragment``, ``reword``, ``keywords``, ``runon``; some with typos), each naming
its paragraph by :func:`paragraph_key` (a hash, so no corpus text is in the repository
beyond the queries), and on-domain ``negative`` sentences that no paragraph holds.  It
was split once into a ``dev`` half (tune on it) and a ``test`` half (report only).

:func:`evaluate_human` resolves every expected paragraph in a database, runs each
query through the engine (with suggestions) and counts, per class and per corpus:
answers, answers whose first hit is right, suggestions that hold the right passage
when no answer is given, and answered negatives (false accepts).
"""

from __future__ import annotations

import hashlib
import json
import statistics
import time
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from store import Searcher, open_database
from store.text.norm import joined_words

DATA = Path(__file__).parent / "data" / "human_eval"
SPLITS = ("dev", "test", "all")
CLASSES = ("fragment", "reword", "keywords", "runon", "negative")


def paragraph_key(text: str) -> str:
    """The stable name of a paragraph in the evaluation files: the first 16 hex digits
    of the SHA-1 of its NFC text, whitespace collapsed, case folded."""
    norm = " ".join(unicodedata.normalize("NFC", text).split()).casefold()
    return hashlib.sha1(norm.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Item:
    """One evaluation query."""

    id: str
    corpus: str
    cls: str
    query: str
    split: str
    lang: str
    typos: bool
    keys: frozenset[str]  # paragraph keys that count as right (empty for negatives)


def load_items(paths: Iterable[Path] | None = None, split: str = "test") -> list[Item]:
    """The items of ``split`` (``dev``, ``test`` or ``all``) from the JSONL files."""
    items: list[Item] = []
    for path in sorted(paths or DATA.glob("*.jsonl")):
        for line in path.read_text("utf-8").splitlines():
            if not line.strip():
                continue
            raw = json.loads(line)
            if split != "all" and raw["split"] != split:
                continue
            keys = (
                frozenset([raw["para_sha"], *raw.get("also_sha", [])])
                if "para_sha" in raw
                else frozenset()
            )
            items.append(
                Item(
                    raw["id"],
                    raw["corpus"],
                    raw["class"],
                    raw["query"],
                    raw["split"],
                    raw.get("lang", "en"),
                    bool(raw.get("typos")),
                    keys,
                )
            )
    return items


@dataclass
class Tally:
    """Counts for one class (or corpus, or all positives)."""

    queries: int = 0
    answered: int = 0
    right_first: int = 0  # answered, and the first answer is right
    suggested: int = 0  # not answered, suggestions shown
    right_suggested: int = 0  # ... and one of them is right
    unresolved: int = 0  # positives whose paragraph is not in this database (skipped)
    ms: list[float] = field(default_factory=list)

    def row(self, name: str) -> dict[str, Any]:
        """The printed and JSON form."""
        unanswered = self.queries - self.answered
        return {
            "name": name,
            "queries": self.queries,
            "answered": self.answered,
            "r_at_1": _ratio(self.right_first, self.queries),
            "answer_precision": _ratio(self.right_first, self.answered),
            "suggested": self.suggested,
            "suggestions_hold_right": _ratio(self.right_suggested, unanswered),
            "false_accepts": _ratio(self.answered, self.queries),
            "p50_ms": round(statistics.median(self.ms), 1) if self.ms else None,
            "unresolved": self.unresolved,
        }


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 3) if b else None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the engine did with one item."""

    item: Item
    answered: bool
    right_first: bool
    suggested: bool
    right_suggested: bool
    ms: float


async def resolve(db_path: Path, wanted: set[str]) -> dict[str, str]:
    """The ``wanted`` paragraph keys found in the database at ``db_path``, each with its
    paragraph's folded words."""
    found: dict[str, str] = {}
    async with open_database(db_path) as db:
        async for batch in db.iter_paragraph_texts():
            for _, text in batch:
                key = paragraph_key(text)
                if key in wanted:
                    found[key] = joined_words(text)
    return found


def is_right(item: Item, text: str, expected: dict[str, str]) -> bool:
    """Whether a hit's paragraph ``text`` is right for ``item``: it is the expected
    paragraph, or holds it whole (a scale database's windows of consecutive paragraphs
    count as right, as in the generated evaluation)."""
    if paragraph_key(text) in item.keys:
        return True
    joined = f" {joined_words(text)} "
    return any(f" {expected[k]} " in joined for k in item.keys if k in expected)


async def run_items(
    db_path: Path, items: Sequence[Item], expected: dict[str, str]
) -> list[Outcome]:
    """Search every item in the database at ``db_path`` (one connection, as the CLI
    does); ``expected``: see :func:`resolve`."""
    outcomes: list[Outcome] = []
    async with open_database(db_path) as db:
        searcher = Searcher(db)
        for item in items:
            start = time.perf_counter()
            result = await searcher.search(item.query, limit=5)
            ms = (time.perf_counter() - start) * 1000
            answer = [h.paragraph.text for h in result.hits]
            offered = [h.paragraph.text for h in result.suggestions]
            outcomes.append(
                Outcome(
                    item,
                    bool(answer),
                    bool(answer) and is_right(item, answer[0], expected),
                    bool(offered),
                    any(is_right(item, t, expected) for t in offered),
                    ms,
                )
            )
    return outcomes


@dataclass
class HumanEvaluation:
    """The report: rows per class, per corpus and in all."""

    database: str
    split: str
    by_class: list[dict[str, Any]]
    by_corpus: list[dict[str, Any]]
    positives: dict[str, Any]
    negatives: dict[str, Any]
    misses: list[dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


async def evaluate_human(
    db_path: Path, split: str = "test", paths: Iterable[Path] | None = None
) -> HumanEvaluation:
    """Run the hand-written set (one ``split``) against the database at ``db_path``.

    Positives whose paragraph is not in the database (a scale database holds out some
    speeches) are counted as ``unresolved`` and not searched."""
    items = load_items(paths, split)
    expected = await resolve(db_path, {k for i in items for k in i.keys})
    present = [i for i in items if i.cls == "negative" or any(k in expected for k in i.keys)]
    outcomes = await run_items(db_path, present, expected)
    classes: dict[str, Tally] = defaultdict(Tally)
    corpora: dict[str, Tally] = defaultdict(Tally)
    positives, negatives = Tally(), Tally()
    for item in items:
        if item not in present:
            for t in (classes[item.cls], corpora[item.corpus], positives):
                t.unresolved += 1
    misses: list[dict[str, Any]] = []
    for o in outcomes:
        if o.item.cls == "negative":
            tallies = [negatives]
        else:
            tallies = [classes[o.item.cls], corpora[o.item.corpus], positives]
        for t in tallies:
            t.queries += 1
            t.answered += o.answered
            t.right_first += o.right_first
            t.suggested += o.suggested and not o.answered
            t.right_suggested += o.right_suggested and not o.answered
            t.ms.append(o.ms)
        wrong = o.answered if o.item.cls == "negative" else not o.right_first
        if wrong:
            misses.append(
                {
                    "id": o.item.id,
                    "class": o.item.cls,
                    "answered": o.answered,
                    "suggested_right": o.right_suggested,
                    "query": o.item.query,
                }
            )
    by_class = [classes[c].row(c) for c in CLASSES if c in classes and c != "negative"]
    return HumanEvaluation(
        str(db_path),
        split,
        by_class,
        [corpora[c].row(c) for c in sorted(corpora)],
        positives.row("all positive"),
        negatives.row("negative"),
        misses,
    )


def format_human(ev: HumanEvaluation) -> str:
    """The report as a table: positives per class, in all and per corpus (R@1 over all
    positives; precision of the answers given; how often the right passage is among
    the suggestions when no answer is given), then the negatives' false accepts."""

    def fmt(v: float | None) -> str:
        return "-" if v is None else f"{v:.3f}"

    lines = [
        f"hand-written set, {ev.split} half, on {ev.database}",
        f"{'':34} {'n':>4} {'answered':>8} {'R@1':>6} {'precision':>9} "
        f"{'sugg.right':>10} {'p50 ms':>7} {'absent':>6}",
    ]
    for row in [*ev.by_class, ev.positives, *ev.by_corpus]:
        lines.append(
            f"{row['name']:34} {row['queries']:>4} {row['answered']:>8} "
            f"{fmt(row['r_at_1']):>6} {fmt(row['answer_precision']):>9} "
            f"{fmt(row['suggestions_hold_right']):>10} {row['p50_ms'] or '-':>7} "
            f"{row['unresolved']:>6}"
        )
    neg = ev.negatives
    lines.append(
        f"negatives: {neg['queries']}, answered (false accepts) {neg['answered']} "
        f"= {fmt(neg['false_accepts'])}"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m bench.human DB [--split dev|test|all] [--json]``."""
    import argparse
    import asyncio

    parser = argparse.ArgumentParser(prog="python -m bench.human", description=__doc__)
    parser.add_argument("db", type=Path)
    parser.add_argument("--split", choices=SPLITS, default="test")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    ev = asyncio.run(evaluate_human(args.db, args.split))
    print(json.dumps(ev.as_json(), indent=1) if args.json else format_human(ev))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
