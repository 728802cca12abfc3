"""Webhook mode for ``verbatim run``: the listener configured from Settings.

Telegram POSTs each update to the webhook URL; a reverse proxy terminates TLS and passes
the request to the listener (:mod:`bot.telegram.webhook_server`).  The listener serves
exactly the URL's path and, since a secret token is always set (the configured one, else
a random one made at start), answers 403 to every request whose
``X-Telegram-Bot-Api-Secret-Token`` header does not match — before reading its body,
whose size it caps.  The ``run`` flags that set these are declared in
:mod:`bot.cli.bot`; their values are validated by :mod:`bot.settings`.  The log shows
the webhook URL's scheme and host only: its path may hold the token.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from bot.settings import Settings, SettingsError, url_hint

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class WebhookPlan:
    """Everything ``run_webhook`` needs, resolved from settings."""

    url: str
    listen: str
    port: int
    url_path: str
    secret_token: str
    secret_is_random: bool


def plan_webhook(settings: Settings) -> WebhookPlan:
    """Resolve the webhook settings (the URL must be set); make a secret if none is given."""
    if not settings.webhook_url:
        raise SettingsError("webhook mode needs a webhook URL (--webhook-url)")
    path = urlsplit(settings.webhook_url).path.strip("/")
    secret = settings.webhook_secret_token
    return WebhookPlan(
        url=settings.webhook_url,
        listen=settings.webhook_listen,
        port=settings.webhook_port,
        url_path=path,
        secret_token=secret or secrets.token_urlsafe(32),
        secret_is_random=not secret,
    )


def run_webhook(app: Any, plan: WebhookPlan, allowed_updates: list[str]) -> None:
    """Register the webhook with Telegram and serve updates until interrupted."""
    from bot.telegram import webhook_server  # Tornado and PTB: only when the bot runs

    log.info(
        "webhook mode: listening on %s:%d, webhook URL %s, %s secret token",
        plan.listen,
        plan.port,
        url_hint(plan.url),
        "a random" if plan.secret_is_random else "the configured",
    )
    asyncio.run(
        webhook_server.serve(
            app,
            listen=plan.listen,
            port=plan.port,
            url_path=plan.url_path,
            webhook_url=plan.url,
            secret_token=plan.secret_token,
            allowed_updates=allowed_updates,
        )
    )
