"""End to end: ``verbatim run`` as a subprocess against a fake Bot API on 127.0.0.1."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, WAIT, verbatim, verbatim_env
from fake_bot_api import BOT_USERNAME, TOKEN, FakeBotApiServer, FakeTelegram


def buttons(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["text"]: b for row in message["reply_markup"]["inline_keyboard"] for b in row}


def test_a_user_session(running_bot: tuple[FakeTelegram, subprocess.Popen[str]]) -> None:
    fake, proc = running_bot
    assert [c.method for c in fake.calls[:2]] == ["getMe", "setMyCommands"]

    def say(text: str, **kw: Any) -> dict[str, Any]:
        before = len(fake.calls)
        fake.push("message", fake.message(text, **kw))
        return fake.wait_for("sendMessage", since=before, timeout=WAIT)[0].params

    def press(data: str, message: dict[str, Any]) -> list[str]:
        before = len(fake.calls)
        fake.push("callback_query", fake.callback_query(data, message=message))
        fake.wait_for("answerCallbackQuery", since=before, timeout=WAIT)
        return [c.method for c in fake.calls[before:]]

    assert "<b>Verbatim</b>" in say("/start")["text"]

    card = say("/q servent the peple with the heart of a mothr")
    assert "¶ 10 of 32" in card["text"] and card["parse_mode"] == "HTML"
    assert "heart" in card["text"]
    assert "¶ 10 of 32" in say("heart of a mother and attitude of their true servant")["text"]

    sent = fake.sent[-2]  # the /q card
    assert press(buttons(sent)["¶ 11 ▶"]["callback_data"], sent) == [
        "editMessageText",
        "answerCallbackQuery",
    ]
    edited = fake.sent_message(111, sent["message_id"])
    assert "¶ 11 of 32" in fake.calls_of("editMessageText")[-1].params["text"]
    press(buttons(edited)["◀ ¶ 10"]["callback_data"], edited)
    assert "¶ 10 of 32" in fake.calls_of("editMessageText")[-1].params["text"]

    many = say("/q secretaries of primary party committees")
    many_msg = fake.sent[-1]
    press(buttons(many_msg)["🔎 Other matches"]["callback_data"], many_msg)
    other = fake.calls_of("editMessageText")[-1].params
    assert other["text"] != many["text"] and "⏮ Best match" in buttons(other)

    group_msg = fake.message(
        f"/q@{BOT_USERNAME} heart of a mother", chat_id=-100777, chat_type="supergroup"
    )
    before = len(fake.calls)
    fake.push("message", group_msg)
    reply = fake.wait_for("sendMessage", since=before, timeout=WAIT)[0].params
    assert reply["chat_id"] == -100777
    assert reply["reply_parameters"]["message_id"] == group_msg["message_id"]

    before = len(fake.calls)
    fake.push("callback_query", fake.callback_query("1:ffffff:n:1:1:0:0' OR 1=1", message=many_msg))
    alert = fake.wait_for("answerCallbackQuery", since=before, timeout=WAIT)[0].params
    assert alert["show_alert"] is True and "not valid" in alert["text"]

    proc.terminate()
    _, stderr = proc.communicate(timeout=WAIT)
    assert proc.returncode == 0
    assert TOKEN not in stderr and TOKEN.split(":")[1] not in stderr


def test_rejected_token_exits_4_without_printing_it(tmp_path: Path, sample_db: Path) -> None:
    wrong = "7000001:AAWrongTokenWrongTokenWrongToken123"
    with FakeBotApiServer() as server:
        result = subprocess.run(
            verbatim("run", "--db", str(sample_db), "--base-url", server.base_url),
            cwd=REPO,
            env=verbatim_env(tmp_path, TELEGRAM_BOT_TOKEN=wrong),
            capture_output=True,
            text=True,
            timeout=WAIT * 2,
        )
    assert result.returncode == 4
    assert "Telegram rejected the bot token" in result.stderr
    assert wrong not in result.stderr + result.stdout
    assert "AAWrongToken" not in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "TELEGRAM_BOT_TOKEN is not set"),
        ({"TELEGRAM_BOT_TOKEN": "not a token\n"}, "does not look like a bot token"),
        (
            {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_BASE_URL": "ftp://example"},
            "must be an http(s) URL",
        ),
    ],
)
def test_missing_or_malformed_settings_exit_4(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    result = subprocess.run(
        verbatim("run", "--db", str(tmp_path / "x.db")),
        cwd=REPO,
        env=verbatim_env(tmp_path, **env),
        capture_output=True,
        text=True,
        timeout=WAIT * 2,
    )
    assert result.returncode == 4, result.stderr
    assert message in result.stderr
    assert "not a token" not in result.stderr


def test_cli_does_not_import_telegram_until_run() -> None:
    code = (
        "import sys; from bot.cli.main import build_parser; build_parser(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'telegram'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
