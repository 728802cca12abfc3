"""The hand-written evaluation set: its shape, its fixed split, and the search on it.

The set's dev half is the tuning data; this test runs the sample speech's dev items
against a database holding only the sample (no corpora needed) and checks that the
search finds what people remember there and refuses the negatives.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from bench.human import CLASSES, DATA, evaluate_human, load_items, paragraph_key
from bot.cli import main as cli


def test_the_set_is_as_large_as_promised_and_split_once() -> None:
    items = load_items(split="all")
    assert len({i.id for i in items}) == len(items)
    positives = [i for i in items if i.cls != "negative"]
    english = [i for i in positives if i.lang == "en"]
    assert len(english) >= 300
    assert sum(i.cls == "negative" for i in items) >= 100
    assert sum(i.lang == "ko" for i in positives) >= 30
    assert {i.cls for i in items} == set(CLASSES)
    shares = Counter(i.cls for i in english)
    assert min(shares.values()) >= len(english) // 5  # roughly equal shares of the four
    for item in positives:
        assert item.keys and all(re.fullmatch(r"[0-9a-f]{16}", k) for k in item.keys)
    per_half = Counter((i.corpus, i.cls, i.split) for i in items)
    for corpus, cls in {(i.corpus, i.cls) for i in items}:
        dev, test = per_half[(corpus, cls, "dev")], per_half[(corpus, cls, "test")]
        assert abs(dev - test) <= 1, (corpus, cls)
    assert len(load_items(split="dev")) + len(load_items(split="test")) == len(items)


def test_paragraph_keys_ignore_spacing_and_case_only() -> None:
    assert paragraph_key("The  Party\nis strong.") == paragraph_key("the party is STRONG.")
    assert paragraph_key("The party is strong.") != paragraph_key("The party is strong!")


def test_on_the_sample_speech_people_s_recollections_are_found(sample_db: Path) -> None:
    ev = asyncio.run(evaluate_human(sample_db, "dev", [DATA / "dprk_media_en.jsonl"]))
    sample = next(r for r in ev.by_corpus if r["name"] == "sample")
    assert sample["queries"] == 20 and sample["unresolved"] == 0
    assert sample["answer_precision"] == 1.0  # every answer given is the right passage
    assert sample["r_at_1"] >= 0.7
    assert sample["suggestions_hold_right"] >= 0.8  # the rest are offered as "not sure"
    assert ev.negatives["answered"] <= 1


def test_verbatim_eval_human_reports_the_split_asked_for(
    sample_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["eval-human", str(sample_db), "--split", "dev"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"hand-written set, dev half, on {sample_db}\n")
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines()[2:] if line.strip()}
    assert {"fragment", "reword", "keywords", "runon", "sample"} <= set(rows)
    assert rows["sample"][0] == "20" and int(rows["sample"][1]) >= 14  # n, answered
    assert cli.main(["eval-human", str(sample_db), "--split", "dev", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["split"] == "dev"
    sample = next(r for r in report["by_corpus"] if r["name"] == "sample")
    assert sample["queries"] == 20 and sample["answer_precision"] == 1.0
    missing = tmp_path / "nothing.db"
    assert cli.main(["eval-human", str(missing)]) == 3
    assert "no such database" in capsys.readouterr().err and not missing.exists()
