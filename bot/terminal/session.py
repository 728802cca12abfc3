"""``verbatim chat`` (:func:`run_chat`): the conversation loop, typed lines in, updates
to the bot out.

Builds the bot's Application exactly as ``verbatim run`` does (:mod:`bot.telegram.app`),
with the Bot API answered by :class:`~bot.terminal.chat.TerminalBotApi`, and feeds it
updates with ``process_update``: messages for typed lines, callback queries for button
presses, inline queries for ``@ words``, and the chosen result of an inline query.
While the chat runs it looks for /watch alerts of its own chat every
``VERBATIM_WATCH_SECONDS`` (:meth:`ChatSession.look_for_alerts`); the bot's other jobs
(scheduled posts, other chats' watches) are left to ``verbatim run``, which can reach
their chats.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sys
from typing import Any, TextIO

from bot.core.digits import parse_digits
from bot.settings import Settings
from bot.telegram.app import build_application, running
from bot.telegram.bot_data import bot_data_of
from bot.telegram.render.common import plural
from bot.terminal.chat import (
    BOT_USERNAME,
    CHAT_ID,
    TOKEN,
    Choice,
    TerminalBotApi,
    TerminalView,
    as_html,
    as_update,
    deep_link_start,
    parse_inline,
    update_json,
    user_message,
)
from bot.terminal.render import html_to_terminal

log = logging.getLogger(__name__)

HELP = (
    "Verbatim chat: the bot as it answers on Telegram, in this terminal (no token needed).\n"
    "Type what you remember to search, /help for commands, '@ words' for an inline query,\n"
    "a number to press that button. Ctrl-D (or /exit) ends the chat."
)
PROMPT = "you> "  # before each line typed at a terminal
MAX_BUTTON_DIGITS = 9  # a longer line of digits is sent as a message


def run_chat(settings: Settings, *, plain: bool = False) -> int:
    """Run the terminal conversation until end of input; return the exit code."""
    if settings.log_level == "INFO":  # INFO lines would interleave with the conversation
        logging.getLogger().setLevel(logging.WARNING)
    ansi = sys.stdout.isatty() and not plain
    session = ChatSession(settings, TerminalView(sys.stdout, ansi))
    return asyncio.run(session.run(sys.stdin))


class ChatSession:
    """One terminal conversation with the bot over the configured database."""

    def __init__(self, settings: Settings, view: TerminalView) -> None:
        self.settings = settings
        self.view = view
        self.api = TerminalBotApi(view)
        self.api.on_press = self.press
        self.api.on_results = self.show_results
        self.app = build_application(
            TOKEN,
            settings.db_path,
            load_sample=settings.db_path_is_default,
            request=self.api,
            get_updates_request=self.api,
            rate_limit=False,
        )
        self._inline_ids = 0
        self._last_query = ""
        self._interactive = False  # lines typed at a terminal (a prompt is shown)
        self._waiting = False  # ... and the prompt is waiting for one

    async def run(self, stdin: TextIO) -> int:
        """Read lines until end of input, handing each to the bot; return the exit code."""
        async with running(self.app):
            await self._banner()
            alerts = asyncio.create_task(self._look_for_alerts_every(self.settings.watch_seconds))
            try:
                interactive = self._interactive = stdin.isatty()
                while True:
                    self._waiting = True  # for a line: an alert now redraws the prompt
                    line = await asyncio.to_thread(_read_line, stdin, interactive)
                    self._waiting = False
                    if line is None or line.strip() == "/exit":
                        break
                    if not interactive:
                        print(f"you: {line}", file=self.view.out)
                    await self.handle(line.strip())
            finally:
                alerts.cancel()
                await asyncio.gather(alerts, return_exceptions=True)
        return 0

    async def look_for_alerts(self) -> int:
        """One look for this chat's /watch alerts (as the bot's watch job looks for every
        chat's): new answers are shown as the bot's messages; returns how many were sent."""
        report = await bot_data_of(self.app.bot_data).watching.check(chat_id=CHAT_ID)
        if report.alerts:  # it arrived between two lines the user typed: say what changed
            self.view.note("a /watch alert arrived: the numbers now press its buttons")
            if self._interactive and self._waiting:  # the prompt scrolled away above it
                print(PROMPT, end="", file=self.view.out, flush=True)
        return report.alerts

    async def _look_for_alerts_every(self, seconds: float) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                await self.look_for_alerts()
            except Exception:  # a failed look must not end the chat: the next one retries
                log.exception("looking for /watch alerts failed")

    async def _banner(self) -> None:
        stats = await bot_data_of(self.app.bot_data).service.stats()
        print(HELP, file=sys.stderr)
        print(
            f"Database: {self.settings.db_path} ({plural(stats.documents, 'document')}, "
            f"{plural(stats.paragraphs, 'paragraph')})",
            file=sys.stderr,
        )
        if stats.documents == 0:
            print("It is empty: add speeches with `verbatim ingest PATH`.", file=sys.stderr)

    async def handle(self, line: str) -> None:
        """Act on one typed line: press a button, run an inline query, or send a message."""
        if not line:
            return
        number = parse_digits(line, MAX_BUTTON_DIGITS)  # "²" is text, not button 2
        if number is not None and self.view.choices:
            if not 1 <= number <= len(self.view.choices):
                self.view.note(f"there is no button {number}: choose 1-{len(self.view.choices)}")
                return
            choice = self.view.choices[number - 1]
            self.view.note(f"pressed [{number}] {choice.label}")
            await choice.pick()
            return
        query = parse_inline(line)
        if query is not None:
            await self.inline(query)
            return
        await self.send_text(line)

    async def send_text(self, text: str) -> None:
        """The user sends ``text`` to the bot in the private chat."""
        await self.process("message", user_message(self.api, text))

    async def process(self, kind: str, payload: dict[str, Any]) -> list[str]:
        """Feed one update to the bot; return the Bot API methods it called meanwhile."""
        before = len(self.api.calls)
        await self.app.process_update(as_update(self.app, update_json(self.api, kind, payload)))
        return self.api.calls[before:]

    async def press(self, msg: dict[str, Any], button: dict[str, Any]) -> None:
        """Press ``button`` of message ``msg``, as the Telegram app would."""
        if "callback_data" in button:
            query: dict[str, Any] = {
                "id": str(len(self.api.calls) + 1),
                "from": self.api.user,
                "chat_instance": "42",
                "data": button["callback_data"],
            }
            if "_inline_id" in msg:
                query["inline_message_id"] = msg["_inline_id"]
            else:
                query["message"] = {k: v for k, v in msg.items() if not k.startswith("_")}
            if "answerCallbackQuery" not in await self.process("callback_query", query):
                self.view.note("the bot did not answer the button press")
        elif "url" in button:
            start = deep_link_start(button["url"])
            self.view.note(f"link {button['url']}" + (f" opens the bot: {start}" if start else ""))
            if start:
                await self.send_text(start)
        elif "switch_inline_query" in button or "switch_inline_query_current_chat" in button:
            query_text = button.get("switch_inline_query")
            if query_text is None:
                query_text = button.get("switch_inline_query_current_chat")
            await self.inline(str(query_text or ""))
        else:
            self.view.note("this kind of button does nothing in verbatim chat")

    async def inline(self, query: str, offset: str = "") -> None:
        """Type ``@bot query`` in the chat: an inline query; results become choices."""
        self.view.note(f"inline query: @{BOT_USERNAME} {query}".rstrip())
        self._last_query = query
        self._inline_ids += 1
        payload = {
            "id": f"iq{self._inline_ids}",
            "from": self.api.user,
            "query": query,
            "offset": offset,
            "chat_type": "private",
        }
        if "answerInlineQuery" not in await self.process("inline_query", payload):
            self.view.note("the bot did not answer the inline query")

    def show_results(self, params: dict[str, Any]) -> None:
        """Print the results of an answerInlineQuery call as numbered choices."""
        results: list[dict[str, Any]] = list(params.get("results") or [])
        choices = []
        out = self.view.out
        print(self.view.style(f"inline results ({len(results)}):"), file=out)
        for n, result in enumerate(results, start=1):
            title = html_to_terminal(str(result.get("title", result.get("type", "?"))), ansi=False)
            description = str(result.get("description") or "").replace("\n", " ")
            line = f"  [{n}] {title}" + (f" — {description}" if description else "")
            print(line, file=out)
            choices.append(Choice(title, functools.partial(self.choose, result)))
        if params.get("next_offset"):
            offset = str(params["next_offset"])
            print(f"  [{len(choices) + 1}] more results", file=out)
            choices.append(Choice("more results", lambda: self.inline(self._last_query, offset)))
        button = params.get("button") or {}
        if button.get("start_parameter"):
            start = f"/start {button['start_parameter']}"
            print(f"  [{len(choices) + 1}] {button.get('text', start)}", file=out)
            choices.append(Choice(str(button.get("text")), lambda: self.send_text(start)))
        if not results:
            self.view.note("no results")
        out.flush()
        self.view.choices = choices

    async def choose(self, result: dict[str, Any]) -> None:
        """Pick an inline result: it is sent to the chat via the bot, buttons and all."""
        content = result.get("input_message_content") or {}
        if "message_text" not in content:
            self.view.note(f"a {result.get('type')} result cannot be shown in the terminal")
            return
        params = {"text": content["message_text"], "parse_mode": content.get("parse_mode")}
        html = as_html(params)
        inline_id = f"inline-{self._inline_ids}-{result.get('id')}"
        extra = {"via_bot": self.api.bot_user, "_html": html, "_inline_id": inline_id}
        if result.get("reply_markup"):
            extra["reply_markup"] = result["reply_markup"]
        msg = self.api.new_message(self.api.user, html_to_terminal(html, ansi=False), **extra)
        self.api.messages[inline_id] = msg
        self.api.display(msg, f"you (via @{BOT_USERNAME}):")
        visible = {k: v for k, v in msg.items() if not k.startswith("_")}
        await self.process("message", visible)
        chosen = {
            "result_id": str(result.get("id")),
            "from": self.api.user,
            "query": self._last_query,
            "inline_message_id": inline_id,
        }
        await self.process("chosen_inline_result", chosen)


def _read_line(stdin: TextIO, interactive: bool) -> str | None:
    if interactive:
        try:
            return input(PROMPT)
        except EOFError:
            print(file=sys.stderr)
            return None
    line = stdin.readline()
    return line.rstrip("\n") if line else None
