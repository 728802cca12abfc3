"""`verbatim chat`: the bot in a terminal, driven through stdin/stdout of a subprocess."""

from __future__ import annotations

import asyncio
import io
import os
import pty
import queue
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_bot_photos import PNG_SIGNATURE
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Update,
)
from telegram.ext import (
    ApplicationHandlerStop,
    CallbackQueryHandler,
    ChosenInlineResultHandler,
    InlineQueryHandler,
)

from bot.settings import load_settings
from bot.terminal.chat import (
    TerminalView,
    deep_link_start,
    parse_inline,
)
from bot.terminal.render import html_to_terminal
from bot.terminal.session import ChatSession

CARD = re.compile(r"¶ (\d+) of (\d+)")


def chat_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A fresh machine: no VERBATIM_DB, the default database under tmp_path; plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k not in ("VERBATIM_DB", "TELEGRAM_BOT_TOKEN")}
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    env["TMPDIR"] = str(tmp_path)  # where the pictures the bot sends are written
    return {**env, **extra}


class Chat:
    """`verbatim chat` in a subprocess: send lines, wait for output patterns."""

    def __init__(self, tmp_path: Path, **env: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "chat"],
            env=chat_env(tmp_path, **env),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.text = ""
        self._lines: queue.Queue[str | None] = queue.Queue()
        assert self.proc.stdout is not None
        threading.Thread(target=self._pump, args=(self.proc.stdout,), daemon=True).start()

    def _pump(self, stream: io.TextIOBase) -> None:
        for line in stream:
            self._lines.put(line)
        self._lines.put(None)

    def send(self, line: str) -> int:
        """Type a line; return the output position before its answer."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return len(self.text)

    def expect(self, pattern: str, since: int = 0, timeout: float = 30) -> re.Match[str]:
        """Wait until the output after ``since`` matches ``pattern``."""
        deadline = time.monotonic() + timeout
        while True:
            found = re.search(pattern, self.text[since:], re.M)
            if found:
                return found
            left = deadline - time.monotonic()
            try:
                line = self._lines.get(timeout=max(0.01, left))
            except queue.Empty:
                line = ""
            if line is None or left <= 0:
                raise AssertionError(f"no {pattern!r} in output:\n{self.text[since:]}")
            self.text += line

    def close(self) -> tuple[int, str]:
        """End of input: the chat must exit by itself; return (exit code, stderr)."""
        assert self.proc.stdin is not None and self.proc.stderr is not None
        self.proc.stdin.close()
        code = self.proc.wait(timeout=30)
        return code, self.proc.stderr.read()


@pytest.fixture
def chat(tmp_path: Path) -> Iterator[Chat]:
    session = Chat(tmp_path)
    try:
        yield session
    finally:
        if session.proc.poll() is None:
            session.proc.kill()
            session.proc.wait(timeout=10)


def test_search_then_press_next_paragraph_button(chat: Chat) -> None:
    at = chat.send("/q servant party")
    card = chat.expect(r"^bot:\n(?:.*\n)*?.*¶ (\d+) of (\d+)(?:.*\n)*?.*\[(\d+)\] ¶ (\d+) ▶", at)
    position, total, button, next_position = map(int, card.groups())
    assert "servant" in chat.text[at:].lower()
    assert total == 32 and next_position == position + 1

    at = chat.send(str(button))
    edited = chat.expect(r"^bot \(edited message #\d+\):\n(?:.*\n)*?.*¶ (\d+) of 32", at)
    assert int(edited.group(1)) == position + 1
    assert f"(pressed [{button}] ¶ {next_position} ▶)" in chat.text[at:]

    code, err = chat.close()
    assert code == 0, err
    assert "1 document, 32 paragraphs" in err  # the bundled sample, loaded on first use


def test_picture_button_writes_the_picture_and_shows_where(chat: Chat, tmp_path: Path) -> None:
    at = chat.send("/q servant party")
    button = int(chat.expect(r"^  (?:.*\s)?\[(\d+)\] 🖼 Picture", at).group(1))
    at = chat.send(str(button))
    shown = chat.expect(r"^bot \(picture\):\n🖼 (\S+\.png) \((\d+)×(\d+)\)\n(.*)\n", at)
    path, width = Path(shown.group(1)), int(shown.group(2))
    assert path.parent.parent == tmp_path and width == 1080
    assert path.read_bytes().startswith(PNG_SIGNATURE)
    assert "Closing Address" in shown.group(4)  # the caption: title, then the citation
    at = chat.send(str(button))  # again: Telegram's file_id, the same file
    assert chat.expect(r"^bot \(picture\):\n🖼 (\S+\.png)", at).group(1) == str(path)
    assert chat.close()[0] == 0


def test_inline_query_results_and_choosing_one(chat: Chat) -> None:
    at = chat.send("@ servant party")
    chat.expect(r"^inline results \((\d+)\):\n  \[1\] ", at)
    at = chat.send("1")
    chat.expect(r"^you \(via @verbatim_bot\):\n(?:.*\n)*?.*servant", at)
    assert chat.close()[0] == 0


def test_piped_line_then_end_of_input(tmp_path: Path) -> None:
    """`echo '/q servant party' | verbatim chat` answers and exits 0."""
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "chat"],
        input="/q servant party\n",
        env=chat_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("you: /q servant party\nbot:\n")
    assert CARD.search(done.stdout)
    assert "\x1b[" not in done.stdout  # not a terminal: plain text
    assert "Traceback" not in done.stderr


def test_bold_on_a_terminal(tmp_path: Path) -> None:
    """With stdout on a terminal, the matched words are bold (ANSI)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "chat"],
        env=chat_env(tmp_path),
        stdin=subprocess.PIPE,
        stdout=slave,
        stderr=subprocess.DEVNULL,
    )
    os.close(slave)
    assert proc.stdin is not None
    proc.stdin.write(b"/q servant party\n")
    proc.stdin.close()
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the other side closed
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    assert proc.wait(timeout=30) == 0
    text = out.decode()
    assert re.search(r"\x1b\[1m[^\x1b]*servant", text), text[:500]


