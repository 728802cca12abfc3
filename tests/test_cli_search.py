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
        "also_in",
    ):
        assert key in hit
    assert hit["also_in"] == [] and "suggestion" not in hit
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
    # the flags are read and checked as the filters of a chat query are
    assert _run([*base, "--collection", "other"]) == EXIT_USAGE
    out, err = capsys.readouterr()
    assert json.loads(out) == [] and "in:other: no such collection; there are c1" in err
    assert _run([*base, "--from", "2020-05", "--to", "2020"]) == EXIT_OK
    assert len(json.loads(capsys.readouterr().out)) == 1
    assert _run([*base, "--from", "May 2020"]) == EXIT_USAGE
    assert "--from and --to take a date like 2012" in capsys.readouterr().err
    assert _run([*base, "--from", "2020-13"]) == EXIT_USAGE
    assert "there is no month 13" in capsys.readouterr().err
    assert _run([*base, "--from", "2021", "--to", "2020"]) == EXIT_USAGE
    assert "to:2020 is earlier than from:2021" in capsys.readouterr().err
    # filters typed in the query apply too, as in /q
    assert _run(["search", "fight on the beaches from:2021", "--db", db_path, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert _run(["search", "fight on the beaches in:c1", "--db", db_path, "--json"]) == 0
    assert [h["collection"] for h in json.loads(capsys.readouterr().out)] == ["c1"]
    # a flag is never read as part of the query: an unclosed quote there cannot swallow
    # it, a quote in a flag's value cannot split it
    assert _run(["search", 'fight "on the beaches', "--db", db_path, "--from", "2021"]) == 0
    assert "No paragraph matches" in capsys.readouterr().out  # from:2021 still applies
    assert _run([*base, "--speaker", 'Ann "Nan" Lee']) == EXIT_OK
    assert json.loads(capsys.readouterr().out) == []  # no such speaker: nothing
    assert _run([*base, "--collection", "c1 other"]) == EXIT_USAGE
    assert "no such collection" in capsys.readouterr().err
    assert _run(["search", "beaches in:c1", "--db", db_path, "--collection", "c1"]) == 2
    assert "in: is given twice" in capsys.readouterr().err
    assert _run(["search", "*** ()", "--db", db_path]) == EXIT_USAGE
    assert "Type a few words" in capsys.readouterr().err


def test_help_lists_the_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        _run(["search", "--help"])
    out = capsys.readouterr().out
    for option in (
        "--json",
        "--suggest",
        "--limit",
        "--collection",
        "--document",
        "--speaker",
        "--language",
        "--from",
        "--to",
    ):
        assert option in out


# ---------------------------------------------------------------------- tiers

NOT_SURE_QUERY = "mother heart servant people"  # ¶ 10 of the sample, reworded: no answer


def test_suggestions_only_with_suggest_and_marked(
    sample_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(sample_db)
    assert _run(["search", NOT_SURE_QUERY, "--db", db]) == EXIT_OK
    out, err = capsys.readouterr()
    assert out == "No paragraph matches closely enough.\n"  # answers only
    assert "--suggest shows them" in err
    assert _run(["search", NOT_SURE_QUERY, "--db", db, "--json"]) == EXIT_OK
    assert json.loads(capsys.readouterr().out) == []

    assert _run(["search", NOT_SURE_QUERY, "--db", db, "--suggest"]) == EXIT_OK
    out = capsys.readouterr().out
    head, first, *rest = out.split("\n\n")
    assert head == cli_search.NOT_SURE
    assert first.split("\n")[0].startswith("1. not sure (suggestion) | ")  # no score shown
    assert "¶ 10 of 32" in first and "[heart]" in first and "[mother]" in first
    assert len(rest) <= 2

    assert _run(["search", NOT_SURE_QUERY, "--db", db, "--suggest", "--json"]) == EXIT_OK
    hits = json.loads(capsys.readouterr().out)
    assert 1 <= len(hits) <= 3 and all(h["suggestion"] is True for h in hits)
    assert hits[0]["position"] == 10

    answer = "servent the peple with the heart of a mothr"
    assert _run(["search", answer, "--db", db, "--suggest", "--json"]) == EXIT_OK
    hits = json.loads(capsys.readouterr().out)
    assert hits and all(h["suggestion"] is False for h in hits) and hits[0]["position"] == 10
    assert _run(["search", answer, "--db", db, "--json"]) == EXIT_OK
    assert all("suggestion" not in h for h in json.loads(capsys.readouterr().out))


def test_one_answer_per_text_lists_the_other_documents(
    db_path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    async def add_reprint() -> None:
        async with open_database(db_path) as db:
            doc = ParsedDocument(
                "Reprint",
                ["An introduction of our own.", PARAGRAPHS[1]],
                "reprint.txt",
                "text",
                date=PartialDate(2021, 6, 2),
                collection="c2",
            )
            await db.insert_documents([(doc, "h2")])
            await db.after_bulk_load()

    asyncio.run(add_reprint())
    assert _run(["search", "fight on the beeches", "--db", db_path, "--json"]) == EXIT_OK
    hits = json.loads(capsys.readouterr().out)
    assert len(hits) == 1  # the same text twice is one answer
    (other,) = hits[0]["also_in"]
    assert {hits[0]["title"], other["title"]} == {"Flags", "Reprint"}
    assert set(other) == {"document_id", "title", "date", "collection"}
    assert other["date"] == ("2021-06-02" if other["title"] == "Reprint" else "2020-05-01")
    assert _run(["search", "fight on the beeches", "--db", db_path]) == EXIT_OK
    out = capsys.readouterr().out
    date = "2 June 2021" if other["title"] == "Reprint" else "1 May 2020"
    assert f"\n   Also in: {other['title']} ({date})" in out


@pytest.mark.parametrize(
    "option",
    [
        ["--limit", str(2**63)],
        ["--limit", "0"],
        ["--limit", "1000000"],
        ["--limit", "-1"],
        ["--document", str(2**63)],
        ["--document", "99999999999999999999999"],
    ],
)
def test_absurd_numbers_are_usage_errors(
    db_path: str, option: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        _run(["search", "fight on the beaches", "--db", db_path, *option])
    assert exit_.value.code == EXIT_USAGE
    err = capsys.readouterr().err
    assert f"argument {option[0]}: must be " in err and "Traceback" not in err
