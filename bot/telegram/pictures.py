"""Sending quote pictures: drawn off the event loop, uploaded once, then sent by file_id.

:func:`send_picture` sends a :class:`~bot.core.views.QuotePicture` as a photo.  The first
time a picture is sent it is drawn (:func:`bot.core.picture.render_quote`: Pillow, tens
of milliseconds of CPU) in a worker thread and uploaded; Telegram's ``file_id`` of the
upload is kept in a :class:`PictureCache` under the picture's key, so a popular passage
is uploaded once and re-sent by reference afterwards.  A ``file_id`` Telegram refuses
(BadRequest) is dropped and the picture uploaded again.  Used by the card's "🖼 Picture"
button (:mod:`bot.telegram.handlers.chat`) and by ``/post --picture`` and picture
schedules (:mod:`bot.telegram.chat_access`), which share the Application's cache
(:attr:`bot.telegram.bot_data.BotData.pictures`).
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from telegram import Bot, InlineKeyboardMarkup, InputFile, Message, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.core.picture import render_quote
from bot.core.views import QuotePicture
from bot.telegram.render.common import picture_caption

log = logging.getLogger(__name__)

MAX_CACHED = 1_000  # file_ids kept; the least recently used goes first

_Send = Callable[[str | InputFile], Awaitable[Message]]


class PictureCache:
    """Telegram ``file_id`` s of uploaded pictures by picture key, at most ``size`` of
    them (least recently used dropped first), and one upload at a time per key."""

    def __init__(self, size: int = MAX_CACHED) -> None:
        self.size = size
        self._file_ids: OrderedDict[str, str] = OrderedDict()
        self._uploads: dict[str, tuple[asyncio.Lock, int]] = {}

    def __len__(self) -> int:
        return len(self._file_ids)

    def get(self, key: str) -> str | None:
        """The file_id of the picture ``key``, if it was uploaded (and not dropped)."""
        file_id = self._file_ids.get(key)
        if file_id is not None:
            self._file_ids.move_to_end(key)
        return file_id

    def put(self, key: str, file_id: str) -> None:
        """Remember the file_id of an upload."""
        self._file_ids[key] = file_id
        self._file_ids.move_to_end(key)
        while len(self._file_ids) > self.size:
            self._file_ids.popitem(last=False)

    def drop(self, key: str) -> None:
        """Forget a file_id (Telegram refused it)."""
        self._file_ids.pop(key, None)

    @asynccontextmanager
    async def uploading(self, key: str) -> AsyncIterator[None]:
        """Held while ``key`` is drawn and uploaded: a second request for the same picture
        waits, then finds its file_id instead of uploading it again."""
        lock, users = self._uploads.get(key, (asyncio.Lock(), 0))
        self._uploads[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._uploads[key]
            if users > 1:
                self._uploads[key] = (lock, users - 1)
            else:
                del self._uploads[key]


async def send_picture(
    bot: Bot,
    chat_id: int,
    picture: QuotePicture,
    cache: PictureCache,
    *,
    caption: str | None = None,
    reply_markup: InlineKeyboardMarkup | None = None,
    reply_parameters: ReplyParameters | None = None,
    thread_id: int | None = None,
) -> Message:
    """Send ``picture`` to ``chat_id`` as a photo captioned with its citation (or
    ``caption``, Telegram HTML); by its cached file_id when it was uploaded before.

    Telegram's errors other than a refused file_id pass to the caller."""
    position = picture.paragraph.position
    html = caption if caption is not None else picture_caption(picture.document, position)

    async def send(photo: str | InputFile) -> Message:
        return await bot.send_photo(
            chat_id=chat_id,
            photo=photo,
            caption=html,
            parse_mode=ParseMode.HTML,
            reply_markup=reply_markup,
            reply_parameters=reply_parameters,
            message_thread_id=thread_id,
        )

    if (file_id := cache.get(picture.key)) is None:
        async with cache.uploading(picture.key):
            if (file_id := cache.get(picture.key)) is None:  # not uploaded meanwhile
                return await _upload(send, picture, cache)
    try:
        return await send(file_id)
    except BadRequest as exc:
        log.info("Telegram refused a cached picture's file_id (%s): uploading it again", exc)
        cache.drop(picture.key)
    async with cache.uploading(picture.key):
        return await _upload(send, picture, cache)


async def _upload(send: _Send, picture: QuotePicture, cache: PictureCache) -> Message:
    """Draw ``picture`` in a worker thread, upload it, keep its file_id."""
    png = await asyncio.to_thread(
        render_quote, picture.paragraph.text, picture.spans, picture.citation, picture.footer
    )
    sent = await send(InputFile(png, filename=f"verbatim-{picture.paragraph.id}.png"))
    if sent.photo:
        cache.put(picture.key, sent.photo[-1].file_id)  # the largest size
    return sent
