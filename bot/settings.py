"""Settings: read from the environment (and command-line flags) and validated in this one place.

Everything else receives a :class:`Settings` value (typed, frozen); no other module reads
``os.environ``.  :func:`load_settings` checks only what every command depends on (the
database path and the log level).  A setting only some commands use is checked by the
command that uses it: ``verbatim run`` calls :func:`check_token`, :func:`check_webhook`
(via :meth:`Settings.with_webhook`), :meth:`Settings.with_base_url`,
:func:`check_timezone`, :func:`check_rate_limit`, :func:`check_state_url` and
:func:`check_snapshot` (via :meth:`Settings.with_snapshot`: replica mode); so a bad
``VERBATIM_WEBHOOK_PORT``, ``VERBATIM_TIMEZONE``, ``TELEGRAM_BASE_URL`` or
``VERBATIM_STATE_URL`` stops ``run`` (exit 4) but not ``search``, ``stats``, ``backup`` or
``ingest``.  A variable that cannot even be parsed is kept in
:attr:`Settings.invalid` until its check asks.  No message here ever repeats a URL's
path, query or user part, where a bot token may hide, nor a database password
(:func:`state_url_hint` shows ``VERBATIM_STATE_URL`` without it).

``run`` also checks how often /watch looks for new paragraphs (:func:`check_watch_interval`).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# The defaults, written only here (for Settings, load_settings, flags' help, the bot's own)
DEFAULT_LOG_LEVEL, DEFAULT_TIMEZONE = "INFO", "UTC"
DEFAULT_WEBHOOK_LISTEN, DEFAULT_WEBHOOK_PORT = "127.0.0.1", 8443
DEFAULT_RATE_PER_MINUTE, DEFAULT_RATE_BURST = 20.0, 8
DEFAULT_WATCH_SECONDS, DEFAULT_SNAPSHOT_CHECK_SECONDS = 60.0, 10.0


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
    log_level: str = DEFAULT_LOG_LEVEL
    webhook_url: str | None = None
    webhook_listen: str = DEFAULT_WEBHOOK_LISTEN
    webhook_port: int = DEFAULT_WEBHOOK_PORT
    webhook_secret_token: str | None = None
    timezone: str = DEFAULT_TIMEZONE  # IANA name; the times of /schedule are in this zone
    rate_per_minute: float = DEFAULT_RATE_PER_MINUTE  # requests back a minute; 0: no limit
    rate_burst: int = DEFAULT_RATE_BURST  # requests a user may make at once
    watch_seconds: float = DEFAULT_WATCH_SECONDS  # how often /watch looks for new paragraphs
    # VERBATIM_STATE_URL: the shared state in PostgreSQL (None: in the SQLite file)
    state_url: str | None = None
    # replica mode: the corpus is this published snapshot, opened read-only (else db_path)
    corpus_snapshot: Path | None = None
    snapshot_check_seconds: float = DEFAULT_SNAPSHOT_CHECK_SECONDS  # a replica's looks; 0: SIGHUP
    # variables that could not be parsed: (name, message), raised by the check that uses them
    invalid: tuple[tuple[str, str], ...] = ()

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
        invalid = self.invalid
        if port is not None:  # the flag wins over an unreadable VERBATIM_WEBHOOK_PORT
            invalid = tuple(p for p in invalid if p[0] != "VERBATIM_WEBHOOK_PORT")
        return check_webhook(
            replace(
                self,
                invalid=invalid,
                webhook_url=url if url is not None else self.webhook_url,
                webhook_listen=listen if listen is not None else self.webhook_listen,
                webhook_port=port if port is not None else self.webhook_port,
                webhook_secret_token=(
                    secret_token if secret_token is not None else self.webhook_secret_token
                ),
            )
        )

    def with_snapshot(self, path: str | Path | None) -> Settings:
        """Return a copy with the ``--snapshot`` flag on top (``None`` keeps the value),
        validated with :func:`check_snapshot`."""
        snapshot = Path(path).expanduser() if path else self.corpus_snapshot
        return check_snapshot(replace(self, corpus_snapshot=snapshot))


MAX_SNAPSHOT_CHECK_SECONDS = 86_400.0


def check_snapshot(settings: Settings) -> Settings:
    """Validate the replica settings (``VERBATIM_CORPUS_SNAPSHOT``,
    ``VERBATIM_SNAPSHOT_CHECK_SECONDS``); return them unchanged or raise."""
    _raise_invalid(settings, "VERBATIM_SNAPSHOT_")
    seconds = settings.snapshot_check_seconds
    if not (seconds == 0 or 0.1 <= seconds <= MAX_SNAPSHOT_CHECK_SECONDS):
        raise SettingsError(
            f"VERBATIM_SNAPSHOT_CHECK_SECONDS={seconds:g} is not 0 (check on SIGHUP only) "
            f"or in 0.1..{MAX_SNAPSHOT_CHECK_SECONDS:g}"
        )
    snapshot = settings.corpus_snapshot
    if snapshot is not None and snapshot.is_dir():
        raise SettingsError(
            f"VERBATIM_CORPUS_SNAPSHOT / --snapshot {snapshot} is a folder: name the "
            f"published file in it ({snapshot / 'corpus.db'})"
        )
    return settings


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


def url_hint(url: str) -> str:
    """A URL as shown in a message: scheme, host and port, the rest elided as ``/…`` —
    the path, query and user part are where a bot token may hide."""
    parts = urlsplit(url)
    if not parts.scheme and not parts.netloc:
        return "<a URL without scheme and host>"
    try:
        port = "" if parts.port is None else f":{parts.port}"
    except ValueError:
        port = ":?"  # not a port number
    shown = f"{parts.scheme}://" if parts.scheme else ""
    shown += (parts.hostname or "") + port
    hidden = parts.path.strip("/") or parts.query or parts.fragment or "@" in parts.netloc
    return shown + ("/…" if hidden else "")


def check_base_url(url: str) -> str:
    """A usable Bot API base URL, or a :class:`SettingsError`."""
    parts = urlsplit(url)
    try:
        port_ok = parts.port is None or parts.port > 0
    except ValueError:  # not a number, or not in 0..65535
        port_ok = False
    if parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
        raise SettingsError(
            f"TELEGRAM_BASE_URL / --base-url must be an http(s) URL like "
            f"http://127.0.0.1:8081, not {url_hint(url)!r}"
        )
    return url


# Telegram delivers webhooks only over HTTPS and only to these ports.
WEBHOOK_PORTS = (443, 80, 88, 8443)
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")


def check_webhook(settings: Settings) -> Settings:
    """Validate the webhook settings; return them unchanged or raise :class:`SettingsError`."""
    _raise_invalid(settings, "VERBATIM_WEBHOOK_")
    if settings.webhook_url is not None:
        url = urlsplit(settings.webhook_url)
        if url.scheme != "https" or not url.hostname:
            raise SettingsError(
                f"VERBATIM_WEBHOOK_URL / --webhook-url {url_hint(settings.webhook_url)!r} must be "
                "an https:// URL with a host name (Telegram delivers webhooks only over HTTPS)"
            )
        try:
            url_port = url.port or 443
        except ValueError:
            url_port = -1
        if url_port not in WEBHOOK_PORTS:
            raise SettingsError(
                f"VERBATIM_WEBHOOK_URL / --webhook-url: the port must be one of "
                f"{', '.join(map(str, WEBHOOK_PORTS))} "
                f"(Telegram's rule), not {url_hint(settings.webhook_url)!r}"
            )
    if not 1 <= settings.webhook_port <= 65535:
        raise SettingsError(
            f"VERBATIM_WEBHOOK_PORT / --port {settings.webhook_port} is not in 1..65535"
        )
    if not settings.webhook_listen.strip():
        raise SettingsError(
            "VERBATIM_WEBHOOK_LISTEN / --listen is empty (try 127.0.0.1 or 0.0.0.0)"
        )
    token = settings.webhook_secret_token
    if token is not None and not _SECRET_TOKEN.fullmatch(token):
        raise SettingsError(
            "VERBATIM_WEBHOOK_SECRET_TOKEN / --secret-token must be 1-256 characters of "
            "A-Z, a-z, 0-9, _ and - (Telegram's rule)"
        )
    return settings


def _raise_invalid(settings: Settings, prefix: str) -> None:
    for name, message in settings.invalid:
        if name.startswith(prefix):
            raise SettingsError(message)


def _number_setting(
    env: Mapping[str, str],
    invalid: list[tuple[str, str]],
    name: str,
    default: float,
    kind: type[int] | type[float] = int,
) -> float:
    """The number in ``env[name]`` (``default`` when unset); an unreadable one is noted in
    ``invalid`` (raised later, by the command that needs it) and ``default`` returned."""
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        what = "whole number" if kind is int else "number"
        invalid.append((name, f"{name}={raw[:40]!r} is not a {what}"))
        return default
    if kind is float and not math.isfinite(value):
        invalid.append((name, f"{name}={raw[:40]!r} is not a finite number"))
        return default
    return value


def check_rate_limit(settings: Settings) -> Settings:
    """Validate the per-user rate limit; return the settings unchanged or raise."""
    _raise_invalid(settings, "VERBATIM_RATE_")
    if not 0 <= settings.rate_per_minute <= 6000:
        raise SettingsError(
            f"VERBATIM_RATE_PER_MINUTE={settings.rate_per_minute:g} is not in 0..6000 "
            "(requests a user gets back per minute; 0 = no limit)"
        )
    if not 1 <= settings.rate_burst <= 1000:
        raise SettingsError(
            f"VERBATIM_RATE_BURST={settings.rate_burst} is not in 1..1000 "
            "(requests a user may make at once)"
        )
    return settings


def check_watch_interval(settings: Settings) -> Settings:
    """Validate how often /watch looks for new paragraphs; return the settings unchanged
    or raise."""
    _raise_invalid(settings, "VERBATIM_WATCH_")
    if not 1 <= settings.watch_seconds <= 86400:
        raise SettingsError(
            f"VERBATIM_WATCH_SECONDS={settings.watch_seconds:g} is not in 1..86400 "
            "(seconds between two looks for newly stored paragraphs, for /watch)"
        )
    return settings


def check_timezone(name: str) -> str:
    """Return ``name`` if it is an IANA timezone this machine knows, else raise."""
    try:
        if not name:
            raise ValueError(name)
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise SettingsError(
            f"VERBATIM_TIMEZONE={name[:60]!r} is not a known timezone (try UTC or Europe/Berlin)"
        ) from None
    return name


STATE_URL_SCHEMES = ("postgresql", "postgres")


def state_url_hint(url: str) -> str:
    """``VERBATIM_STATE_URL`` as shown in logs and messages: scheme, user, host, port and
    database, never the password (nor any other query parameter than ``host``)."""
    parts = urlsplit(url)
    try:
        port = "" if parts.port is None else f":{parts.port}"
    except ValueError:
        port = ":?"
    user = f"{parts.username}@" if parts.username else ""
    path = parts.path if not re.search("[:@]", parts.path) else "/…"  # no URL: no path
    shown = f"{parts.scheme}://{user}{parts.hostname or ''}{port}{path}"
    hosts = parse_qs(parts.query).get("host")
    return shown + (f"?host={hosts[0]}" if hosts else "")


def state_url_secrets(url: str | None) -> list[str]:
    """The passwords a state URL holds (in its user part or a ``password=`` parameter),
    for the log redactor."""
    if not url:
        return []
    parts = urlsplit(url)
    found = [parts.password] if parts.password else []
    return found + parse_qs(parts.query).get("password", [])


def check_state_url(settings: Settings) -> str | None:
    """The PostgreSQL URL of the shared state (``None``: the state stays in the SQLite
    file), or a :class:`SettingsError` that never repeats the password."""
    url = settings.state_url
    if url is None:
        return None
    parts = urlsplit(url)
    try:
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        port_ok = False
    if parts.scheme not in STATE_URL_SCHEMES:
        raise SettingsError(
            "VERBATIM_STATE_URL must be a PostgreSQL URL such as "
            "postgresql://verbatim:PASSWORD@db.example:5432/verbatim (or unset: the state "
            f"stays in the database file), not a URL with scheme {parts.scheme or 'none'!r}"
        )
    if not port_ok:
        raise SettingsError(
            f"VERBATIM_STATE_URL {state_url_hint(url)!r}: the port is not a number in 1..65535"
        )
    return url


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
    level = (log_level or env.get("VERBATIM_LOG_LEVEL") or DEFAULT_LOG_LEVEL).upper()
    if level not in _LOG_LEVELS:
        raise SettingsError(f"log level {level!r} is not one of {', '.join(_LOG_LEVELS)}")
    invalid: list[tuple[str, str]] = []
    number_setting = partial(_number_setting, env, invalid)
    return Settings(
        db_path=db_path.expanduser(),
        db_path_is_default=is_default,
        token=env.get("TELEGRAM_BOT_TOKEN") or None,
        base_url=env.get("TELEGRAM_BASE_URL") or None,
        log_level=level,
        timezone=env.get("VERBATIM_TIMEZONE") or DEFAULT_TIMEZONE,
        webhook_url=env.get("VERBATIM_WEBHOOK_URL") or None,
        webhook_listen=env.get("VERBATIM_WEBHOOK_LISTEN") or DEFAULT_WEBHOOK_LISTEN,
        webhook_port=int(number_setting("VERBATIM_WEBHOOK_PORT", DEFAULT_WEBHOOK_PORT)),
        webhook_secret_token=env.get("VERBATIM_WEBHOOK_SECRET_TOKEN") or None,
        rate_per_minute=number_setting("VERBATIM_RATE_PER_MINUTE", DEFAULT_RATE_PER_MINUTE, float),
        rate_burst=int(number_setting("VERBATIM_RATE_BURST", DEFAULT_RATE_BURST)),
        watch_seconds=number_setting("VERBATIM_WATCH_SECONDS", DEFAULT_WATCH_SECONDS, float),
        state_url=env.get("VERBATIM_STATE_URL") or None,
        corpus_snapshot=(
            Path(env["VERBATIM_CORPUS_SNAPSHOT"]).expanduser()
            if env.get("VERBATIM_CORPUS_SNAPSHOT")
            else None
        ),
        snapshot_check_seconds=number_setting(
            "VERBATIM_SNAPSHOT_CHECK_SECONDS", DEFAULT_SNAPSHOT_CHECK_SECONDS, float
        ),
        invalid=tuple(invalid),
    )
