"""What the bot does, whatever it talks through: plain values and rules, no Telegram.

:mod:`~bot.core.service` answers searches, navigation, random passages, sources and
stats with the values of :mod:`~bot.core.views`; :mod:`~bot.core.posting` holds the
rules and the service of posting to channels and groups.  :mod:`~bot.core.citation`
writes citations; :mod:`~bot.core.digits` reads the numbers users and clients send.
Nothing here imports ``telegram``: the Telegram side (:mod:`bot.telegram`), the terminal
chat and the CLI all build on it.
"""
