"""Keeping secrets out of logs and messages: the bot token and the webhook secret.

A secret can show up in other spellings than the one configured: inside a URL
(``https://api.telegram.org/bot<token>/getMe``), percent-encoded (``123%3AAbC…``), in
another case (a lower-cased URL), or only its part after the colon (a URL's password
field).  :class:`Redactor` matches all of these, case-insensitively, with each
character also allowed as its ``%XX`` escape, and replaces them with ``<token>`` /
``<secret>``.  :class:`RedactFilter` applies it to every log record a handler emits
(message, arguments, traceback, stack).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable


def _spelling(secret: str) -> str:
    """A regex matching ``secret`` with any character also written as its %XX escape."""
    out = []
    for char in secret:
        escapes = "".join(f"%{byte:02X}" for byte in char.encode())
        out.append(f"(?:{re.escape(char)}|{re.escape(escapes)})")
    return "".join(out)


class Redactor:
    """Replace the given secrets (and their spellings, see the module docstring)."""

    def __init__(self, token: str | None, others: Iterable[str] = ()) -> None:
        parts: list[tuple[str, str]] = []
        if token:
            parts.append((token, "<token>"))
            _, colon, key = token.partition(":")
            if colon and len(key) >= 16:  # the secret part alone (a URL's password field)
                parts.append((key, "<token>"))
        parts.extend((secret, "<secret>") for secret in others if len(secret) >= 8)
        self._labels = [label for _, label in parts]
        if parts:
            alternatives = "|".join(f"({_spelling(secret)})" for secret, _ in parts)
            self._pattern: re.Pattern[str] | None = re.compile(alternatives, re.IGNORECASE)
        else:
            self._pattern = None

    def __call__(self, text: str) -> str:
        """``text`` with every secret replaced by its label."""
        if self._pattern is None or not text:
            return text
        return self._pattern.sub(lambda m: self._labels[(m.lastindex or 1) - 1], text)


class RedactFilter(logging.Filter):
    """A handler filter that redacts secrets from each record; never drops one."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redact = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place."""
        try:
            text = record.getMessage()
        except (TypeError, ValueError):  # a malformed record: leave it to the handler
            return True
        redacted = self.redact(text)
        if redacted != text:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def install(redactor: Redactor, logger: logging.Logger | None = None) -> RedactFilter:
    """Add a :class:`RedactFilter` to every handler of ``logger`` (default: the root)."""
    log_filter = RedactFilter(redactor)
    for handler in (logger or logging.getLogger()).handlers:
        handler.addFilter(log_filter)
    return log_filter
