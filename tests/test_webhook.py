"""Webhook mode: settings validation, and `verbatim run --webhook-url` end to end.

The end-to-end test starts the real command as a subprocess listening on 127.0.0.1,
pointed at the fake Bot API server, and POSTs updates to it the way Telegram would:
only the one carrying the right secret-token header gets an answer.
"""

from __future__ import annotations

import asyncio
import http.client
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cluster_harness import free_port
from fake_bot_api import TOKEN, FakeBotApiServer

from bot.cli.main import main as cli_main
from bot.settings import SettingsError, load_settings
from bot.telegram.webhook import plan_webhook
from store.db import open_database
from store.ingest import ensure_sample_loaded, sample_path

SECRET = "s3cret_Token-for-tests"
HOOK_URL = "https://bot.example.org/telegram/verbatim"


# ---------------------------------------------------------------------- settings


def test_webhook_settings_from_environment() -> None:
    settings = load_settings(
        {
            "VERBATIM_WEBHOOK_URL": HOOK_URL,
            "VERBATIM_WEBHOOK_LISTEN": "0.0.0.0",
            "VERBATIM_WEBHOOK_PORT": "9000",
            "VERBATIM_WEBHOOK_SECRET_TOKEN": SECRET,
        }
    )
    plan = plan_webhook(settings)
    assert (plan.url, plan.listen, plan.port) == (HOOK_URL, "0.0.0.0", 9000)
    assert plan.url_path == "telegram/verbatim"
    assert plan.secret_token == SECRET and not plan.secret_is_random


def test_flags_override_environment_and_random_secret() -> None:
    settings = load_settings({"VERBATIM_WEBHOOK_URL": "https://a.example/x", "VERBATIM_DB": "d"})
    settings = settings.with_webhook(url=HOOK_URL, port=8444)
    plan = plan_webhook(settings)
    assert (plan.url, plan.listen, plan.port) == (HOOK_URL, "127.0.0.1", 8444)
    assert plan.secret_is_random and len(plan.secret_token) >= 32
    assert plan_webhook(settings).secret_token != plan.secret_token


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"VERBATIM_WEBHOOK_URL": "http://bot.example.org/hook"}, "https://"),
        ({"VERBATIM_WEBHOOK_URL": "https://bot.example.org:9999/hook"}, "443, 80, 88, 8443"),
        ({"VERBATIM_WEBHOOK_URL": "https:///hook"}, "host name"),
        ({"VERBATIM_WEBHOOK_PORT": "eighty"}, "not a whole number"),
        ({"VERBATIM_WEBHOOK_PORT": "70000"}, "1..65535"),
        ({"VERBATIM_WEBHOOK_SECRET_TOKEN": "has spaces in it"}, "A-Z, a-z, 0-9"),
        ({"VERBATIM_WEBHOOK_SECRET_TOKEN": "x" * 257}, "1-256"),
    ],
)
def test_bad_webhook_settings_are_refused(env: dict[str, str], message: str) -> None:
    """Refused where they are used (``run``: see below), never when read."""
    settings = load_settings(env)
    with pytest.raises(SettingsError, match=message.replace(".", r"\.")):
        settings.with_webhook()


BAD_SETTINGS = {
    "VERBATIM_WEBHOOK_URL": "http://bot.example.org/hook",
    "VERBATIM_WEBHOOK_PORT": "eighty",
    "VERBATIM_TIMEZONE": "Mars/Olympus",
    "VERBATIM_RATE_BURST": "lots",
    "TELEGRAM_BASE_URL": "ftp://nowhere",
}


def test_run_refuses_each_bad_setting_with_exit_4(sample_db: Path) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("VERBATIM_", "TELEGRAM_"))}
    runs = {
        bad: subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run", "--db", str(sample_db)],
            env={**clean, bad: value, "TELEGRAM_BOT_TOKEN": TOKEN},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for bad, value in BAD_SETTINGS.items()
    }
    for bad, proc in runs.items():
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 4, (bad, err)
        assert bad.split("_", 1)[1] in err.replace("--base-url", "BASE_URL"), err
        assert TOKEN not in out + err


