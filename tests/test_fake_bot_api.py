"""The fake Bot API used by the bot's tests answers like Telegram does."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import pytest
from fake_bot_api import BOT_ID, TOKEN, FakeBotApiServer


def call(server: FakeBotApiServer, method: str, token: str = TOKEN, **params: Any) -> Any:
    url = server.base_url.replace("/bot", f"/bot{token}/{method}")
    data = urllib.parse.urlencode(
        {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
    ).encode()
    try:
        with urllib.request.urlopen(url, data=data, timeout=5) as response:
            return json.load(response)
    except urllib.error.HTTPError as exc:
        return {"status": exc.code, **json.load(exc)}


def test_fake_answers_like_telegram() -> None:
    with FakeBotApiServer() as server:
        fake = server.fake
        me = call(server, "getMe")["result"]
        assert me["id"] == BOT_ID and me["is_bot"] is True
        assert call(server, "getMe", token="1:wrong") == {
            "status": 401,
            "ok": False,
            "error_code": 401,
            "description": "Unauthorized",
        }
        assert call(server, "noSuchMethod")["status"] == 404

        first = fake.push("message", fake.message("/start"))
        second = fake.push("message", fake.message("hello"))
        got = call(server, "getUpdates", offset=0, timeout=0)["result"]
        assert [u["update_id"] for u in got] == [first, second]
        assert got[0]["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
        assert isinstance(got[0]["message"]["date"], int)
        again = call(server, "getUpdates", offset=second, timeout=0)["result"]
        assert [u["update_id"] for u in again] == [second]  # offset confirms the earlier ones
        assert call(server, "getUpdates", offset=second + 1, timeout=0)["result"] == []
        assert len(fake.polls) == 3 and all(c.method != "getUpdates" for c in fake.calls)

        sent = call(
            server, "sendMessage", chat_id=111, text="<b>hi</b> &amp; bye", parse_mode="HTML"
        )
        msg = sent["result"]
        assert msg["text"] == "hi & bye" and msg["from"]["id"] == BOT_ID
        edited = call(
            server, "editMessageText", chat_id=111, message_id=msg["message_id"], text="new"
        )["result"]
        assert edited["text"] == "new" and isinstance(edited["edit_date"], int)
        same = call(
            server, "editMessageText", chat_id=111, message_id=msg["message_id"], text="new"
        )
        assert same["status"] == 400 and "message is not modified" in same["description"]
        assert call(server, "editMessageText", inline_message_id="x", text="t")["result"] is True
        assert call(server, "sendMessage", chat_id=999, text="x")["description"] == (
            "Bad Request: chat not found"
        )
        query = fake.callback_query("data", message=msg)
        assert query["chat_instance"] and query["message"]["message_id"] == msg["message_id"]
        assert [c.method for c in fake.calls] == [  # the unauthorised call is not recorded
            "getMe",
            "noSuchMethod",
            "sendMessage",
            "editMessageText",
            "editMessageText",
            "editMessageText",
            "sendMessage",
        ]


@pytest.mark.parametrize("method", ["answerCallbackQuery", "setMyCommands", "deleteWebhook"])
def test_simple_methods_return_true_and_are_recorded(method: str) -> None:
    with FakeBotApiServer() as server:
        assert call(server, method, callback_query_id="1")["result"] is True
        assert server.fake.calls_of(method)[0].params == {"callback_query_id": "1"}
