"""End to end: ``verbatim run`` (a subprocess) links a channel and posts to it, over HTTP
against the fake Bot API on 127.0.0.1, which answers getChat / getChatMember like Telegram."""

from __future__ import annotations

import re
import subprocess
from typing import Any

from conftest import WAIT
from fake_bot_api import BOT_ID, BOT_USERNAME, TOKEN, ApiCall, FakeTelegram

USER = 111
CHANNEL = -1001234567890
NAME = "verbatim_quotes"


def test_link_a_channel_and_post_a_card_to_it(
    running_bot: tuple[FakeTelegram, subprocess.Popen[str]],
) -> None:
    fake, proc = running_bot
    fake.add_chat(CHANNEL, "channel", title="Quotes & <Co>", username=NAME)
    fake.set_member(CHANNEL, BOT_ID, "administrator")
    fake.set_member(CHANNEL, USER, "creator")

    def say(text: str, answers: int = 1) -> list[ApiCall]:
        before = len(fake.calls)
        fake.push("message", fake.message(text))
        fake.wait_for("sendMessage", answers, since=before, timeout=WAIT)
        return [c for c in fake.calls[before:] if c.method != "deleteWebhook"]  # polling starts

    linking = say(f"/channel add @{NAME}")
    assert [c.method for c in linking] == [
        "getChat",
        "getChatMember",
        "getChatMember",
        "sendMessage",
    ]
    assert linking[0].params["chat_id"] == f"@{NAME}"
    assert [c.params["user_id"] for c in linking[1:3]] == [BOT_ID, USER]
    assert linking[-1].params["text"].startswith(f"Linked Quotes &amp; &lt;Co&gt; (@{NAME})")

    posting = say(f"/post @{NAME} servent the peple with the heart of a mothr", answers=2)
    post, confirm = (c.params for c in posting if c.method == "sendMessage")
    assert post["chat_id"] == CHANNEL and post["parse_mode"] == "HTML"
    assert "¶ 10 of 32" in post["text"] and re.search(r"<b>[^<]*heart[^<]*</b>", post["text"])
    assert "reply_parameters" not in post
    keyboard: list[list[dict[str, Any]]] = post["reply_markup"]["inline_keyboard"]
    ((button,),) = keyboard  # one URL button: no ◀ ▶ callbacks, which would edit the post
    assert set(button) == {"text", "url"}
    assert re.fullmatch(rf"https://t\.me/{BOT_USERNAME}\?start=p_\d+", button["url"])
    (channel_post,) = [m for m in fake.sent if m["chat"]["id"] == CHANNEL]
    assert confirm["chat_id"] == USER
    link = f"https://t.me/{NAME}/{channel_post['message_id']}"
    assert f'<a href="{link}">Quotes &amp; &lt;Co&gt;</a>' in confirm["text"]

    proc.terminate()
    _, stderr = proc.communicate(timeout=WAIT)
    assert proc.returncode == 0, stderr
    assert TOKEN.split(":")[1] not in stderr
