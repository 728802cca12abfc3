"""``VERBATIM_STATE_URL``: read with the other settings, checked by ``verbatim run``
(PostgreSQL URLs only), and its password never shown: not in messages, not in logs."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import REPO, WAIT, verbatim, verbatim_env
from fake_bot_api import TOKEN, FakeBotApiServer

from bot.settings import (
    SettingsError,
    check_state_url,
    load_settings,
    state_url_hint,
    state_url_secrets,
)

PASSWORD = "pg-Secret-4711-never-shown"


def test_the_state_url_is_read_and_checked() -> None:
    assert load_settings({}).state_url is None  # the state stays in the database file
    for url in (
        f"postgresql://verbatim:{PASSWORD}@db.example:5432/verbatim",
        "postgres://db.example/verbatim",
        "postgresql:///verbatim?host=/run/postgresql",
    ):
        settings = load_settings({"VERBATIM_STATE_URL": url})
        assert check_state_url(settings) == url
    for url, why in (
        (f"mysql://verbatim:{PASSWORD}@db.example/verbatim", "scheme 'mysql'"),
        (f"verbatim:{PASSWORD}@db.example/verbatim", "must be a PostgreSQL URL"),
        (f"sqlite:///{PASSWORD}.db", "scheme 'sqlite'"),
        (f"postgresql://verbatim:{PASSWORD}@db.example:99999/verbatim", "the port"),
    ):
        settings = load_settings({"VERBATIM_STATE_URL": url})  # reading never fails
        with pytest.raises(SettingsError, match="VERBATIM_STATE_URL") as err:
            check_state_url(settings)
        assert why in str(err.value) and PASSWORD not in str(err.value)


def test_the_url_is_shown_without_its_password() -> None:
    url = f"postgresql://verbatim:{PASSWORD}@db.example:5433/verbatim?password={PASSWORD}x"
    assert state_url_hint(url) == "postgresql://verbatim@db.example:5433/verbatim"
    assert state_url_secrets(url) == [PASSWORD, PASSWORD + "x"]
    socket = "postgresql://verbatim@/verbatim?host=/run/postgresql&sslmode=disable"
    assert state_url_hint(socket) == "postgresql://verbatim@/verbatim?host=/run/postgresql"
    assert state_url_secrets(None) == [] and state_url_secrets(socket) == []


def run_bot(tmp_path: Path, db: Path, state_url: str) -> subprocess.CompletedProcess[str]:
    with FakeBotApiServer() as server:
        env = verbatim_env(
            tmp_path,
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_BASE_URL=server.base_url,
            VERBATIM_STATE_URL=state_url,
        )
        return subprocess.run(
            verbatim("run", "--db", str(db)),
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=WAIT * 4,
        )


def test_run_refuses_a_url_that_is_not_postgresql(tmp_path: Path, posting_db: Path) -> None:
    done = run_bot(tmp_path, posting_db, f"mysql://verbatim:{PASSWORD}@db.example/verbatim")
    assert done.returncode == 4, done.stderr
    assert "VERBATIM_STATE_URL must be a PostgreSQL URL" in done.stderr
    assert PASSWORD not in done.stdout + done.stderr


def test_run_exits_4_when_the_state_server_cannot_be_reached(
    tmp_path: Path, posting_db: Path
) -> None:
    url = f"postgresql://verbatim:{PASSWORD}@/verbatim?host={tmp_path}/no-server"
    done = run_bot(tmp_path, posting_db, url)
    assert done.returncode == 4, done.stderr
    assert "cannot open the shared state at postgresql://verbatim@/verbatim" in done.stderr
    assert "Traceback" not in done.stderr
    assert PASSWORD not in done.stdout + done.stderr