# ---------------------------------------------------------------------- in-process


def run_session(tmp_path: Path, lines: str) -> str:
    settings = load_settings({"XDG_DATA_HOME": str(tmp_path / "data")})
    out = io.StringIO()
    session = ChatSession(settings, TerminalView(out, ansi=False))
    assert asyncio.run(session.run(io.StringIO(lines))) == 0
    return out.getvalue()


def test_numbers_without_buttons_are_messages_and_bad_numbers_are_refused(
    tmp_path: Path,
) -> None:
    out = run_session(tmp_path, "/help\n7\n/q servant party\n99\n/exit\n/stats\n")
    assert "you: 7\nbot:\nNo passage matches 7." in out
    assert "(there is no button 99: choose 1-" in out
    assert "you: /stats" not in out  # /exit ended the chat


def test_digits_that_are_not_ascii_are_messages_not_buttons(tmp_path: Path) -> None:
    out = run_session(tmp_path, "/q servant party\n²\n")  # a card with buttons, then "²"
    assert CARD.search(out)
    assert "you: ²\nbot:\n" in out and "(pressed" not in out and "no button" not in out


def test_permalink_button_opens_the_paragraph(tmp_path: Path) -> None:
    out = run_session(tmp_path, "/q servant party\n")
    link = re.search(r"\[(\d+)\] 🔗 Link", out)
    assert link
    position = CARD.search(out)
    assert position
    out = run_session(tmp_path, f"/q servant party\n{link.group(1)}\n")
    assert re.search(r"opens the bot: /start p_\d+\)\nbot:\n", out)
    assert out.count(f"¶ {position.group(1)} of 32") == 2


