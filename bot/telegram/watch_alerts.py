"""Sending /watch alerts through Telegram: the :class:`~bot.core.watching.AlertSender` of
:class:`~bot.core.watching.WatchService`.

An alert goes to its watch's chat as a message of its own (rendered by
:mod:`bot.telegram.render.watch`), following a group that became a supergroup.
Telegram's answers become :class:`~bot.core.watching.AlertFailed`: blocked, kicked or
a chat that is gone (``Forbidden``, or a refusal that means the bot lost its rights)
stop the chat's watches; a refusal of this one message is skipped; anything else (429
after the retries, 5xx, network) leaves the alert for the next check.
"""

from __future__ import annotations

from telegram import Bot, Message
from telegram.error import BadRequest, ChatMigrated, Forbidden, TelegramError

from bot.core.watching import Alert, AlertFailed, MoreAlerts
from bot.telegram.chat_access import means_lost_rights
from bot.telegram.render.common import NO_PREVIEW, RenderedMessage
from bot.telegram.render.watch import render_alert, render_more_alerts


class TelegramAlerts:
    """Sends alerts with ``bot``."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def deliver(self, alert: Alert | MoreAlerts) -> int:
        """Send one alert to its watch's chat; returns the chat it went to."""
        if isinstance(alert, Alert):
            rendered = render_alert(alert, self.bot.username)
        else:
            rendered = render_more_alerts(alert)
        chat_id = alert.watch.chat_id
        try:
            try:
                message = await self._send(chat_id, rendered)
            except ChatMigrated as exc:
                message = await self._send(exc.new_chat_id, rendered)
        except ChatMigrated:
            raise AlertFailed("the group moved twice", chat_gone=True) from None
        except Forbidden as exc:
            raise AlertFailed(str(exc), chat_gone=True) from None
        except BadRequest as exc:
            if means_lost_rights(exc):
                raise AlertFailed(str(exc), chat_gone=True) from None
            raise AlertFailed(str(exc)) from None
        except TelegramError as exc:
            raise AlertFailed(str(exc), retry=True) from None
        return message.chat_id

    async def _send(self, chat_id: int, rendered: RenderedMessage) -> Message:
        return await self.bot.send_message(
            chat_id=chat_id,
            text=rendered.text,
            parse_mode=rendered.parse_mode,
            reply_markup=rendered.reply_markup,
            link_preview_options=NO_PREVIEW,
        )
