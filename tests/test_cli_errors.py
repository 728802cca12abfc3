"""What the ``verbatim`` command says when the database cannot be used, and how it
stops: a newer schema, a file that is not a Verbatim database, a full disk, a closed
pipe, a second ingest.  Messages, exit codes, never a traceback."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from conftest import REPO, verbatim, verbatim_env
from fake_bot_api import TOKEN, FakeBotApiServer

from bot.cli.common import (
    EXIT_CONFIG,
    EXIT_NOT_FOUND,
    EXIT_PARTIAL_FAILURE,
    database_error_message,
)
from bot.cli.main import main
from store.db.lock import ingest_lock

NEWER = 99


@pytest.fixture
def newer_db(sample_template: Path, tmp_path: Path) -> Path:
    path = Path(shutil.copy(sample_template, tmp_path / "newer.db"))
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {NEWER}")
    return path


@pytest.mark.parametrize(
    "command",
    [
        ["stats"],
        ["stats", "--json"],
        ["search", "people"],
        ["show", "1"],
        ["ingest", "--quiet", "SAMPLE"],
        ["healthcheck"],
        ["backup", "COPY"],
    ],
)
def test_a_newer_schema_is_exit_4_with_upgrade_for_every_command(
    newer_db: Path, tmp_path: Path, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    sample = str(REPO / "store" / "sample")
    args = [
        sample if a == "SAMPLE" else str(tmp_path / "c.db") if a == "COPY" else a for a in command
    ]
    assert main([*args, "--db", str(newer_db)]) == EXIT_CONFIG
    out = capsys.readouterr()
    assert "upgrade verbatim-bot" in out.err + out.out
    assert "Traceback" not in out.err
    assert not (tmp_path / "c.db").exists()
    with sqlite3.connect(newer_db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == NEWER


def test_run_and_chat_on_a_newer_schema_say_upgrade(newer_db: Path, tmp_path: Path) -> None:
    with FakeBotApiServer() as server:
        env = verbatim_env(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_BASE_URL=server.base_url)
        for command in (["run"], ["chat", "--plain"]):
            done = subprocess.run(
                verbatim(*command, "--db", str(newer_db)),
                cwd=REPO,
                env=env,
                input="",
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert done.returncode == EXIT_CONFIG, (command, done.stderr[-2000:])
            assert "upgrade verbatim-bot" in done.stderr
            assert "Traceback" not in done.stderr


def test_another_programs_sqlite_database_is_refused_and_left_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    foreign = tmp_path / "places.sqlite"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE moz_places (url TEXT)")
    before = foreign.read_bytes()
    for command in (["stats"], ["search", "people"], ["ingest", str(REPO / "store" / "sample")]):
        assert main([*command, "--db", str(foreign)]) == EXIT_CONFIG
        err = capsys.readouterr().err
        assert "not a Verbatim database" in err and "moz_places" in err
    assert foreign.read_bytes() == before  # no tables added, not even switched to WAL
    with sqlite3.connect(foreign) as conn:
        names = [row[0] for row in conn.execute("SELECT name FROM sqlite_master")]
    assert names == ["moz_places"]


def test_a_file_that_is_not_sqlite_gets_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    notes = tmp_path / "notes.db"
    notes.write_text("these are my notes\n" * 100, "utf-8")
    assert main(["stats", "--db", str(notes)]) == EXIT_CONFIG
    err = capsys.readouterr().err
    assert f"{notes} is not a Verbatim database (not an SQLite file)" in err
    assert "disk is full" not in err


def test_a_full_disk_is_named_as_such_not_as_a_foreign_file(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "full.db")
    conn.execute("CREATE TABLE t (x)")
    conn.execute("PRAGMA max_page_count = 3")  # SQLite's own "database or disk is full"
    with pytest.raises(sqlite3.OperationalError) as caught:
        for _ in range(10):
            conn.execute("INSERT INTO t VALUES (randomblob(4000))")
    conn.close()
    message = database_error_message(caught.value, tmp_path / "v.db")
    assert message.startswith(f"the disk holding {tmp_path / 'v.db'} is full")
    assert "Verbatim" not in message


def test_a_closed_pipe_stops_quietly(sample_db: Path, tmp_path: Path) -> None:
    """``verbatim stats --json | head -1``: the reader is gone before we write."""
    for command in (["stats", "--json"], ["search", "--json", "people", "party"]):
        proc = subprocess.Popen(
            verbatim(*command, "--db", str(sample_db)),
            cwd=REPO,
            env=verbatim_env(tmp_path),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()  # long before the child has imported anything
        err = proc.stderr.read()
        assert proc.wait(timeout=60) == EXIT_PARTIAL_FAILURE, err
        assert err == ""


def test_an_ingest_while_another_runs_is_told_so(
    sample_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with ingest_lock(sample_db):
        code = main(["ingest", "--quiet", "--db", str(sample_db), str(REPO / "store" / "sample")])
    assert code == EXIT_PARTIAL_FAILURE
    assert "another ingest is writing to" in capsys.readouterr().err


@pytest.mark.parametrize(
    "command", [["search", "people"], ["stats"], ["show", "1"], ["run"], ["chat", "--plain"]]
)
@pytest.mark.parametrize("how", ["flag", "env"])
def test_a_missing_database_named_explicitly_is_exit_3_and_creates_nothing(
    tmp_path: Path, command: list[str], how: str
) -> None:
    missing = tmp_path / "typo" / "deeper" / "verbatim.db"
    extra = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_BASE_URL": "http://127.0.0.1:9"}
    if how == "env":
        extra["VERBATIM_DB"] = str(missing)
        argv = verbatim(*command)
    else:
        argv = verbatim(*command, "--db", str(missing))
    done = subprocess.run(
        argv,
        cwd=REPO,
        env=verbatim_env(tmp_path, **extra),
        input="",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == EXIT_NOT_FOUND, done.stderr[-2000:]
    assert f"no database at {missing}" in done.stderr
    assert done.stderr.count(str(missing)) == 1
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "typo").exists()
    assert not (tmp_path / "xdg").exists()  # nor the default database instead
