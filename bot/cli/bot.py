"""``verbatim run``: start the Telegram bot (long polling, or webhook mode with the
webhook flags).

The token comes from :class:`~bot.settings.Settings` (``TELEGRAM_BOT_TOKEN``, checked by
:func:`~bot.settings.check_token`) and is never printed or logged: a logging filter
replaces it wherever it would appear.  Telegram imports stay inside the handler so other
subcommands start fast.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from bot.cli.common import (
    EXIT_CONFIG,
    EXIT_OK,
    EXIT_PARTIAL_FAILURE,
    add_db_argument,
    require_database,
)
from bot.settings import Settings, check_token
from bot.telegram.webhook import plan_webhook, run_webhook

log = logging.getLogger(__name__)


def register(sub: Any) -> None:
    """Add ``run`` to the ``verbatim`` parser."""
    p = sub.add_parser(
        "run",
        help="start the Telegram bot (needs TELEGRAM_BOT_TOKEN)",
        description="Start the Telegram bot with long polling. The token is read from "
        "TELEGRAM_BOT_TOKEN. With the default database, the bundled sample speech is "
        "loaded when the database is empty.",
    )
    add_db_argument(p)
    p.add_argument(
        "--base-url",
        metavar="URL",
        help="Bot API server, e.g. http://127.0.0.1:8081 for a self-hosted telegram-bot-api "
        "(default: $TELEGRAM_BASE_URL, else Telegram's)",
    )
    add_webhook_arguments(p)
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
        help="webhook listener address (default: $VERBATIM_WEBHOOK_LISTEN, else 127.0.0.1)",
    )
    parser.add_argument(
        "--port",
        type=int,
        metavar="N",
        help="webhook listener port (default: $VERBATIM_WEBHOOK_PORT, else 8443)",
    )
    parser.add_argument(
        "--secret-token",
        metavar="T",
        help="secret Telegram must send in X-Telegram-Bot-Api-Secret-Token (default: "
        "$VERBATIM_WEBHOOK_SECRET_TOKEN, else a random one per start)",
    )


class RedactToken(logging.Filter):
    """Replace the bot token in log records (messages, arguments, tracebacks)."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; never drops it."""
        try:
            text = record.getMessage()
        except (TypeError, ValueError):  # a malformed record: leave it to the handler
            return True
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if self.token in text:
            record.msg, record.args = text.replace(self.token, "<token>"), None
        if record.exc_text and self.token in record.exc_text:
            record.exc_text = record.exc_text.replace(self.token, "<token>")
        return True


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Run the bot until interrupted; exit code 4 when the token is missing or rejected."""
    token = check_token(settings)
    settings = settings.with_webhook(
        url=args.webhook_url,
        listen=args.listen,
        port=args.port,
        secret_token=args.secret_token,
    ).with_base_url(args.base_url)
    require_database(settings)  # after the settings: a bad token is named first
    redact = RedactToken(token)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)

    from telegram import Update
    from telegram.error import InvalidToken, TelegramError

    from bot.telegram.app import build_application

    app = build_application(
        token,
        settings.db_path,
        load_sample=settings.db_path_is_default,
        base_url=settings.base_url,
        timezone=settings.timezone,
    )
    log.info("starting the bot with database %s", settings.db_path)
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
    except TelegramError as exc:
        message = str(exc).replace(token, "<token>")
        print(f"verbatim: could not talk to the Telegram Bot API: {message}", file=sys.stderr)
        return EXIT_PARTIAL_FAILURE
    return EXIT_OK
