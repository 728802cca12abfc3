"""The raw checks of store.db.health leave the file they check as they found it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from store.db.health import physical_checks

_KILLED_WRITER = """
import os, sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
conn.execute("PRAGMA journal_mode = WAL")
conn.execute("PRAGMA wal_autocheckpoint = 0")
conn.execute("CREATE TABLE documents (id INTEGER PRIMARY KEY, paragraph_count INTEGER)")
conn.execute("CREATE TABLE paragraphs (id INTEGER PRIMARY KEY, document_id INTEGER)")
conn.execute("INSERT INTO documents VALUES (1, 2)")
conn.execute("INSERT INTO paragraphs VALUES (1, 1)")
conn.commit()
os._exit(0)  # as kill -9: the log is left beside the file, not checkpointed into it
"""


def test_physical_checks_read_a_killed_writers_log_without_checkpointing_it(
    tmp_path: Path,
) -> None:
    db = tmp_path / "crashed #1.db"
    subprocess.run([sys.executable, "-c", _KILLED_WRITER, str(db)], check=True)
    wal = Path(f"{db}-wal")
    before = (db.read_bytes(), wal.read_bytes())
    assert wal.stat().st_size > 0
    assert physical_checks(db) == ("ok", 1)  # the committed rows in the log are read
    assert (db.read_bytes(), wal.read_bytes()) == before  # and nothing was written
