"""Reading a whole number that a user typed or a client sent back (ids, offsets, list
numbers): ASCII digits only, so ``"²"``, ``"١٢"``, ``"+1"``, ``" 1"`` or ``"1e3"`` are not
numbers here, and a length cap keeps absurd values out before ``int()`` sees them."""

from __future__ import annotations


def parse_digits(text: str, max_digits: int | None) -> int | None:
    """The number ``text`` writes in ASCII digits (at most ``max_digits`` of them, any
    number when ``None``), or ``None`` for anything else, the empty string included."""
    if max_digits is not None and len(text) > max_digits:
        return None
    if not text.isascii() or not text.isdigit():
        return None
    return int(text)
