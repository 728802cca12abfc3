"""The Telegram side: the python-telegram-bot Application and everything that talks to
the Bot API.

:mod:`~bot.telegram.app` builds the Application (handlers, start-up, shutdown);
:mod:`~bot.telegram.handlers` turns updates into calls of :mod:`bot.core` and sends what
:mod:`~bot.telegram.render` makes of the answers (all Telegram HTML is made there);
:mod:`~bot.telegram.jobs` runs the posting schedules on PTB's JobQueue;
:mod:`~bot.telegram.chat_access` asks Telegram about chats and posts to them (the
Telegram side of :class:`bot.core.access.ChatGateway`); :mod:`~bot.telegram.bot_data` is
the Application's typed state.  Also here: :mod:`~bot.telegram.callback_data` (the
buttons' data), :mod:`~bot.telegram.webhook` (webhook mode),
:mod:`~bot.telegram.update_log` (one log line per update),
:mod:`~bot.telegram.inprocess_request` (the Bot API answered in-process, for the terminal
chat, the inline benchmark and the tests) and :mod:`~bot.telegram.inline_bench`.
/watch alerts are sent by :mod:`~bot.telegram.watch_alerts`, from a job in
:mod:`~bot.telegram.jobs`.
"""
