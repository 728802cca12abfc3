"""``verbatim run``: start the Telegram bot (long polling, or webhook mode with the
webhook flags).

The token comes from :class:`~bot.settings.Settings` (``TELEGRAM_BOT_TOKEN``, checked by
:func:`~bot.settings.check_token`) and is never printed or logged: a logging filter
(:mod:`bot.telegram.redact`) replaces it, in any case and URL-encoded too, wherever it
would appear, and so are the messages printed here.  ``run`` checks the settings it
needs (token, webhook, base URL, timezone, rate limit, ``VERBATIM_STATE_URL``, replica
snapshot) before it starts: a bad one is exit 4 with a message that never repeats a URL's
path or a password.  With ``VERBATIM_STATE_URL`` the shared state is in PostgreSQL (a
server that cannot be reached at start is exit 4 too); its password is redacted like the
token.  Telegram imports stay inside the handler so other subcommands start fast.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from bot.cli.common import (
    EXIT_CONFIG,
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_PARTIAL_FAILURE,
    add_db_argument,
    require_database,
)
from bot.settings import (
    DEFAULT_WEBHOOK_LISTEN,
    DEFAULT_WEBHOOK_PORT,
    Settings,
    check_rate_limit,
    check_state_url,
    check_timezone,
    check_token,
    check_watch_interval,
    state_url_hint,
    state_url_secrets,
)
from bot.telegram.redact import Redactor, install
from bot.telegram.webhook import plan_webhook, run_webhook

log = logging.getLogger(__name__)


def register(sub: Any) -> None:
    """Add ``run`` to the ``verbatim`` parser."""
    p = sub.add_parser(
        "run",
        help="start the Telegram bot (needs TELEGRAM_BOT_TOKEN)",
        description="Start the Telegram bot with long polling. The token is read from "
        "TELEGRAM_BOT_TOKEN. With the default database, the bundled sample speech is "
        "loaded when the database is empty. With VERBATIM_STATE_URL=postgresql://… the "
        "shared state (stored queries, inline choices, channel links, schedules, the posted "
        "log, /watch's watches) is kept in PostgreSQL, so that several replicas can serve one bot.",
    )
    add_db_argument(p)
    p.add_argument(
        "--base-url",
        metavar="URL",
        help="Bot API server, e.g. http://127.0.0.1:8081 for a self-hosted telegram-bot-api "
        "(default: $TELEGRAM_BASE_URL, else Telegram's)",
    )
    add_webhook_arguments(p)
    p.add_argument(
        "--snapshot",
        metavar="FILE",
        help="run as a replica: search this published corpus snapshot (read-only; see "
        "`verbatim publish-snapshot`) instead of --db, and switch to a new one when it is "
        "published (default: $VERBATIM_CORPUS_SNAPSHOT; unset = the database)",
    )
    p.set_defaults(handler=run)


def add_webhook_arguments(parser: argparse.ArgumentParser) -> None:
    """Give ``run`` the webhook flags (each defaults to its environment variable)."""
    parser.add_argument(
        "--webhook-url",
        metavar="URL",
        help="receive updates by webhook at this public https:// URL instead of long polling "
        "(default: $VERBATIM_WEBHOOK_URL; unset = polling)",
    )
    parser.add_argument(
        "--listen",
        metavar="ADDR",
        help="webhook listener address (default: $VERBATIM_WEBHOOK_LISTEN, else "
        f"{DEFAULT_WEBHOOK_LISTEN})",
    )
    parser.add_argument(
        "--port",
        type=int,
        metavar="N",
        help="webhook listener port (default: $VERBATIM_WEBHOOK_PORT, else "
        f"{DEFAULT_WEBHOOK_PORT})",
    )
    parser.add_argument(
        "--secret-token",
        metavar="T",
        help="secret Telegram must send in X-Telegram-Bot-Api-Secret-Token (default: "
        "$VERBATIM_WEBHOOK_SECRET_TOKEN, else a random one per start)",
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Run the bot until interrupted; exit code 4 when a setting it needs is missing or
    invalid, or Telegram rejects the token."""
    token = check_token(settings)
    settings = check_rate_limit(
        settings.with_webhook(
            url=args.webhook_url,
            listen=args.listen,
            port=args.port,
            secret_token=args.secret_token,
        ).with_base_url(args.base_url)
    ).with_snapshot(args.snapshot)
    check_timezone(settings.timezone)
    check_watch_interval(settings)
    state_url = check_state_url(settings)
    snapshot = settings.corpus_snapshot
    if snapshot is None:
        require_database(settings)  # after the settings: a bad token is named first
    elif not snapshot.is_file():
        print(
            f"verbatim: no corpus snapshot at {snapshot} (VERBATIM_CORPUS_SNAPSHOT / "
            "--snapshot): publish one with `verbatim publish-snapshot SNAPDIR`",
            file=sys.stderr,
        )
        return EXIT_NOT_FOUND
    secrets = [settings.webhook_secret_token] if settings.webhook_secret_token else []
    redact = Redactor(token, secrets + state_url_secrets(state_url))
    install(redact)

    from telegram import Update
    from telegram.error import InvalidToken, TelegramError

    from bot.telegram.app import build_application
    from bot.telegram.fairness import FairnessLimits
    from store.state import StateUnavailable

    app = build_application(
        token,
        snapshot or settings.db_path,
        load_sample=settings.db_path_is_default and snapshot is None,
        base_url=settings.base_url,
        timezone=settings.timezone,
        limits=FairnessLimits(per_minute=settings.rate_per_minute, burst=settings.rate_burst),
        watch_seconds=settings.watch_seconds,
        state_url=state_url,
        state_where=state_url_hint(state_url) if state_url else "",
        snapshot_check_seconds=None if snapshot is None else settings.snapshot_check_seconds,
    )
    if snapshot is None:
        log.info("starting the bot with database %s", settings.db_path)
    else:
        log.info("starting the bot as a replica on the corpus snapshot %s", snapshot)
    try:
        if settings.webhook_url:
            run_webhook(app, plan_webhook(settings), allowed_updates=Update.ALL_TYPES)
        else:
            app.run_polling(allowed_updates=Update.ALL_TYPES)
    except InvalidToken:
        print(
            "verbatim: Telegram rejected the bot token (TELEGRAM_BOT_TOKEN): check it with "
            "@BotFather",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    except StateUnavailable as exc:
        print(f"verbatim: {redact(str(exc))}", file=sys.stderr)
        return EXIT_CONFIG
    except TelegramError as exc:
        message = redact(str(exc))
        print(f"verbatim: could not talk to the Telegram Bot API: {message}", file=sys.stderr)
        return EXIT_PARTIAL_FAILURE
    return EXIT_OK
