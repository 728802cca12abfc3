"""End to end: ``verbatim run`` (a subprocess) serves the fake Bot API on 127.0.0.1, a user
sends /watch, and a separate ``verbatim ingest`` process stores a new document: the alert
arrives once — not again at later checks, nor after a restart — and a document stored
while the bot was down is sent when it is back."""

from __future__ import annotations

import sqlite3
import subprocess
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

from conftest import REPO, WAIT, verbatim, verbatim_env
from fake_bot_api import TOKEN, FakeBotApiServer, FakeTelegram
from watch_docs import ORCHARD, UNRELATED, WATCHED, write_kcna_text

USER = 111


def start_bot(server: FakeBotApiServer, db: Path, tmp_path: Path) -> subprocess.Popen[str]:
    """``verbatim run`` over ``db``, checking its watches every second."""
    since = len(server.fake.calls)
    env = verbatim_env(
        tmp_path,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_BASE_URL=server.base_url,
        VERBATIM_WATCH_SECONDS="1",
    )
    proc = subprocess.Popen(
        verbatim("run", "--db", str(db)),
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    server.fake.wait_for("setMyCommands", since=since, timeout=WAIT)
    return proc


def stop_bot(proc: subprocess.Popen[str]) -> str:
    """Stop the bot as systemd would; its stderr (it must exit 0)."""
    proc.terminate()
    _, stderr = proc.communicate(timeout=WAIT)
    assert proc.returncode == 0, stderr
    return stderr


def ingest(db: Path, tmp_path: Path, name: str, title: str, paragraphs: list[str]) -> None:
    """``verbatim ingest`` of a new kcna-text file, in a process of its own."""
    path = write_kcna_text(tmp_path / f"{name}.txt", title, paragraphs)
    done = subprocess.run(
        verbatim("ingest", "--db", str(db), str(path)),
        cwd=REPO,
        env=verbatim_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.05)


def checked_everything(db: Path) -> bool:
    """Whether every watch has been checked up to the newest paragraph (read-only)."""
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        (newest,) = conn.execute("SELECT max(id) FROM paragraphs").fetchone()
        (seen,) = conn.execute("SELECT min(seen_paragraph_id) FROM watches").fetchone()
    return seen is not None and seen >= newest


def alerts(fake: FakeTelegram) -> list[dict[str, Any]]:
    """The alerts the user received."""
    return [m for m in fake.sent if m["chat"]["id"] == USER and m["text"].startswith("🔔")]


def test_a_document_ingested_by_another_process_alerts_once(
    posting_db: Path, tmp_path: Path
) -> None:
    with FakeBotApiServer() as server:
        fake = server.fake
        proc = start_bot(server, posting_db, tmp_path)
        try:
            before = len(fake.calls)
            fake.push("message", fake.message(f"/watch {WATCHED}"))
            (answer,) = fake.wait_for("sendMessage", since=before, timeout=WAIT)
            assert answer.params["text"].startswith(f"Watching “<i>{WATCHED}</i>”")

            ingest(posting_db, tmp_path, "orchard", "Orchard Address", ORCHARD)
            wait_until(lambda: len(alerts(fake)) == 1, "the alert arrived")
            (alert,) = alerts(fake)
            assert alert["text"].startswith(f"🔔 New in Orchard Address: your watch “{WATCHED}”\n")
            assert "¶ 2 of 3" in alert["text"]

            # another document, answering nothing: checked, and still one alert
            ingest(posting_db, tmp_path, "beacon", "Beacon Notes", [f"The {UNRELATED} met."])
            wait_until(lambda: checked_everything(posting_db), "the watch was checked again")
            assert len(alerts(fake)) == 1
            assert TOKEN.split(":")[1] not in stop_bot(proc)

            # stored while the bot is down: sent when it is back, and the first not again
            second = [f"In the harbour town the {WATCHED} were praised once more."]
            ingest(posting_db, tmp_path, "second", "Second Orchard Address", second)
            proc = start_bot(server, posting_db, tmp_path)
            wait_until(lambda: len(alerts(fake)) == 2, "the pending alert arrived")
            wait_until(lambda: checked_everything(posting_db), "the watch was checked")
            first, then = alerts(fake)
            assert then["text"].startswith("🔔 New in Second Orchard Address: your watch")
            assert first["text"].startswith("🔔 New in Orchard Address: your watch")
            stop_bot(proc)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