def test_other_commands_ignore_settings_they_do_not_use(
    sample_db: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in BAD_SETTINGS.items():  # every one of them wrong, and no token
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    db = ["--db", str(sample_db)]
    for args in (
        ["stats", *db],
        ["search", *db, "heart of a mother"],
        ["show", *db, "1"],
        ["backup", *db, str(tmp_path / "copy.db")],
        ["ingest", "--db", str(tmp_path / "new.db"), str(sample_path())],
    ):
        assert cli_main(args) == 0, (args, capsys.readouterr().err)
    monkeypatch.setattr(sys, "stdin", io.StringIO("/q heart of a mother\n"))
    assert cli_main(["chat", *db, "--plain"]) == 0
    assert "mother" in capsys.readouterr().out


def test_bad_webhook_flag_exits_with_config_error(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            *(sys.executable, "-m", "bot.cli", "run", "--db", str(tmp_path / "x.db")),
            *("--webhook-url", "http://insecure.example/hook"),
        ],
        env={**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 4
    assert "https://" in done.stderr
    assert TOKEN not in done.stderr + done.stdout


# ---------------------------------------------------------------------- end to end


@pytest.fixture
def sample_db(tmp_path: Path) -> Path:
    async def work() -> Path:
        path = tmp_path / "verbatim.db"
        async with open_database(path) as db:
            await ensure_sample_loaded(db)
        return path

    return asyncio.run(work())


def post(port: int, path: str, body: dict[str, Any], secret: str | None) -> int:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", path, body=json.dumps(body), headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def wait_listening(port: int, proc: subprocess.Popen[str], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"verbatim run exited early: {proc.communicate()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing listening on 127.0.0.1:{port} after {timeout} s")


WebhookBot = tuple[FakeBotApiServer, int, Path, subprocess.Popen[str]]


@pytest.fixture
def webhook_bot(sample_db: Path, tmp_path: Path) -> Iterator[WebhookBot]:
    yield from start_webhook_bot(sample_db, tmp_path)


@pytest.fixture(scope="module")
def listener_bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebhookBot]:
    """One bot for the listener's guard tests (each starts the process: ~2 s)."""
    tmp_path = tmp_path_factory.mktemp("listener")

    async def build() -> Path:
        async with open_database(tmp_path / "verbatim.db") as db:
            await ensure_sample_loaded(db)
        return tmp_path / "verbatim.db"

    yield from start_webhook_bot(asyncio.run(build()), tmp_path)


def start_webhook_bot(sample_db: Path, tmp_path: Path) -> Iterator[WebhookBot]:
    port = free_port()
    log_path = tmp_path / "bot.log"
    with FakeBotApiServer() as server, log_path.open("w") as log:
        env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_BASE_URL": server.base_url}
        proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "bot.cli", "--log-level", "INFO", "run"),
                *("--db", str(sample_db), "--webhook-url", HOOK_URL),
                *("--listen", "127.0.0.1", "--port", str(port), "--secret-token", SECRET),
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            wait_listening(port, proc)
            yield server, port, log_path, proc
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


def test_webhook_answers_only_requests_with_the_secret(
    webhook_bot: WebhookBot,
) -> None:
    server, port, log_path, _ = webhook_bot
    fake = server.fake
    (set_webhook,) = fake.wait_for("setWebhook", timeout=20)
    assert set_webhook.params["url"] == HOOK_URL
    assert set_webhook.params["secret_token"] == SECRET

    path = "/telegram/verbatim"
    forged_none = fake.update("message", fake.message("/q servant party", chat_id=201))
    forged_wrong = fake.update("message", fake.message("/q servant party", chat_id=202))
    authentic = fake.update("message", fake.message("/q servant party", chat_id=203))
    assert post(port, path, forged_none, None) == 403
    assert post(port, path, forged_wrong, "not-the-secret") == 403
    assert post(port, "/elsewhere", authentic, SECRET) == 404
    assert post(port, path, authentic, SECRET) == 200

    (answer,) = fake.wait_for("sendMessage", timeout=20)
    assert answer.params["chat_id"] == 203
    assert "servant" in answer.params["text"].lower()
    # the forged updates were refused at the door: nothing was sent to their chats
    sent_to = {c.params["chat_id"] for c in fake.calls_of("sendMessage")}
    assert sent_to == {203}

    log = wait_for_log(log_path, rf"update {authentic['update_id']} message /q private: [\d.]+ ms")
    assert "webhook mode: listening on 127.0.0.1" in log
    assert TOKEN not in log and SECRET not in log
    assert "servant party" not in log  # no message text at INFO
    assert f"update {forged_none['update_id']} " not in log


def wait_for_log(path: Path, pattern: str, timeout: float = 10) -> str:
    deadline = time.monotonic() + timeout
    while True:
        text = path.read_text()
        if re.search(pattern, text) or time.monotonic() > deadline:
            assert re.search(pattern, text), f"no log line {pattern!r} in:\n{text}"
            return text
        time.sleep(0.05)


# ---------------------------------------------------------------------- the listener's guards

HOOK_PATH = "/telegram/verbatim"
MB = 1_000_000


def raw_post(port: int, secret: str, size: int, body: bytes = b"") -> tuple[int, int]:
    """POST ``body`` (or ``size`` bytes of junk) over a raw socket, sending the body only
    after the headers; return the status the server answered and the body bytes that
    could be sent before it closed the connection."""
    body = body or b"x" * size
    head = (
        f"POST {HOOK_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"X-Telegram-Bot-Api-Secret-Token: {secret}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(head.encode())
        try:
            for start in range(0, len(body), 65536):
                sock.sendall(body[start : start + 65536])
                sent += min(65536, len(body) - start)
        except OSError:  # the server closed the connection: it is not reading
            pass
        answer = b""
        try:
            while b"\r\n" not in answer:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                answer += chunk
        except OSError:
            pass
    status_line = answer.split(b"\r\n", 1)[0].decode()
    assert status_line.startswith("HTTP/1.1 "), answer[:200]
    return int(status_line.split()[1]), sent


def peak_rss_kb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^VmHWM:\s+(\d+) kB", status, re.M).group(1))  # type: ignore[union-attr]


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_a_wrong_secret_is_refused_before_the_body_is_read(listener_bot: WebhookBot) -> None:
    server, port, _, proc = listener_bot
    server.fake.wait_for("setWebhook", timeout=20)
    before = peak_rss_kb(proc.pid)
    for _ in range(3):
        status, sent = raw_post(port, "not-the-secret", 20 * MB)
        assert status == 403
        assert sent < 20 * MB  # the connection was closed, not drained
    grown = peak_rss_kb(proc.pid) - before
    assert grown < 8_000, f"peak RSS grew by {grown} kB"  # before: +20 MB and more


def test_an_oversize_body_with_the_right_secret_is_413(listener_bot: WebhookBot) -> None:
    server, port, _, _ = listener_bot
    server.fake.wait_for("setWebhook", timeout=20)
    assert raw_post(port, SECRET, 2 * MB)[0] == 413
    assert raw_post(port, SECRET, 0, b"[1, 2, 3]")[0] == 400  # JSON, but not an update
    assert raw_post(port, SECRET, 0, b"{not json")[0] == 400


def test_invalid_utf8_and_lone_surrogates_in_webhook_json_are_answered(
    listener_bot: WebhookBot,
) -> None:
    server, port, _, _ = listener_bot
    fake = server.fake
    fake.wait_for("setWebhook", timeout=20)
    broken = fake.update("message", fake.message("/q servant party HOLE", chat_id=301, user_id=301))
    body = json.dumps(broken).replace("HOLE", "\\ud800").encode()  # a lone surrogate escape
    assert raw_post(port, SECRET, 0, body)[0] == 200
    bytes_bad = fake.update(
        "message", fake.message("/q servant party HOLE", chat_id=302, user_id=302)
    )
    body = json.dumps(bytes_bad).encode().replace(b"HOLE", b"\xff\xfe")  # not UTF-8
    assert raw_post(port, SECRET, 0, body)[0] == 200
    answers = fake.wait_for("sendMessage", count=2, timeout=20)
    by_chat = {c.params["chat_id"]: c.params["text"] for c in answers}
    for chat in (301, 302):
        assert "servant" in by_chat[chat].lower() and "went wrong" not in by_chat[chat]
