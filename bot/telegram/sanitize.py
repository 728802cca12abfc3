"""Text that cannot be encoded, made harmless at the bot's boundary.

JSON may carry ``"\\ud800"``: a lone UTF-16 surrogate, which Python keeps in a ``str``
but which no UTF-8 encoder accepts — saving such a query or sending it back to Telegram
would raise.  Invalid UTF-8 bytes in a request body are decoded with U+FFFD (see
:mod:`bot.telegram.webhook_server`); lone surrogates are replaced here, in every string
of an update, before any handler sees it.
"""

from __future__ import annotations

import re
from typing import Any

from telegram import Update

REPLACEMENT = "\ufffd"
_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """``text`` with each lone surrogate replaced by U+FFFD (same length in code points
    and in UTF-16 units, so message entity offsets stay right)."""
    return _SURROGATE.sub(REPLACEMENT, text)


def has_surrogates(value: Any) -> bool:
    """Whether a JSON-like value holds a lone surrogate in any string (keys included)."""
    if isinstance(value, str):
        return _SURROGATE.search(value) is not None
    if isinstance(value, dict):
        return any(has_surrogates(k) or has_surrogates(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(has_surrogates(v) for v in value)
    return False


def clean_value(value: Any) -> Any:
    """A JSON-like value with :func:`clean_text` applied to every string."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_value(k): clean_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_value(v) for v in value]
    return value


def clean_update(update: Update) -> Update | None:
    """A copy of ``update`` without lone surrogates, or ``None`` when it has none."""
    data = update.to_dict()
    if not has_surrogates(data):
        return None
    try:
        bot = update.get_bot()
    except RuntimeError:  # an update made without a bot (tests)
        bot = None
    return Update.de_json(clean_value(data), bot)
