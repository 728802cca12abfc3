"""What the bot does, whatever it talks through: plain values and rules, no Telegram.

:mod:`~bot.core.service` answers searches, navigation, random passages, sources and
stats with the values of :mod:`~bot.core.views`; its parts: :mod:`~bot.core.filtering`
(the filters typed among a query's words), :mod:`~bot.core.queries` (the queries that
buttons refer to by id) and :mod:`~bot.core.browsing` (/sources, /stats, examples).
Quote pictures: :mod:`~bot.core.picture` (drawing them) and :mod:`~bot.core.fonts` (the
fonts they use); :mod:`~bot.core.excerpts` cuts a long passage around its matched words,
for the pictures and the Telegram messages alike.  Posting to channels and groups:
:mod:`~bot.core.posting` (the service and its workflows: link, post, schedule, a
scheduled run), :mod:`~bot.core.schedule_runs` (when a schedule's daily run is due,
and what one run did), :mod:`~bot.core.access` (who may do what in a chat, and the
:class:`~bot.core.access.ChatGateway` the Telegram side implements) and
:mod:`~bot.core.posting_args` (reading the commands' arguments).  /watch:
:mod:`~bot.core.watching` (watches and the check that sends their new answers).
:mod:`~bot.core.citation` writes citations and deep links; :mod:`~bot.core.digits`
reads the numbers users and clients send.  Nothing here imports ``telegram``: the
Telegram side (:mod:`bot.telegram`), the terminal chat and the CLI all build on it.
"""
