"""argparse types for the numbers ``verbatim`` options take.

ASCII digits only, inside a stated range: a value SQLite cannot hold (2**63 or more), a
negative one or an absurd one is a usage error (exit 2) that says what is allowed, never
a traceback from deep inside the search.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from bot.core.digits import parse_digits

MAX_SQLITE_INTEGER = 2**63 - 1


def whole_number(low: int, high: int, what: str = "", *, refusal: str = "") -> Callable[[str], int]:
    """An argparse ``type``: a whole number from ``low`` to ``high`` (both included);
    ``what`` names it in the error (default: the range), or ``refusal`` is the whole error,
    with ``{text!r}`` for the text refused."""
    allowed = what or f"a whole number from {low} to {high}"
    refusal = refusal or f"must be {allowed}, not {{text!r}}"

    def parse(text: str) -> int:
        value = parse_digits(text, len(str(high)))
        if value is None or not low <= value <= high:
            raise argparse.ArgumentTypeError(refusal.format(text=text))
        return value

    return parse


MAX_HITS = 1000  # search --limit
MAX_CONTEXT = 1000  # show --context: neighbours each side

hit_count = whole_number(1, MAX_HITS)
context_count = whole_number(0, MAX_CONTEXT)
document_id = whole_number(
    1, MAX_SQLITE_INTEGER, "a document id (a whole number from 1 to 2**63 - 1)"
)
paragraph_id = whole_number(1, MAX_SQLITE_INTEGER, refusal="not a paragraph id: {text!r}")
