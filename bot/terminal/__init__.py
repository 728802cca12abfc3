"""``verbatim chat``: the bot in a terminal, with no token and no network.

The very Application ``verbatim run`` starts, its Bot API answered in this process:
:mod:`~bot.terminal.session` runs the conversation (:func:`~bot.terminal.session.run_chat`),
:mod:`~bot.terminal.chat` plays Telegram for one private chat (keeps the messages, shows
what the bot sends), :mod:`~bot.terminal.render` turns Telegram HTML and keyboards into
terminal text.
"""
