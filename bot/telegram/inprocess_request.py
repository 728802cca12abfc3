"""A python-telegram-bot request layer that answers Bot API calls in this process.

``verbatim chat``, the inline benchmark and the tests all run the real Application
with its HTTP layer replaced: PTB hands every Bot API call to a ``BaseRequest``, and
:class:`InProcessRequest` answers it by calling :meth:`InProcessRequest.answer`
instead of the network, wrapping the result the way Telegram does
(``{"ok": true, "result": ...}`` or an error with a status code and description).
"""

from __future__ import annotations

import json
from abc import abstractmethod
from typing import Any

from telegram.request import BaseRequest, RequestData


class BotApiError(Exception):
    """An error answer: the HTTP status and Telegram's description."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


class InProcessRequest(BaseRequest):
    """Base of the in-process request layers; subclasses implement :meth:`answer`."""

    @property
    def read_timeout(self) -> float | None:
        """Nothing waits on a network."""
        return 1.0

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    @abstractmethod
    async def answer(self, method: str, request_data: RequestData | None, url: str) -> Any:
        """The result of Bot API ``method`` (JSON-able), or raise :class:`BotApiError`."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        """Answer one call as Telegram's HTTP API would."""
        api_method = url.rstrip("/").rsplit("/", 1)[-1]
        try:
            result = await self.answer(api_method, request_data, url)
        except BotApiError as exc:
            body = {"ok": False, "error_code": exc.code, "description": exc.description}
            return exc.code, json.dumps(body).encode()
        return 200, json.dumps({"ok": True, "result": result}).encode()