def test_not_sure_lists_suggestions_and_a_number_opens_one(tmp_path: Path) -> None:
    """The terminal shows the chat's "not sure" message; pressing 1 opens the closest."""
    out = run_session(tmp_path, "mother heart servant people\n1\n")
    assert "bot:\nNot sure — nothing matches closely enough. Closest passages:\n\n1. " in out
    first = re.search(r"^  \[1\] 1\. ¶ (\d+) · ", out, re.M)
    assert first and first.group(1) == "10"
    assert "(pressed [1] 1. ¶ 10 · " in out
    opened = out.split("(pressed [1]")[1]
    assert re.search(r"bot \(edited message #\d+\):\n", opened)
    assert "¶ 10 of 32 · sample\n🤔 not sure: one of the closest passages, not a match" in opened


def test_html_to_terminal() -> None:
    html = (
        "<b>Title &amp; more</b>\n<blockquote expandable>one <b>two</b>\nthree</blockquote>"
        '\n<a href="https://example.org">site</a> <i>x</i>'
    )
    assert html_to_terminal(html, ansi=False) == (
        "Title & more\n│ one two\n│ three\nsite <https://example.org> x"
    )
    ansi = html_to_terminal("<b>a <b>b</b> c</b> d", ansi=True)
    assert ansi == "\x1b[1ma b c\x1b[22m d"


def test_line_parsing() -> None:
    assert parse_inline("@ servant party") == "servant party"
    assert parse_inline("@verbatim_bot servant") == "servant"
    assert parse_inline("@") == ""
    assert parse_inline("email me@example.org") is None
    assert deep_link_start("https://t.me/verbatim_bot?start=p_12") == "/start p_12"
    assert deep_link_start("https://t.me/other_bot?start=p_12") is None


def test_inline_results_choosing_and_inline_buttons(tmp_path: Path) -> None:
    """The terminal's inline machinery, with test handlers in front of the bot's own."""
    settings = load_settings({"XDG_DATA_HOME": str(tmp_path / "data")})
    out = io.StringIO()
    session = ChatSession(settings, TerminalView(out, ansi=False))
    chosen: list[tuple[str, str | None]] = []

    async def answer(update: Update, context: object) -> None:
        assert update.inline_query is not None
        button = InlineKeyboardButton("press", callback_data="t:1")
        result = InlineQueryResultArticle(
            id="r1",
            title=f"First for {update.inline_query.query}",
            description="a description",
            input_message_content=InputTextMessageContent("<b>chosen</b> text", parse_mode="HTML"),
            reply_markup=InlineKeyboardMarkup([[button]]),
        )
        await update.inline_query.answer([result], next_offset="5")
        raise ApplicationHandlerStop

    async def press(update: Update, context: object) -> None:
        assert update.callback_query is not None
        assert update.callback_query.inline_message_id
        await update.callback_query.edit_message_text("edited <i>inline</i>", parse_mode="HTML")
        await update.callback_query.answer("done")
        raise ApplicationHandlerStop

    async def record(update: Update, context: object) -> None:
        assert update.chosen_inline_result is not None
        result = update.chosen_inline_result
        chosen.append((result.result_id, result.inline_message_id))

    session.app.add_handler(InlineQueryHandler(answer), group=-2)
    session.app.add_handler(CallbackQueryHandler(press, pattern="^t:"), group=-2)
    session.app.add_handler(ChosenInlineResultHandler(record), group=-2)
    assert asyncio.run(session.run(io.StringIO("@ hello\n1\n1\n"))) == 0
    text = out.getvalue()
    assert "inline results (1):\n  [1] First for hello — a description\n  [2] more results" in text
    assert "you (via @verbatim_bot):\nchosen text\n  [1] press\n" in text
    assert re.search(r"bot \(edited message #\d+\):\nedited inline\n", text)
    assert "(notice: done)" in text
    assert "No passage matches" not in text  # a message sent via the bot is not a search
    assert chosen and chosen[0][0] == "r1" and chosen[0][1]
