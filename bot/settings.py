"""Settings: read from the environment (and command-line flags) and validated in this one place.

Everything else receives a :class:`Settings` value (typed, frozen); no other module reads
``os.environ``.  :func:`load_settings` checks what every command depends on (database,
log level, timezone, webhook); the settings only ``verbatim run`` needs are checked when
it asks for them (:func:`check_token`, :meth:`Settings.with_base_url`), so a bad
``TELEGRAM_BASE_URL`` does not stop ``verbatim search``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class SettingsError(ValueError):
    """A setting is missing or malformed; the message says which and what to do."""


def default_db_path(env: Mapping[str, str] | None = None) -> Path:
    """Where the database lives when neither ``--db`` nor ``VERBATIM_DB`` says otherwise.

    ``$XDG_DATA_HOME/verbatim/verbatim.db``, i.e. ``~/.local/share/verbatim/verbatim.db``.
    """
    env = os.environ if env is None else env
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "verbatim" / "verbatim.db"


@dataclass(frozen=True, slots=True)
class Settings:
    """Every setting Verbatim knows, with its source resolved."""

    db_path: Path
    db_path_is_default: bool
    token: str | None = None
    base_url: str | None = None
    log_level: str = "INFO"
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_secret_token: str | None = None
    timezone: str = "UTC"  # IANA name; the times of /schedule are in this zone

    def with_base_url(self, url: str | None) -> Settings:
        """Return a copy with the ``--base-url`` flag on top (``None`` or empty keeps the
        value), validated with :func:`check_base_url`."""
        base_url = url or self.base_url
        return replace(self, base_url=check_base_url(base_url) if base_url else None)

    def with_webhook(
        self,
        *,
        url: str | None = None,
        listen: str | None = None,
        port: int | None = None,
        secret_token: str | None = None,
    ) -> Settings:
        """Return a copy with webhook flags on top (``None`` keeps the value), validated."""
        return check_webhook(
            replace(
                self,
                webhook_url=url if url is not None else self.webhook_url,
                webhook_listen=listen if listen is not None else self.webhook_listen,
                webhook_port=port if port is not None else self.webhook_port,
                webhook_secret_token=(
                    secret_token if secret_token is not None else self.webhook_secret_token
                ),
            )
        )


_TOKEN_SHAPE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")


def check_token(settings: Settings) -> str:
    """The bot token from settings, stripped and checked for shape (without ever echoing
    it), or a :class:`SettingsError` telling the user how to provide it."""
    if not settings.token:
        raise SettingsError(
            "TELEGRAM_BOT_TOKEN is not set: get a token from @BotFather and export "
            "TELEGRAM_BOT_TOKEN=..., or try the bot offline with `verbatim chat`"
        )
    token = settings.token.strip()
    if not _TOKEN_SHAPE.match(token):
        raise SettingsError(
            "TELEGRAM_BOT_TOKEN does not look like a bot token (digits, a colon, then "
            "letters, digits, - and _): copy it again from @BotFather"
        )
    return token


def check_base_url(url: str) -> str:
    """A usable Bot API base URL, or a :class:`SettingsError`."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(
            f"TELEGRAM_BASE_URL / --base-url must be an http(s) URL like "
            f"http://127.0.0.1:8081, not {url!r}"
        )
    return url


# Telegram delivers webhooks only over HTTPS and only to these ports.
WEBHOOK_PORTS = (443, 80, 88, 8443)
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")


def check_webhook(settings: Settings) -> Settings:
    """Validate the webhook settings; return them unchanged or raise :class:`SettingsError`."""
    if settings.webhook_url is not None:
        url = urlsplit(settings.webhook_url)
        if url.scheme != "https" or not url.hostname:
            raise SettingsError(
                f"webhook URL {settings.webhook_url!r} must be an https:// URL with a host name "
                "(Telegram delivers webhooks only over HTTPS)"
            )
        try:
            url_port = url.port or 443
        except ValueError:
            url_port = -1
        if url_port not in WEBHOOK_PORTS:
            raise SettingsError(
                f"webhook URL port must be one of {', '.join(map(str, WEBHOOK_PORTS))} "
                f"(Telegram's rule), not {url.netloc.rpartition(':')[2]!r}"
            )
    if not 1 <= settings.webhook_port <= 65535:
        raise SettingsError(f"webhook listen port {settings.webhook_port} is not in 1..65535")
    if not settings.webhook_listen.strip():
        raise SettingsError("webhook listen address is empty (try 127.0.0.1 or 0.0.0.0)")
    token = settings.webhook_secret_token
    if token is not None and not _SECRET_TOKEN.fullmatch(token):
        raise SettingsError(
            "webhook secret token must be 1-256 characters of A-Z, a-z, 0-9, _ and - "
            "(Telegram's rule)"
        )
    return settings


def _int_setting(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a whole number") from None


def check_timezone(name: str) -> str:
    """Return ``name`` if it is an IANA timezone this machine knows, else raise."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise SettingsError(
            f"VERBATIM_TIMEZONE={name!r} is not a known timezone (try UTC or Europe/Berlin)"
        ) from None
    return name


_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def load_settings(
    env: Mapping[str, str] | None = None,
    *,
    db: str | Path | None = None,
    log_level: str | None = None,
) -> Settings:
    """Build settings from ``env`` (default ``os.environ``) with flag values on top."""
    env = os.environ if env is None else env
    if db is not None:
        db_path, is_default = Path(db), False
    elif env.get("VERBATIM_DB"):
        db_path, is_default = Path(env["VERBATIM_DB"]), False
    else:
        db_path, is_default = default_db_path(env), True
    level = (log_level or env.get("VERBATIM_LOG_LEVEL") or "INFO").upper()
    if level not in _LOG_LEVELS:
        raise SettingsError(f"log level {level!r} is not one of {', '.join(_LOG_LEVELS)}")
    settings = Settings(
        db_path=db_path.expanduser(),
        db_path_is_default=is_default,
        token=env.get("TELEGRAM_BOT_TOKEN") or None,
        base_url=env.get("TELEGRAM_BASE_URL") or None,
        log_level=level,
        timezone=check_timezone(env.get("VERBATIM_TIMEZONE") or "UTC"),
    )
    return check_webhook(
        replace(
            settings,
            webhook_url=env.get("VERBATIM_WEBHOOK_URL") or None,
            webhook_listen=env.get("VERBATIM_WEBHOOK_LISTEN") or "127.0.0.1",
            webhook_port=_int_setting(env, "VERBATIM_WEBHOOK_PORT", 8443),
            webhook_secret_token=env.get("VERBATIM_WEBHOOK_SECRET_TOKEN") or None,
        )
    )
