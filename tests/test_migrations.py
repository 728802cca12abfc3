"""Migrations under concurrency: several processes opening a new database at once."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from store.db import MIGRATIONS

OPEN = """
import asyncio, sys
from store.db import open_database
async def main():
    async with open_database(sys.argv[1]) as db:
        await db.ping()
asyncio.run(main())
"""


def test_four_processes_opening_a_new_database_at_once_all_succeed(tmp_path: Path) -> None:
    for attempt in range(3):  # the race is timing-dependent: try it a few times
        path = tmp_path / f"new{attempt}.db"
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", OPEN, str(path)],
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(4)
        ]
        errors = [p.communicate(timeout=60)[1] for p in procs]
        assert [p.returncode for p in procs] == [0, 0, 0, 0], errors
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
