"""``stats``, ``healthcheck`` and ``backup`` on a database whose search vocabulary is
behind its documents (an ingest running, or one that crashed before its rebuild)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from test_derived_state import _crash_after_storing, _stocked

from bot.cli.common import EXIT_OK, EXIT_PARTIAL_FAILURE
from bot.cli.main import main
from store.db import open_database
from store.db.lock import ingest_lock


def _stale(path: Path) -> None:
    """A stocked database, then documents stored and no rebuild: a crashed ingest."""

    async def work() -> None:
        await _stocked(path)
        await _crash_after_storing(path)

    asyncio.run(work())


def _stale_since(path: Path) -> str | None:
    async def work() -> str | None:
        async with open_database(path, repair=False) as db:
            return await db.search_vocab_stale_since()

    return asyncio.run(work())


def test_stats_reports_the_vocabulary_and_does_not_repair_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "v.db"
    _stale(db)
    assert main(["stats", "--db", str(db)]) == EXIT_OK
    out = capsys.readouterr().out
    assert "search vocabulary: stale since " in out
    assert "rebuilt at the next open" in out
    assert _stale_since(db) is not None  # stats reports, it does not repair
    with ingest_lock(db):
        assert main(["stats", "--db", str(db), "--json"]) == EXIT_OK
        stats = json.loads(capsys.readouterr().out)
        assert stats["search_vocab_stale_since"] and stats["ingest_running"] is True
        assert main(["stats", "--db", str(db)]) == EXIT_OK
        assert "(an ingest is running and rebuilds it at its end)" in capsys.readouterr().out
    assert main(["search", "zanzibarite mines", "--db", str(db)]) == EXIT_OK  # opens: repairs
    capsys.readouterr()
    assert main(["stats", "--db", str(db)]) == EXIT_OK
    assert "search vocabulary: up to date" in capsys.readouterr().out


def test_healthcheck_is_unhealthy_when_stale_and_no_ingest_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "v.db"
    _stale(db)
    assert main(["healthcheck", "--db", str(db)]) == EXIT_PARTIAL_FAILURE
    out = capsys.readouterr().out
    assert out.startswith("unhealthy:") and "search vocabulary stale since" in out
    with ingest_lock(db):
        assert main(["healthcheck", "--db", str(db)]) == EXIT_OK
        out = capsys.readouterr().out
        assert out.startswith("healthy:") and "an ingest is running" in out
    assert _stale_since(db) is not None  # healthcheck only reads
    assert main(["search", "zanzibarite mines", "--db", str(db)]) == EXIT_OK
    capsys.readouterr()
    assert main(["healthcheck", "--db", str(db)]) == EXIT_OK
    assert "search vocabulary up to date" in capsys.readouterr().out


def test_backup_of_a_stale_database_rebuilds_the_copy_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "v.db"
    _stale(db)
    copy = tmp_path / "copy.db"
    assert main(["backup", "--db", str(db), str(copy)]) == EXIT_OK
    out = capsys.readouterr().out
    assert "search vocabulary rebuilt in the copy" in out and "integrity ok" in out
    assert main(["healthcheck", "--db", str(copy)]) == EXIT_OK
    assert "search vocabulary up to date" in capsys.readouterr().out
    assert main(["backup", "--db", str(copy), str(tmp_path / "again.db")]) == EXIT_OK
    assert "rebuilt" not in capsys.readouterr().out
