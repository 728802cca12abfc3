"""Photos in the fake Bot API: what Telegram does with an uploaded picture.

Telegram checks an upload (a PNG, JPEG or WebP within its photo limits: at most 10 MB,
width + height at most 10000, sides at most 20 to 1), stores it in several sizes and
answers with one ``PhotoSize`` per size (``file_id``, ``file_unique_id``, ``width``,
``height``, ``file_size``; the largest last).  Any of those ``file_id`` sends the same
photo again without an upload; an unknown one is refused.  :class:`FakePhotos` keeps
that state for :class:`fake_bot_messages.FakeMessages` (``sendPhoto``); the fake reads
PNG headers only (the bot sends PNGs).
"""

from __future__ import annotations

import itertools
import struct
import threading
from typing import Any

from bot.telegram.inprocess_request import BotApiError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTO_SIDES = 10000  # width + height
MAX_PHOTO_RATIO = 20  # the long side to the short one
SIZE_LIMITS = (90, 320, 800, 1280, 2560)  # Telegram's s, m, x, y, w boxes
WRONG_FILE_ID = "Bad Request: wrong file identifier/HTTP URL specified"


def png_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG's IHDR chunk, or ``None`` when it is no PNG."""
    if len(data) < 24 or not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def photo_problem(data: bytes) -> str | None:
    """Why Telegram would refuse ``data`` as a photo (its error description), or ``None``
    when the upload is within its limits."""
    if len(data) > MAX_PHOTO_BYTES:
        return "Bad Request: file is too big"
    size = png_size(data)
    if size is None:
        return "Bad Request: IMAGE_PROCESS_FAILED"
    width, height = size
    too_long = max(width, height) > MAX_PHOTO_RATIO * min(width, height)
    if width + height > MAX_PHOTO_SIDES or too_long:
        return "Bad Request: PHOTO_INVALID_DIMENSIONS"
    return None


class FakePhotos:
    """Uploaded photos by file_id; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._by_file_id: dict[str, list[dict[str, Any]]] = {}
        self.uploads: list[bytes] = []  # every photo uploaded, in order

    def upload(self, data: bytes) -> list[dict[str, Any]]:
        """Check and store an uploaded photo; its PhotoSize list (raises BotApiError)."""
        problem = photo_problem(data)
        if problem is not None:
            raise BotApiError(400, problem)
        size = png_size(data)
        assert size is not None  # photo_problem has read it
        width, height = size
        with self._lock:
            self.uploads.append(data)
            number = next(self._ids)
            sizes: list[dict[str, Any]] = []
            for n, limit in enumerate(SIZE_LIMITS):
                scale = min(1.0, limit / max(width, height))
                w, h = max(1, round(width * scale)), max(1, round(height * scale))
                sizes.append(
                    {
                        "file_id": f"AgACAgIAAxkBAAI{number:05d}{'smxyw'[n]}",
                        "file_unique_id": f"AQAD{number:05d}{'smxyw'[n]}",
                        "width": w,
                        "height": h,
                        "file_size": max(1, round(len(data) * scale * scale)),
                    }
                )
                if scale == 1.0:
                    break
            for photo_size in sizes:
                self._by_file_id[photo_size["file_id"]] = sizes
        return [dict(s) for s in sizes]

    def resend(self, file_id: str) -> list[dict[str, Any]]:
        """The PhotoSize list of a photo sent again by ``file_id`` (raises BotApiError)."""
        with self._lock:
            sizes = self._by_file_id.get(file_id)
        if sizes is None:
            raise BotApiError(400, WRONG_FILE_ID)
        return [dict(s) for s in sizes]

    def forget(self, file_id: str) -> None:
        """Make Telegram refuse ``file_id`` from now on (as after a file expired)."""
        with self._lock:
            sizes = self._by_file_id.get(file_id, [])
            for photo_size in sizes:
                self._by_file_id.pop(photo_size["file_id"], None)
