"""One log line per handled update, with its latency.

Two ``TypeHandler`` s bracket the bot's own handlers: one in group -1 (first) notes the
time, one in the last group logs ``update <id> <kind> [<command>] <chat type>: <ms> ms``
after every other group has run (PTB runs the groups of one update in order, and a
handler that fails is reported to the error handler without stopping later groups).
Nothing the user typed is logged at INFO — only the command word, e.g. ``/q`` — and the
token never is.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from telegram import Update
from telegram.ext import Application, ContextTypes, TypeHandler

log = logging.getLogger("bot.updates")

FIRST_GROUP = -1
LAST_GROUP = 1_000_000
_MAX_PENDING = 10_000
_started: dict[int, float] = {}


def describe(update: Update) -> str:
    """``<kind> [<command>] <chat type>`` for an update, without any user text."""
    kind = next((name for name in _KINDS if getattr(update, name, None) is not None), "other")
    parts = [kind]
    message = update.message or update.edited_message or update.channel_post
    if message is not None and message.text and message.text.startswith("/"):
        parts.append(message.text.split(maxsplit=1)[0].split("@", 1)[0][:33])
    chat = update.effective_chat
    parts.append(chat.type if chat is not None else "-")
    return " ".join(parts)


_KINDS = (
    "message",
    "edited_message",
    "callback_query",
    "inline_query",
    "chosen_inline_result",
    "channel_post",
    "edited_channel_post",
    "my_chat_member",
    "chat_member",
)


async def _start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if len(_started) >= _MAX_PENDING:  # only if updates were stopped before the end hook
        _started.clear()
    _started[id(update)] = time.perf_counter()


async def _finish(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    started = _started.pop(id(update), None)
    if started is None:
        return
    elapsed_ms = (time.perf_counter() - started) * 1000
    log.info("update %d %s: %.1f ms", update.update_id, describe(update), elapsed_ms)
    if log.isEnabledFor(logging.DEBUG) and update.effective_message is not None:
        log.debug("update %d text: %r", update.update_id, update.effective_message.text)


def install(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add the timing handlers around the application's own handlers."""
    app.add_handler(TypeHandler(Update, _start), group=FIRST_GROUP)
    app.add_handler(TypeHandler(Update, _finish), group=LAST_GROUP)
