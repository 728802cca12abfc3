"""The PostgreSQL shared state itself: migrations under concurrency (replicas starting at
once), a newer schema refused, a server that cannot be reached, and ``verbatim run`` with
``VERBATIM_STATE_URL`` end to end (its password never shown).  Skipped, saying why,
without PostgreSQL (tests/pg.py)."""

from __future__ import annotations

import argparse
import asyncio
import subprocess
from contextlib import AsyncExitStack
from pathlib import Path

import asyncpg
import pytest
from conftest import REPO, WAIT, verbatim, verbatim_env
from fake_bot_api import TOKEN, FakeBotApiServer
from pg import PgCluster

from bot.cli import ops as cli_ops
from bot.settings import load_settings
from store.db import open_database
from store.db.pg import MIGRATIONS
from store.db.schema import NewerSchemaError
from store.state import StateUnavailable, open_state_store

PASSWORD = "pg-Secret-4711-never-shown"
MANY_HITS = "secretaries of primary party committees"  # 11 matching paragraphs in the sample


async def test_replicas_starting_at_once_migrate_once(pg_url: str, posting_db: Path) -> None:
    async with open_database(posting_db) as db, AsyncExitStack() as stack:
        opened = await asyncio.gather(
            *(stack.enter_async_context(open_state_store(pg_url, db, "test")) for _ in range(4))
        )
        epochs = {await state.queries.bot_epoch() for state in opened}
        assert len(epochs) == 1  # one migration 1 ran: one epoch
    conn = await asyncpg.connect(pg_url)
    try:
        assert await conn.fetchval("SELECT version FROM schema_version") == len(MIGRATIONS)
        assert await conn.fetchval("SELECT count(*) FROM schema_version") == 1
        await conn.execute("UPDATE schema_version SET version = $1", len(MIGRATIONS) + 1)
    finally:
        await conn.close()
    async with open_database(posting_db) as db:
        with pytest.raises(NewerSchemaError, match="upgrade verbatim-bot"):
            async with open_state_store(pg_url, db, "db.example/verbatim"):
                pass


async def test_a_server_that_cannot_be_reached_is_a_clear_error(
    posting_db: Path, tmp_path: Path
) -> None:
    url = f"postgresql://verbatim:{PASSWORD}@/verbatim?host={tmp_path}/none"
    async with open_database(posting_db) as db:
        with pytest.raises(StateUnavailable, match="cannot open the shared state at") as err:
            async with open_state_store(url, db, "the test server"):
                pass
    assert PASSWORD not in str(err.value)


def test_verbatim_run_keeps_its_state_in_postgresql(
    pg_cluster: PgCluster, posting_db: Path, tmp_path: Path
) -> None:
    """The bot answers, its buttons work with the query stored in PostgreSQL (not in the
    database file), and the URL's password is never shown."""
    database = pg_cluster.create_database()
    url = pg_cluster.url(database, password=PASSWORD)
    with FakeBotApiServer() as server:
        env = verbatim_env(
            tmp_path,
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_BASE_URL=server.base_url,
            VERBATIM_STATE_URL=url,
            VERBATIM_RATE_PER_MINUTE="6000",
            VERBATIM_RATE_BURST="1000",
        )
        proc = subprocess.Popen(
            verbatim("run", "--db", str(posting_db)),
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            fake = server.fake
            fake.wait_for("setMyCommands", timeout=WAIT)
            before = len(fake.calls)
            fake.push("message", fake.message(f"/q {MANY_HITS}"))
            card = fake.wait_for("sendMessage", since=before, timeout=WAIT)[0].params
            assert "of 32" in card["text"]
            keys = {b["text"]: b for row in card["reply_markup"]["inline_keyboard"] for b in row}
            before = len(fake.calls)
            press = fake.callback_query(
                keys["🔎 Other matches"]["callback_data"], message=fake.sent[-1]
            )
            fake.push("callback_query", press)
            fake.wait_for("answerCallbackQuery", since=before, timeout=WAIT)
            edits = [c for c in fake.calls[before:] if c.method == "editMessageText"]
            assert edits and edits[0].params["text"] != card["text"]  # the next match
        finally:
            proc.terminate()
            _, stderr = proc.communicate(timeout=WAIT)
    assert proc.returncode == 0, stderr
    assert PASSWORD not in stderr and "Traceback" not in stderr
    assert "shared state (queries, choices, links, schedules, watches): PostgreSQL at" in stderr
    stored = asyncio.run(_stored_queries(pg_cluster.url(database)))
    assert stored == [MANY_HITS]


async def _stored_queries(url: str) -> list[str]:
    conn = await asyncpg.connect(url)
    try:
        return [row[0] for row in await conn.fetch("SELECT text FROM bot_queries")]
    finally:
        await conn.close()


def test_healthcheck_asks_the_shared_state_too(
    pg_url: str, posting_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def healthcheck(url: str) -> int:
        parser = argparse.ArgumentParser()
        cli_ops.register(parser.add_subparsers())
        args = parser.parse_args(["healthcheck", "--db", str(posting_db)])
        settings = load_settings({"VERBATIM_STATE_URL": url}, db=args.db)
        return int(args.handler(args, settings))

    assert healthcheck(pg_url) == 1  # a new server: not migrated until `verbatim run` starts
    assert "has schema 0, expected" in capsys.readouterr().out

    async def migrate() -> None:
        async with open_database(posting_db) as db, open_state_store(pg_url, db, "test"):
            pass

    asyncio.run(migrate())
    assert healthcheck(pg_url) == 0
    out = capsys.readouterr().out
    assert out.startswith("healthy: database") and f"schema {len(MIGRATIONS)}" in out
    gone = f"postgresql://verbatim:{PASSWORD}@/verbatim?host={posting_db.parent}/none"
    assert healthcheck(gone) == 1
    out = capsys.readouterr().out
    assert "unhealthy: cannot reach the shared state" in out and PASSWORD not in out
