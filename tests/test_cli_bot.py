"""``verbatim run`` helpers: token redaction in logs, token and URL checks, API URLs."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest

from bot.cli.bot import RedactToken
from bot.settings import Settings, SettingsError, check_base_url, check_token
from bot.telegram.app import api_urls

TOKEN = "123456:AAsecret-token_value"


def test_token_is_redacted_from_messages_arguments_and_tracebacks() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactToken(TOKEN))
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
