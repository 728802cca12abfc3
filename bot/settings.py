"""Settings: read from the environment (and command-line flags) in this one place.

Everything else receives a :class:`Settings` value; no other module reads ``os.environ``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path


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

    def with_overrides(self, **changes: object) -> Settings:
        """Return a copy with the given fields replaced (flags win over the environment)."""
        return replace(self, **changes)  # type: ignore[arg-type]

    def require_token(self) -> str:
        """The bot token, or a :class:`SettingsError` telling the user how to provide it."""
        if not self.token:
            raise SettingsError(
                "TELEGRAM_BOT_TOKEN is not set: get a token from @BotFather and export "
                "TELEGRAM_BOT_TOKEN=..., or try the bot offline with `verbatim chat`"
            )
        return self.token


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
    return Settings(
        db_path=db_path.expanduser(),
        db_path_is_default=is_default,
        token=env.get("TELEGRAM_BOT_TOKEN") or None,
        base_url=env.get("TELEGRAM_BASE_URL") or None,
        log_level=level,
    )
