"""Verbatim's bot side: settings, the ``verbatim`` command, and the bot itself.

:mod:`bot.settings` reads and validates every setting; :mod:`bot.cli` is the command
line; :mod:`bot.core` is what the bot does (search answers, posting rules), with no
Telegram in it; :mod:`bot.telegram` is the python-telegram-bot Application (handlers,
rendering, jobs); :mod:`bot.terminal` is ``verbatim chat``, the same bot in a terminal.
"""
