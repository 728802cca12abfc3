"""`verbatim backup`: consistent copies of a database that is being written to."""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from bot.cli import ops as cli_ops
from bot.settings import load_settings
from store.db import open_database
from store.db.backup import BackupError, BackupTargetError, backup_database, integrity_problems
from store.ingest import ensure_sample_loaded


def make_db(path: Path) -> None:
    """A real Verbatim database holding the bundled sample speech."""

    async def work() -> None:
        async with open_database(path) as db:
            assert await ensure_sample_loaded(db)

    asyncio.run(work())


def run_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    cli_ops.register(parser.add_subparsers())
    args = parser.parse_args(argv)
    return int(args.handler(args, load_settings({}, db=args.db)))


def query_texts(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [r[0] for r in conn.execute("SELECT text FROM bot_queries ORDER BY id")]
    finally:
        conn.close()


def writer_connection(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout = 5000")
    return conn


def test_backup_sees_committed_rows_not_open_transaction(tmp_path: Path) -> None:
    """A writer holding the write lock does not block the backup and its uncommitted rows
    stay out; rows committed (still in the WAL, not checkpointed) are in."""
    db = tmp_path / "live.db"
    make_db(db)
    writer = writer_connection(db)
    writer.execute("PRAGMA wal_autocheckpoint = 0")  # keep committed rows in the WAL
    for i in range(100):
        writer.execute("INSERT INTO bot_queries (text, last_used) VALUES (?, 'now')", (f"c{i}",))
    writer.execute("BEGIN IMMEDIATE")
    for i in range(50):
        writer.execute("INSERT INTO bot_queries (text, last_used) VALUES (?, 'now')", (f"u{i}",))
    try:
        assert Path(f"{db}-wal").stat().st_size > 0
        result = backup_database(db, tmp_path / "copy.db")
    finally:
        writer.execute("COMMIT")
        writer.close()

    copy = tmp_path / "copy.db"
    assert result.target == copy
    assert integrity_problems(copy) == []
    assert query_texts(copy) == [f"c{i}" for i in range(100)]
    assert not Path(f"{copy}-wal").exists()
    conn = sqlite3.connect(copy)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        src_docs = conn.execute("SELECT count(*), sum(paragraph_count) FROM documents").fetchone()
    finally:
        conn.close()
    assert src_docs[0] == 1 and src_docs[1] > 10


def test_backup_while_another_thread_keeps_writing(tmp_path: Path) -> None:
    """Rows committed before the backup started are all in the copy, with no gaps."""
    db = tmp_path / "live.db"
    make_db(db)
    filler = writer_connection(db)
    filler.execute("BEGIN")
    filler.executemany(
        "INSERT INTO bot_queries (text, last_used) VALUES (?, 'now')",
        ((f"fill{i:06d} " + "x" * 200,) for i in range(20_000)),
    )
    filler.execute("COMMIT")
    filler.close()

    committed = 0
    started = threading.Event()
    stop = threading.Event()

    def keep_writing() -> None:
        nonlocal committed
        conn = writer_connection(db)
        try:
            while not stop.is_set():
                conn.execute(
                    "INSERT INTO bot_queries (text, last_used) VALUES (?, 'now')",
                    (f"w{committed:06d}",),
                )
                committed += 1
                if committed == 20:
                    started.set()
        finally:
            conn.close()

    thread = threading.Thread(target=keep_writing)
    thread.start()
    try:
        assert started.wait(10)
        before = committed
        backup_database(db, tmp_path / "copy.db")
        after = committed
    finally:
        stop.set()
        thread.join(10)
    assert integrity_problems(tmp_path / "copy.db") == []
    written = [t for t in query_texts(tmp_path / "copy.db") if t.startswith("w")]
    assert before <= len(written) <= after
    assert written == [f"w{i:06d}" for i in range(len(written))]
    assert committed > after or after > before  # the writer really ran around the backup


def test_cli_backup_refuses_to_overwrite_and_force_replaces(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "live.db"
    make_db(db)
    target = tmp_path / "old.db"
    target.write_bytes(b"precious")
    assert run_cli(["backup", str(target), "--db", str(db)]) == 2
    assert target.read_bytes() == b"precious"
    assert "already exists" in capsys.readouterr().err
    assert run_cli(["backup", str(target), "--db", str(db), "--force"]) == 0
    assert "integrity ok" in capsys.readouterr().out
    assert integrity_problems(target) == []


def test_cli_backup_into_folder_names_file_by_time(tmp_path: Path) -> None:
    db = tmp_path / "live.db"
    make_db(db)
    folder = tmp_path / "backups"
    folder.mkdir()
    assert run_cli(["backup", str(folder), "--db", str(db)]) == 0
    (made,) = folder.iterdir()
    assert made.name.startswith("verbatim-") and made.suffix == ".db"
    assert integrity_problems(made) == []


def test_cli_backup_missing_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["backup", str(tmp_path / "b.db"), "--db", str(tmp_path / "none.db")]) == 3
    assert "no database at" in capsys.readouterr().err
    assert not (tmp_path / "none.db").exists()
    assert not (tmp_path / "b.db").exists()


def test_backup_of_a_non_database_leaves_nothing(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.db"
    bogus.write_text("this is not sqlite\n" * 100)
    with pytest.raises(BackupError, match="could not back up"):
        backup_database(bogus, tmp_path / "copy.db")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.db"]


def test_backup_onto_itself_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "live.db"
    make_db(db)
    with pytest.raises(BackupTargetError, match="database itself"):
        backup_database(db, db, overwrite=True)
    with pytest.raises(BackupTargetError, match="does not exist"):
        backup_database(db, tmp_path / "missing" / "copy.db")
    assert integrity_problems(db) == []


def test_healthcheck(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Healthy with a current database; unhealthy when it is missing or the listener is down."""
    import http.server
    import socket

    db = tmp_path / "live.db"
    assert run_cli(["healthcheck", "--db", str(db)]) == 1
    assert "no database" in capsys.readouterr().out
    assert not db.exists()
    make_db(db)
    assert run_cli(["healthcheck", "--db", str(db)]) == 0
    assert capsys.readouterr().out.startswith("healthy: database")

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    parser = argparse.ArgumentParser()
    cli_ops.register(parser.add_subparsers())
    args = parser.parse_args(["healthcheck", "--db", str(db)])
    env = {"VERBATIM_WEBHOOK_URL": "https://bot.example.org/hook"}
    settings = load_settings({**env, "VERBATIM_WEBHOOK_PORT": str(port)}, db=args.db)
    assert args.handler(args, settings) == 1
    assert "unhealthy: webhook listener" in capsys.readouterr().out

    server = http.server.HTTPServer(("127.0.0.1", port), http.server.BaseHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        assert args.handler(args, settings) == 0
        assert "webhook listener 127.0.0.1" in capsys.readouterr().out
    finally:
        server.shutdown()
        server.server_close()


def test_a_hash_or_question_mark_in_the_path_is_part_of_the_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Read-only opens use real file: URIs ("file:a#b.db" would open, and create, "a")."""
    db = tmp_path / "quotes#1?.db"
    make_db(db)
    assert run_cli(["healthcheck", "--db", str(db)]) == 0
    assert "schema" in capsys.readouterr().out
    copy = tmp_path / "copy#2.db"
    assert run_cli(["backup", "--db", str(db), str(copy)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".db") == [
        "copy#2.db",
        "quotes#1?.db",
    ]
    assert not (tmp_path / "quotes").exists() and not (tmp_path / "copy").exists()
