"""``verbatim run`` helpers: token redaction in logs, token and URL checks, API URLs."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError, check_base_url, check_token, url_hint
from bot.telegram.app import api_urls
from bot.telegram.redact import RedactFilter, Redactor

TOKEN = "123456:AAsecret-token_value"


def test_token_is_redacted_from_messages_arguments_and_tracebacks() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactFilter(Redactor(TOKEN)))
    logger = logging.getLogger("test_cli_bot.redact")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("url https://api.telegram.org/bot%s/getMe failed", TOKEN)
        logger.warning(f"inline {TOKEN}")
        try:
            raise RuntimeError(f"The token `{TOKEN}` was rejected")
        except RuntimeError:
            logger.exception("boom")
        logger.warning("bad %d format", "x")  # malformed: must not break logging
    finally:
        logger.removeHandler(handler)
    out = stream.getvalue()
    assert TOKEN not in out and "AAsecret" not in out
    assert out.count("<token>") == 3
    assert "RuntimeError: The token `<token>` was rejected" in out


def settings(token: str | None) -> Settings:
    return Settings(db_path=Path("x.db"), db_path_is_default=False, token=token)


def test_token_checks_never_echo_the_token() -> None:
    assert check_token(settings(f" {TOKEN}\n")) == TOKEN
    for bad in ("hello world", "123456", "abc:def", "123:ab cd"):
        with pytest.raises(SettingsError) as info:
            check_token(settings(bad))
        assert bad not in str(info.value)
    with pytest.raises(SettingsError, match="TELEGRAM_BOT_TOKEN is not set"):
        check_token(settings(None))


def test_base_url_checks_and_api_urls() -> None:
    assert check_base_url("http://127.0.0.1:8081") == "http://127.0.0.1:8081"
    for bad in ("127.0.0.1:8081", "ftp://host", "http://"):
        with pytest.raises(SettingsError):
            check_base_url(bad)
    assert api_urls("http://h:8081") == ("http://h:8081/bot", "http://h:8081/file/bot")
    assert api_urls("http://h:8081/bot/") == ("http://h:8081/bot", "http://h:8081/file/bot")
    assert api_urls("https://h/x/bot{token}/test") == (
        "https://h/x/bot{token}/test",
        "https://h/x/file/bot{token}/test",
    )


def test_the_token_is_redacted_in_any_case_inside_urls_and_url_encoded() -> None:
    redact = Redactor(TOKEN, ["webhook-secret-value"])
    key = TOKEN.split(":")[1]
    texts = [
        f"https://api.telegram.org/bot{TOKEN}/getMe",
        f"https://api.telegram.org/BOT{TOKEN.upper()}/getMe",  # another case
        f"https://api.telegram.org/bot{TOKEN.lower()}/getMe",
        f"https://host/hook/{TOKEN.replace(':', '%3A')}?x=1",  # URL-encoded colon
        f"https://host/hook/{TOKEN.replace(':', '%3a').replace('A', '%41')}",
        f"https://123456:{key}@host/",  # the secret part alone, as a URL's password
        "X-Telegram-Bot-Api-Secret-Token: WEBHOOK-SECRET-VALUE",
    ]
    for text in texts:
        out = redact(text)
        assert key.lower() not in out.lower().replace("%41", "a"), out
        assert "secret-value" not in out.lower(), out
        assert "<token>" in out or "<secret>" in out
    assert redact("nothing to hide here") == "nothing to hide here"
    assert Redactor(None)("123456:AAsecret") == "123456:AAsecret"


def run_cli(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("VERBATIM_", "TELEGRAM_"))}
    command = [sys.executable, "-m", "bot.cli", *args]
    return subprocess.run(command, env={**clean, **env}, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(
    "args",
    [
        ["--base-url", f"ftp://api.example.org/bot{TOKEN}/"],
        ["--base-url", f"http://api.example.org:99999/bot{TOKEN}"],
        ["--webhook-url", f"http://bot.example.org/{TOKEN}"],
        ["--webhook-url", f"https://bot.example.org:9999/{TOKEN.replace(':', '%3A')}"],
    ],
)
def test_a_url_holding_the_token_is_never_echoed(args: list[str], tmp_path: Path) -> None:
    done = run_cli(["run", "--db", str(tmp_path / "x.db"), *args], TELEGRAM_BOT_TOKEN=TOKEN)
    assert done.returncode == 4, done.stderr
    out = done.stdout + done.stderr
    assert "AAsecret" not in out and "aasecret" not in out.lower(), out
    assert "api.example.org" in out or "bot.example.org" in out  # the host is shown


def test_url_hint_keeps_scheme_host_and_port_only() -> None:
    assert url_hint(f"https://h.example:8443/bot{TOKEN}/x?y=1") == "https://h.example:8443/…"
    assert url_hint(f"http://123:{TOKEN}@h/") == "http://h/…"
    assert url_hint("http://127.0.0.1:8081") == "http://127.0.0.1:8081"
    assert url_hint("http://h:port/") == "http://h:?"
    assert url_hint(f"h/{TOKEN}") == "<a URL without scheme and host>"
