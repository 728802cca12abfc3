"""The fake Bot API used by the bot's tests answers like Telegram does."""

from __future__ import annotations

import io
import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import pytest
from fake_bot_api import BOT_ID, TOKEN, FakeBotApiServer, FakeTelegram, RecordingRequest
from PIL import Image
from telegram import Bot, InputFile
from telegram.error import BadRequest, Forbidden


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


def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "#fbf8f1").save(out, format="PNG")
    return out.getvalue()


async def send_photos(bot: Bot, fake: FakeTelegram) -> None:
    """sendPhoto as PTB sends it: an upload (multipart), then again by file_id."""
    fake.message("hi")  # the user's private chat with the bot
    data = png(1080, 1350)
    sent = await bot.send_photo(
        111,
        photo=InputFile(data, filename="q.png"),
        caption="<b>Title</b> &amp; co",
        parse_mode="HTML",
    )
    assert [(p.width, p.height) for p in sent.photo] == [
        (72, 90),
        (256, 320),
        (640, 800),
        (1024, 1280),
        (1080, 1350),
    ]
    assert sent.caption == "Title & co" and sent.chat.id == 111
    assert len({p.file_id for p in sent.photo}) == len({p.file_unique_id for p in sent.photo}) == 5
    assert fake.photos.uploads == [data]
    upload = fake.calls_of("sendPhoto")[0].params
    assert upload["photo"] == data and upload["caption"] == "<b>Title</b> &amp; co"
    again = await bot.send_photo(111, photo=sent.photo[-1].file_id)
    assert [p.to_dict() for p in again.photo] == [p.to_dict() for p in sent.photo]
    assert fake.calls_of("sendPhoto")[1].params["photo"] == sent.photo[-1].file_id
    assert len(fake.photos.uploads) == 1  # sent by file_id: nothing uploaded
    fake.photos.forget(sent.photo[0].file_id)
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await bot.send_photo(111, photo=sent.photo[-1].file_id)
    with pytest.raises(BadRequest, match=r"(?i)image_process_failed"):
        await bot.send_photo(111, photo=InputFile(b"GIF89a not a png", filename="x.gif"))
    with pytest.raises(BadRequest, match=r"(?i)photo_invalid_dimensions"):
        await bot.send_photo(111, photo=InputFile(png(2100, 100), filename="wide.png"))
    with pytest.raises(BadRequest, match=r"(?i)caption is too long"):
        await bot.send_photo(111, photo=InputFile(data, filename="q.png"), caption="x" * 1025)
    fake.not_started.add(333)
    with pytest.raises(Forbidden, match=r"(?i)initiate conversation"):
        await bot.send_photo(333, photo=InputFile(data, filename="q.png"))
    assert len(fake.photos.uploads) == 1


async def test_send_photo_over_http_and_in_process() -> None:
    with FakeBotApiServer() as server:
        async with Bot(TOKEN, base_url=server.base_url) as bot:
            await send_photos(bot, server.fake)
    fake = FakeTelegram()
    async with Bot(TOKEN, request=RecordingRequest(fake)) as bot:
        await send_photos(bot, fake)
