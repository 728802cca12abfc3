"""Shared pytest fixtures."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_bot_api import TOKEN, FakeBotApiServer, FakeTelegram
from hypothesis import HealthCheck, settings
from web_pages import add_pages
from web_site import FakeSite

from store.db import open_database
from store.ingest import content_hash, ingest_paths, sample_path
from store.models import ParsedDocument, PartialDate

pytest_plugins = ["pg"]  # the throw-away PostgreSQL cluster (tests/pg.py)

REPO = Path(__file__).resolve().parents[1]
WAIT = 15.0  # seconds: a generous bound for a slow CI machine; normally well under one

CORPORA_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "corpora"

# Property-based tests (hypothesis): a moderate number of cases per test in CI; the full
# run sets VERBATIM_HYPOTHESIS_EXAMPLES=10000 (see README, "Property-based tests").
HYPOTHESIS_EXAMPLES = int(os.environ.get("VERBATIM_HYPOTHESIS_EXAMPLES", "200"))
settings.register_profile(
    "verbatim",
    max_examples=HYPOTHESIS_EXAMPLES,
    deadline=None,  # a slow CI machine is not a failure; bounded work is tested apart
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.load_profile("verbatim")


@pytest.fixture(scope="session")
def corpora_dir() -> Path:
    """The shared corpora folder (../shared/corpora beside the clone); skips when absent."""
    if not CORPORA_DIR.is_dir():
        pytest.skip(f"shared corpora not found: {CORPORA_DIR}")
    return CORPORA_DIR


def verbatim_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a fresh machine (no Verbatim or Telegram settings) plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "VERBATIM_"))}
    env.update(XDG_DATA_HOME=str(tmp_path / "xdg"), **extra)
    return env


def verbatim(*args: str) -> list[str]:
    """The command line that runs ``verbatim ARGS`` with this interpreter."""
    return [sys.executable, "-m", "bot.cli", *args]


def ingest_failures(err: str) -> dict[str, str]:
    """What ``verbatim ingest`` reported failed on stderr: reason by path or URL."""
    out: dict[str, str] = {}
    for line in err.splitlines():
        if line.startswith("failed: "):
            origin, _, reason = line[len("failed: ") :].partition(": ")  # no ": " in URLs
            out[origin] = reason
    return out


@pytest.fixture
def sample_db(tmp_path: Path) -> Path:
    """A database in tmp_path holding the bundled sample speech."""

    async def build() -> Path:
        path = tmp_path / "sample.db"
        async with open_database(path) as db:
            await ingest_paths(db, [sample_path()], progress=False)
        return path

    return asyncio.run(build())


@pytest.fixture(scope="session")
def sample_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled sample speech in a database, built once per session (copy it to use it)."""

    async def build(path: Path) -> Path:
        async with open_database(path) as db:
            await ingest_paths(db, [sample_path()], progress=False)
        return path

    return asyncio.run(build(tmp_path_factory.mktemp("template") / "sample.db"))


@pytest.fixture
def posting_db(sample_template: Path, tmp_path: Path) -> Path:
    """A fresh copy of the sample database in tmp_path (the posting tests)."""
    return Path(shutil.copy(sample_template, tmp_path / "sample.db"))


SPEECHES = (  # the made-up speeches of speeches_db: year, speaker, collection
    (2001, "Alice Keeper", "harbour"),
    (2002, "Bob Pilot", "harbour"),
    (2003, "Alice Keeper", "coast"),
)
SPEECHES_QUERY = "lighthouse keeper spoke"  # in all 30 of their paragraphs


def speeches() -> list[ParsedDocument]:
    """Three made-up speeches of ten paragraphs each ("Harbour Address <year>"), by two
    speakers, in two collections (see SPEECHES), to check what filters keep."""
    docs = []
    for year, speaker, collection in SPEECHES:
        paragraphs = [
            f"In {year} the lighthouse keeper spoke of tide number {n} and of the beacon "
            f"{speaker.split()[0].lower()} lit, a long evening of grey water and gulls."
            for n in range(10)
        ]
        docs.append(
            ParsedDocument(
                title=f"Harbour Address {year}",
                paragraphs=paragraphs,
                origin=f"test:{year}",
                source_format="text",
                speaker=speaker,
                date=PartialDate(year, 6, 1),
                collection=collection,
            )
        )
    return docs


@pytest.fixture
def speeches_db(tmp_path: Path) -> Path:
    """A database in tmp_path holding the bundled sample and the made-up speeches."""

    async def build() -> Path:
        path = tmp_path / "speeches.db"
        async with open_database(path) as db:
            await ingest_paths(db, [sample_path()], progress=False)
            await db.insert_documents([(d, content_hash(d.paragraphs)) for d in speeches()])
            await db.after_bulk_load()
        return path

    return asyncio.run(build())


@pytest.fixture
def bot_db(sample_db: Path) -> Path:
    """The database ``running_bot`` serves: the sample (a test module may override it)."""
    return sample_db


@pytest.fixture
def running_bot(
    tmp_path: Path, bot_db: Path
) -> Iterator[tuple[FakeTelegram, subprocess.Popen[str]]]:
    """``verbatim run`` as a subprocess over ``bot_db``, talking to a fake Bot API on
    127.0.0.1; yields once it has registered its commands; always stopped afterwards."""
    with FakeBotApiServer() as server:
        env = verbatim_env(
            tmp_path,
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_BASE_URL=server.base_url,
            # one test user types faster than anyone: the rate limit has tests of its own
            VERBATIM_RATE_PER_MINUTE="6000",
            VERBATIM_RATE_BURST="1000",
        )
        proc = subprocess.Popen(
            verbatim("run", "--db", str(bot_db)),
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            server.fake.wait_for("setMyCommands", timeout=WAIT)
            yield server.fake, proc
        finally:
            if proc.poll() is None:
                proc.terminate()
            try:
                proc.communicate(timeout=WAIT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()


def next_day(posting: Any) -> None:
    """Move a :class:`~bot.core.posting.PostingService`'s clock a day on (its public
    ``clock`` seam): a schedule's daily run is posted once, so a test that runs a job
    several times runs it on successive days."""
    later = posting.clock() + dt.timedelta(days=1)
    posting.clock = lambda: later


@pytest.fixture
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing but 127.0.0.1 is contacted: no proxy from the environment."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("all_proxy", raising=False)


@pytest.fixture
def site() -> Iterator[FakeSite]:
    """A small web site on 127.0.0.1 serving the invented pages of tests/web_pages.py."""
    with FakeSite() as running:
        add_pages(running)
        yield running
