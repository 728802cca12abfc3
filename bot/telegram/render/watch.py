"""Telegram HTML for /watch: the alerts, and the answers of /watch, /watch list and
/watch remove.

An alert in a private chat is the result card (the same paragraph, footer, confidence
and buttons as :func:`~bot.telegram.render.chat.render_card`) under a line "🔔 New in
<title>: your watch “…”"; an alert in a channel or group is the posted card of
:mod:`~bot.telegram.render.posting` (one URL button, no ◀ ▶) under "🔔 New in <title>".
Every string from users or the corpus goes through ``esc``.
"""

from __future__ import annotations

from bot.core.watching import Alert, MoreAlerts, StoppedWatch
from bot.telegram.render.chat import render_card
from bot.telegram.render.common import (
    RenderedMessage,
    clip,
    esc,
    fit_lines,
    plural,
    render_text,
)
from bot.telegram.render.posting import chat_label, render_channel_card
from store import Watch

HEAD_TITLE = 100  # characters of the document's title in an alert's first line
HEAD_QUERY = 80  # characters of the watch's words there

WATCH_USAGE = render_text(
    "/watch words — tell me when a new speech or document answers these words (filters "
    "such as from:2012 by:NAME in:NAME work as with /q)\n"
    "/watch @name words — the same, posted to a channel or group you linked with "
    "/channel add\n"
    "/watch list — your watches\n"
    "/watch remove N — stop watch N of the list"
)
PRIVATE_ONLY = render_text(
    "Use /watch in a private chat with me: alerts come there (or to a channel you "
    "administer: /watch @name words)."
)


def _quoted(query: str) -> str:
    return f"“<i>{esc(clip(query, HEAD_QUERY))}</i>”"


def alert_heading(alert: Alert) -> str:
    """The first line of an alert in a private chat (HTML)."""
    title = esc(clip(alert.card.document.title, HEAD_TITLE))
    return f"🔔 New in <b>{title}</b>: your watch {_quoted(alert.watch.query)}"


def render_alert(alert: Alert, bot_username: str | None) -> RenderedMessage:
    """An alert: the first line, then the card (in a channel or group, the posted card)."""
    card = alert.card
    if alert.watch.chat_type != "private":
        heading = f"🔔 New in {clip(card.document.title, HEAD_TITLE)}"
        return render_channel_card(card, bot_username, heading)
    return render_card(card, bot_username, heading=alert_heading(alert))


def render_more_alerts(more: MoreAlerts) -> RenderedMessage:
    """More new documents answer the watch than one check sends as cards."""
    documents = plural(more.documents, "more new document")
    return RenderedMessage(
        f"🔔 And {documents} answer {_quoted(more.watch.query)}: search with "
        f"<code>/q {esc(clip(more.watch.query, HEAD_QUERY))}</code>."
    )


def _target(watch: Watch) -> str:
    if watch.chat_type == "private":
        return "here"
    return f"to {chat_label(watch.chat_title, watch.chat_username)}"


def render_watch_added(watch: Watch, count: int, notice: str | None) -> RenderedMessage:
    """A new watch: what it watches, where alerts go, how to stop it."""
    head = f"<i>{esc(notice)}</i>\n" if notice else ""
    return RenderedMessage(
        f"{head}Watching {_quoted(watch.query)}: when a new document answers it, I send "
        f"it {_target(watch)}. Watch {count} of your list; stop it with "
        f"<code>/watch remove {count}</code>."
    )


def render_watches(watches: list[Watch]) -> RenderedMessage:
    """The owner's watches, numbered as /watch remove takes them."""
    if not watches:
        return RenderedMessage(
            "No watches yet. <code>/watch words</code> tells you when a new document answers them."
        )
    lines = ["<b>Your watches</b>"]
    for n, watch in enumerate(watches, 1):
        state = "" if watch.enabled else " · <i>stopped</i>"
        if not watch.enabled and watch.last_error:
            state += f": {esc(clip(watch.last_error, 80))}"
        lines.append(f"{n}. {_quoted(watch.query)} → {_target(watch)}{state}")
    return RenderedMessage(fit_lines("\n".join(lines)))


def render_watch_removed(watch: Watch) -> RenderedMessage:
    """A watch was removed."""
    return RenderedMessage(f"Stopped watching {_quoted(watch.query)} ({_target(watch)}).")


def render_watch_stopped(stopped: StoppedWatch) -> RenderedMessage:
    """To the owner: a channel or group watch was switched off."""
    watch = stopped.watch
    label = chat_label(watch.chat_title, watch.chat_username)
    if stopped.demoted:
        why = "you are no longer an administrator there who may post"
    else:
        why = f"I can't post there any more (<i>{esc(clip(stopped.reason, 200))}</i>)"
    return RenderedMessage(
        f"I stopped your watch {_quoted(watch.query)} for {label}: {why}. "
        "Remove it with /watch list and /watch remove N."
    )
