"""``verbatim search``: text and JSON output, filters, exit codes."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

import pytest

from bot.cli import search as cli_search
from bot.cli.common import EXIT_OK, EXIT_USAGE
from bot.settings import load_settings
from store.db import open_database
from store.models import ParsedDocument, PartialDate

PARAGRAPHS = [
    "The colour of the “flag” — red—and blue — was chosen by the people’s committee.",
    "We shall fight on the beaches, we shall fight on the landing grounds.",
]


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="verbatim")
    cli_search.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return int(args.handler(args, load_settings({}, db=args.db)))


@pytest.fixture
def db_path(tmp_path: Path) -> str:
    path = tmp_path / "cli.db"

    async def fill() -> None:
        async with open_database(path) as db:
            doc = ParsedDocument(
                "Flags",
                PARAGRAPHS,
                "flags.txt",
                "text",
                date=PartialDate(2020, 5, 1),
                place="Pyongyang",
                collection="c1",
            )
            await db.insert_documents([(doc, "h")])

    asyncio.run(fill())
    return str(path)


def test_json_output_has_the_contract_fields_and_spans_into_text(
    db_path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(["search", "the color of the flag red and blue", "--db", db_path, "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert len(hits) == 1
    hit = hits[0]
    for key in (
        "paragraph_id",
        "document_id",
        "title",
        "date",
        "place",
        "position",
        "total",
        "text",
        "score",
        "confidence",
        "spans",
    ):
        assert key in hit
    assert (hit["title"], hit["date"], hit["place"]) == ("Flags", "2020-05-01", "Pyongyang")
    assert (hit["position"], hit["total"]) == (1, 2)
    assert hit["text"] == PARAGRAPHS[0] and hit["confidence"] in ("close", "exact")
    assert hit["text"][hit["spans"][0][0] : hit["spans"][0][1]].startswith("The colour of the")


def test_no_match_prints_empty_array_and_exits_zero(
    db_path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = _run(
        ["search", "annual fishing quota for the northern trawler fleet", "--db", db_path, "--json"]
    )
    assert code == EXIT_OK
    assert json.loads(capsys.readouterr().out) == []


def test_text_output_marks_the_match(db_path: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["search", "fight on the beeches", "--db", db_path]) == EXIT_OK
    out = capsys.readouterr().out
    assert "Flags" in out and "¶ 2 of 2" in out and "[fight on the beaches]" in out


def test_filters_and_bad_input(db_path: str, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["search", "fight on the beaches", "--db", db_path, "--json"]
    assert _run([*base, "--collection", "other"]) == EXIT_OK
    assert json.loads(capsys.readouterr().out) == []
    assert _run([*base, "--from", "2020-05", "--to", "2020"]) == EXIT_OK
    assert len(json.loads(capsys.readouterr().out)) == 1
    assert _run([*base, "--from", "May 2020"]) == EXIT_USAGE
    assert "--from must be a date" in capsys.readouterr().err
    assert _run(["search", "*** ()", "--db", db_path]) == EXIT_USAGE
    assert "Type a few words" in capsys.readouterr().err


def test_help_lists_the_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        _run(["search", "--help"])
    out = capsys.readouterr().out
    for option in (
        "--json",
        "--limit",
        "--collection",
        "--document",
        "--speaker",
        "--language",
        "--from",
        "--to",
    ):
        assert option in out
