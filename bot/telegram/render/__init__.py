"""All Telegram HTML the bot sends, and nowhere else: one module per kind of answer.

:mod:`~bot.telegram.render.common` — what they share (escaping, the paragraph with its
matched words, the citation footer, the message type);
:mod:`~bot.telegram.render.chat` — the result card and the chat commands' answers;
:mod:`~bot.telegram.render.inline` — inline results; :mod:`~bot.telegram.render.posting`
— posts to channels and groups and the answers of ``/channel``, ``/post``, ``/schedule``;
:mod:`~bot.telegram.render.watch` — the alerts of ``/watch`` and its answers.
"""
