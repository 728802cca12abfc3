"""End to end: inline mode of ``verbatim run`` against the fake Bot API on 127.0.0.1.

The fake serves ``inline_query``, ``chosen_inline_result`` and ``callback_query``
(with ``inline_message_id``) updates through getUpdates; the test asserts on the
answerInlineQuery payload and on the editMessageText of the inline message.
"""

from __future__ import annotations

import re
import subprocess
import time
from typing import Any

from conftest import WAIT
from fake_bot_api import BOT_USERNAME, TOKEN, FakeTelegram

TYPO_QUERY = "servent the peple with the heart of a mothr"  # ¶ 10 of the sample


def ask(fake: FakeTelegram, query: str, offset: str = "") -> dict[str, Any]:
    """Type ``@bot query``; return the answerInlineQuery parameters."""
    before = len(fake.calls)
    query_id = f"e2e-{before}"
    payload = {"id": query_id, "from": fake.user(), "query": query, "offset": offset}
    fake.push("inline_query", payload)
    params = fake.wait_for("answerInlineQuery", since=before, timeout=WAIT)[0].params
    assert params["inline_query_id"] == query_id
    return params


def buttons(markup: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["text"]: b for row in markup["inline_keyboard"] for b in row}


def test_inline_query_choice_and_inline_message_buttons(
    running_bot: tuple[FakeTelegram, subprocess.Popen[str]],
) -> None:
    fake, proc = running_bot
    answer = ask(fake, TYPO_QUERY)
    assert answer["cache_time"] == 300 and answer["is_personal"] is False
    assert answer["next_offset"] == ""
    best = answer["results"][0]
    assert best["type"] == "article" and best["id"].startswith("p")
    assert best["title"].startswith("General Secretary Kim Jong Un") and "¶ 10" in best["title"]
    assert "heart of a mother" in best["description"]
    content = best["input_message_content"]
    assert content["parse_mode"] == "HTML" and "¶ 10 of 32" in content["message_text"]
    assert re.search(r"<b>[^<]*heart[^<]*</b>", content["message_text"])
    keys = buttons(best["reply_markup"])
    assert keys["🔗 Link"]["url"] == f"https://t.me/{BOT_USERNAME}?start=p_{best['id'][1:]}"
    assert ask(fake, TYPO_QUERY, "not-an-offset")["results"] == answer["results"]

    nothing = ask(fake, "xylophone quasar zeppelin")
    assert [r["id"] for r in nothing["results"]] == ["none"]
    assert nothing["button"]["start_parameter"] == "inline"

    opening = ask(fake, "")["results"]
    assert best["id"] not in [r["id"] for r in opening]  # nothing chosen yet
    chosen = {
        "result_id": best["id"],
        "from": fake.user(),
        "query": TYPO_QUERY,
        "inline_message_id": "AgAAAE2eInlineMsg",
    }
    fake.push("chosen_inline_result", chosen)
    deadline = time.monotonic() + WAIT  # the choice is counted in the background
    while [r["id"] for r in ask(fake, "")["results"]][:1] != [best["id"]]:
        assert time.monotonic() < deadline, "the chosen result never led the empty-query list"
        time.sleep(0.05)

    before = len(fake.calls)
    press = fake.callback_query(
        keys["¶ 11 ▶"]["callback_data"], inline_message_id="AgAAAE2eInlineMsg"
    )
    fake.push("callback_query", press)
    fake.wait_for("answerCallbackQuery", since=before, timeout=WAIT)
    methods = [c.method for c in fake.calls[before:]]
    assert methods == ["editMessageText", "answerCallbackQuery"]
    edit = fake.calls[before].params
    assert edit["inline_message_id"] == "AgAAAE2eInlineMsg" and "chat_id" not in edit
    assert edit["parse_mode"] == "HTML" and "¶ 11 of 32" in edit["text"]
    assert "◀ ¶ 10" in buttons(edit["reply_markup"])

    proc.terminate()
    _, stderr = proc.communicate(timeout=WAIT)
    assert proc.returncode == 0
    assert "Traceback" not in stderr and TOKEN.split(":")[1] not in stderr
