"""Telegram update handlers, thin: read the update, call :mod:`bot.core`, render, send.

:mod:`~bot.telegram.handlers.chat` — commands and buttons in chats (``/q`` is
:func:`~bot.telegram.handlers.chat.quote`); :mod:`~bot.telegram.handlers.inline` — inline
mode; :mod:`~bot.telegram.handlers.posting` — ``/channel``, ``/post`` and ``/schedule``;
:mod:`~bot.telegram.handlers.watch` — ``/watch``.
"""
