"""A throw-away PostgreSQL cluster for the tests of the shared state (pytest plugin,
loaded by conftest.py).

:func:`pg_cluster` (session scope) starts one with Debian's binaries (``initdb`` and
``pg_ctl`` on PATH, else ``/usr/lib/postgresql/*/bin``) in a temporary folder, listening
only on a Unix socket there, with ``fsync`` off; it is stopped and removed when the session
ends.  ``initdb`` refuses to run as root: as root the cluster belongs to the ``postgres``
user (made by Debian's package), else ``nobody``.  :func:`pg_url` gives each test a
database of its own; :func:`state_url` runs a test over either shared state (the SQLite
file, or such a database).  Without the binaries these tests skip, saying why.
"""

from __future__ import annotations

import asyncio
import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SUPERUSER = "verbatim"
INITDB_FLAGS = ("-E", "UTF8", "--no-locale", "--no-sync")
_DATABASES = itertools.count(1)


def _binaries() -> tuple[str, str] | None:
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl:
        return initdb, pg_ctl
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.access(f"{folder}/initdb", os.X_OK) and os.access(f"{folder}/pg_ctl", os.X_OK):
            return f"{folder}/initdb", f"{folder}/pg_ctl"
    return None


def _run_as() -> list[str]:
    """The command prefix that runs the cluster's programs as an unprivileged user."""
    if os.geteuid() != 0:
        return []
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return ["runuser", "-u", name, "--"]
    pytest.skip("running as root and there is no 'postgres' or 'nobody' user for initdb")


@dataclass(frozen=True)
class PgCluster:
    """A running throw-away cluster: its socket folder and superuser."""

    socket_dir: Path

    def url(self, database: str, password: str | None = None) -> str:
        """A libpq URL for ``database`` over the Unix socket."""
        auth = SUPERUSER + (f":{password}" if password else "")
        return f"postgresql://{auth}@/{database}?host={self.socket_dir}"

    def create_database(self) -> str:
        """A new empty database; its name."""
        name = f"verbatim_test_{next(_DATABASES)}"
        asyncio.run(self._admin(f"CREATE DATABASE {name}"))
        return name

    async def _admin(self, sql: str) -> None:
        import asyncpg

        conn = await asyncpg.connect(self.url("postgres"))
        try:
            await conn.execute(sql)
        finally:
            await conn.close()


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    """A PostgreSQL cluster for this test session (see the module docstring)."""
    found = _binaries()
    if found is None:
        pytest.skip(
            "PostgreSQL is not installed (no initdb/pg_ctl on PATH or in "
            "/usr/lib/postgresql/*/bin): apt-get install postgresql, as .ci/run does"
        )
    initdb, pg_ctl = found
    prefix = _run_as()
    # /tmp itself (not pytest's tmp dir, which only root may enter) and a short path: a
    # Unix socket's path has at most 107 bytes
    folder = Path(tempfile.mkdtemp(prefix="verbatim-pg-"))
    if prefix:
        shutil.chown(folder, user=prefix[2])
    data = folder / "data"
    try:
        subprocess.run(
            [*prefix, initdb, "-D", str(data), "-U", SUPERUSER, "--auth=trust", *INITDB_FLAGS],
            check=True,
            capture_output=True,
            text=True,
        )
        options = (
            f"-c listen_addresses='' -c unix_socket_directories={folder} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        subprocess.run(
            [
                *prefix,
                pg_ctl,
                "-D",
                str(data),
                "-o",
                options,
                "-l",
                str(folder / "log"),
                "-w",
                "start",
            ],
            check=True,
            capture_output=True,
            text=True,
        )
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.fail(f"could not start a PostgreSQL cluster: {exc.stderr or exc.stdout}")
    try:
        yield PgCluster(folder)
    finally:
        subprocess.run(
            [*prefix, pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"],
            capture_output=True,
        )
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def pg_url(pg_cluster: PgCluster) -> str:
    """A URL of a new empty database in the session's cluster, for one test."""
    return pg_cluster.url(pg_cluster.create_database())


@pytest.fixture(params=["sqlite", "postgres"])
def state_url(request: pytest.FixtureRequest) -> str | None:
    """Each test that takes it runs twice, over either shared state: None (the SQLite
    file) or the URL of a fresh PostgreSQL database (skipped, saying why, without one)."""
    if request.param == "sqlite":
        return None
    return str(request.getfixturevalue("pg_url"))
