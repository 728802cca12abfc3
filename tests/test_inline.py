"""Inline mode offline: the Application's HTTP layer is a recording fake.

Each test feeds ``inline_query`` / ``chosen_inline_result`` / ``callback_query``
updates to ``Application.process_update`` and asserts on the exact answerInlineQuery
(or editMessageText) payload the bot produced.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from fake_bot_api import BOT_USERNAME, TOKEN, ApiCall, FakeTelegram, OfflineBot, RecordingRequest

from bot.cli import main as cli
from bot.core.views import CardPage
from bot.telegram.app import build_application, running
from bot.telegram.handlers import inline
from bot.telegram.inline_bench import format_report, run_bench
from bot.telegram.render import chat as render
from bot.telegram.render import common
from bot.telegram.render import inline as inline_render
from store.db import open_database
from store.ingest import content_hash, ingest_paths, sample_path
from store.models import ParsedDocument, PartialDate

_QUERY_IDS = itertools.count(1)
QUERY = "lighthouse keeper spoke"  # in all 30 synthetic paragraphs
_NOUNS = [
    "harbour",
    "storm",
    "ledger",
    "lantern",
    "gull",
    "tide",
    "reef",
    "signal",
    "beacon",
    "pier",
    "ferry",
    "rope",
]


def synthetic_documents() -> list[ParsedDocument]:
    """Three made-up speeches of ten paragraphs each, dated 2001, 2002 and 2003."""
    docs = []
    for d, year in enumerate((2001, 2002, 2003)):
        paragraphs = []
        for n in range(10):
            a, b = _NOUNS[(d * 10 + n) % 12], _NOUNS[(d * 7 + n * 5 + 3) % 12]
            paragraphs.append(
                f"In {year} the lighthouse keeper spoke of the {a} and of the {b}, number "
                f"{d}-{n}. It was a long evening and the {a} kept everyone awake until "
                "dawn came over the grey water."
            )
        docs.append(
            ParsedDocument(
                title=f"Harbour Address {year}",
                paragraphs=paragraphs,
                origin=f"test:{year}",
                source_format="text",
                date=PartialDate(year, 6, 1),
                place="Port Town",
                collection="test",
            )
        )
    return docs


async def build_db(path: Path) -> Path:
    async with open_database(path) as db:
        await ingest_paths(db, [sample_path()], progress=False)
        docs = synthetic_documents()
        await db.insert_documents([(doc, content_hash(doc.paragraphs)) for doc in docs])
        await db.after_bulk_load()  # counts the new words in the search vocabulary
    return path


class Bot(OfflineBot):
    """The bot under test, with helpers for this module's updates."""

    def inline_query(self, query: str, offset: str = "", user_id: int = 111) -> dict[str, Any]:
        return {
            "id": f"iq-{user_id}-{next(_QUERY_IDS)}",
            "from": self.fake.user(user_id),
            "query": query,
            "offset": offset,
            "chat_type": "supergroup",
        }

    async def ask(self, query: str, offset: str = "", user_id: int = 111) -> dict[str, Any]:
        """One inline query; returns the answerInlineQuery parameters."""
        payload = self.inline_query(query, offset, user_id)
        calls = await self.feed("inline_query", payload)
        assert [c.method for c in calls] == ["answerInlineQuery"], calls
        assert calls[0].params["inline_query_id"] == payload["id"]
        return calls[0].params

    async def choose(self, result_id: str, query: str = "") -> list[ApiCall]:
        chosen = {
            "result_id": result_id,
            "from": self.fake.user(),
            "query": query,
            "inline_message_id": f"im-{result_id}",
        }
        return await self.feed("chosen_inline_result", chosen)


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[Bot]:
    db_path = await build_db(tmp_path / "inline.db")
    fake = FakeTelegram()
    app = build_application(TOKEN, db_path, request=RecordingRequest(fake), rate_limit=False)
    async with running(app):
        yield Bot(app, fake)


def ids(params: dict[str, Any]) -> list[str]:
    return [r["id"] for r in params["results"]]


def expected_results(page: CardPage) -> list[dict[str, Any]]:
    return [inline_render.card_result(c, BOT_USERNAME).to_dict() for c in page.cards]


async def test_first_page_carries_the_chat_result_card(bot: Bot) -> None:
    params = await bot.ask(QUERY)
    page = await bot.service.search_page(QUERY, offset=0, limit=inline.PAGE_SIZE)
    assert isinstance(page, CardPage) and len(page.cards) == inline.PAGE_SIZE
    assert params["results"] == expected_results(page)
    assert params["next_offset"] == "10"
    assert params["cache_time"] == inline_render.SEARCH_CACHE_SECONDS
    assert params["is_personal"] is False and "button" not in params
    first = params["results"][0]
    card = page.cards[0]
    chat_card = render.render_card(card, BOT_USERNAME)
    assert first["type"] == "article" and first["id"] == f"p{card.paragraph.id}"
    assert first["title"].startswith(f"Harbour Address {card.document.date.year}")  # type: ignore[union-attr]
    assert first["title"].endswith(f"· ¶ {card.paragraph.position}")
    assert "lighthouse keeper spoke" in first["description"]
    assert first["input_message_content"] == {
        "message_text": chat_card.text,
        "parse_mode": "HTML",
        "link_preview_options": {"is_disabled": True},
    }
    assert "<b>lighthouse</b>" in chat_card.text or "<b>lighthouse keeper" in chat_card.text
    keys = {b["text"]: b for row in first["reply_markup"]["inline_keyboard"] for b in row}
    assert {"↗ Share", "🔗 Link", "🔎 Other matches"} <= set(keys)
    assert keys["🔗 Link"]["url"] == f"https://t.me/{BOT_USERNAME}?start=p_{card.paragraph.id}"
    assert any(k.endswith("▶") for k in keys)


async def test_next_pages_until_the_last(bot: Bot) -> None:
    first, second = await bot.ask(QUERY), await bot.ask(QUERY, "10")
    third = await bot.ask(QUERY, second["next_offset"])
    page2 = await bot.service.search_page(QUERY, offset=10, limit=inline.PAGE_SIZE)
    assert isinstance(page2, CardPage)
    assert second["results"] == expected_results(page2)
    seen = ids(first) + ids(second) + ids(third)
    assert len(seen) == len(set(seen)) == 30  # every synthetic paragraph once
    assert third["next_offset"] == ""  # no more
    past_the_end = await bot.ask(QUERY, "30")
    assert past_the_end["results"] == [] and past_the_end["next_offset"] == ""


@pytest.mark.parametrize("offset", ["abc", "-10", "1e1", "10.0", "99999999", "٣", " 10", "x" * 70])
async def test_bad_offset_gives_the_first_page(
    bot: Bot, offset: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        params = await bot.ask(QUERY, offset)
    assert ids(params) == ids(await bot.ask(QUERY)) and params["next_offset"] == "10"
    assert caplog.records == []


async def test_empty_query_lists_openings_then_follows_chosen_results(bot: Bot) -> None:
    docs = await bot.service.db.list_documents(limit=100)
    openings = []
    for doc in sorted(docs, key=lambda d: d.date.iso() if d.date else "", reverse=True):
        paragraphs = await bot.service.db.paragraph_window(doc.id, 1, 0, doc.paragraph_count)
        openings.append(f"p{next(p.id for p in paragraphs if len(p.text) >= 120)}")
    params = await bot.ask("   ")
    assert ids(params) == openings and params["next_offset"] == ""
    assert params["cache_time"] == inline_render.DEFAULT_CACHE_SECONDS
    assert params["button"] == {
        "text": inline_render.PRIVATE_CHAT_BUTTON.text,
        "start_parameter": "inline",
    }
    hits = ids(await bot.ask(QUERY))
    for chosen in (hits[3], hits[5], hits[5], "none", "p999999999", "garbage"):
        assert await bot.choose(chosen, QUERY) == []  # counted silently, nothing sent
    params = await bot.ask("")
    assert ids(params)[:2] == [hits[5], hits[3]]  # most chosen first
    assert ids(params)[2:] == [o for o in openings if o not in (hits[3], hits[5])]
    card = params["results"][0]["input_message_content"]["message_text"]
    assert "¶" in card and "<b>" in card  # a full result card (title in bold, no highlight)


async def test_default_list_pages(bot: Bot) -> None:
    hits = ids(await bot.ask(QUERY)) + ids(await bot.ask(QUERY, "10"))
    for chosen in hits[:12]:
        await bot.choose(chosen)
    first = await bot.ask("")
    second = await bot.ask("", first["next_offset"])
    assert first["next_offset"] == "10" and len(first["results"]) == 10
    assert ids(first) + ids(second)[:2] == hits[11::-1]  # equal counts: latest first
    assert "button" not in second  # the private-chat button heads the first page only


async def test_no_match_is_one_explanatory_result_and_a_button(bot: Bot) -> None:
    params = await bot.ask("xylophone quasar zeppelin")
    assert ids(params) == ["none"] and params["next_offset"] == ""
    assert params["button"]["start_parameter"] == "inline"
    result = params["results"][0]
    assert result["title"] == "No passage matches “xylophone quasar zeppelin”"
    assert result["input_message_content"]["message_text"].startswith(
        "No passage matches <i>xylophone quasar zeppelin</i>."
    )
    assert "reply_markup" not in result
    assert await bot.choose("none") == []


async def test_html_and_fts_syntax_are_harmless(bot: Bot) -> None:
    nasty = await bot.ask('<b>zzqx</b> AND "qqq" NEAR(a b) * OR ^ col:x')
    text = nasty["results"][0]["input_message_content"]["message_text"]
    assert "&lt;b&gt;zzqx&lt;/b&gt;" in text and "<b>zzqx" not in text
    assert nasty["results"][0]["title"].startswith("No passage matches “<b>zzqx</b> AND")
    plain = ids(await bot.ask(QUERY))
    for query in ("<b>lighthouse</b> keeper spoke*", 'lighthouse "keeper spoke" NEAR(', "a:b;c^"):
        params = await bot.ask(query)
        assert params["results"], query
        if query != "a:b;c^":
            assert set(ids(params)) == set(plain), query


async def test_256_character_query_and_telegram_limits(bot: Bot) -> None:
    long = (QUERY + " until dawn came over the grey water ") * 7
    for query in (long[:256], long[:300] + "zzz"):
        params = await bot.ask(query)
        assert 0 < len(params["results"]) <= 50
        for r in params["results"]:
            assert len(r["id"].encode()) <= 64
            assert common.tg_len(r["input_message_content"]["message_text"]) <= 4096
    assert inline.clean_query("a  b\n" + "c" * 300) == "a b " + "c" * 251


async def test_inline_message_buttons_edit_by_inline_message_id(bot: Bot) -> None:
    result = (await bot.ask(QUERY))["results"][0]
    keys = {b["text"]: b for row in result["reply_markup"]["inline_keyboard"] for b in row}
    forward = next(b for label, b in keys.items() if label.endswith("▶"))
    press = bot.fake.callback_query(forward["callback_data"], inline_message_id="im-1")
    calls = await bot.feed("callback_query", press)
    assert [c.method for c in calls] == ["editMessageText", "answerCallbackQuery"]
    edit = calls[0].params
    assert edit["inline_message_id"] == "im-1" and "chat_id" not in edit
    assert edit["parse_mode"] == "HTML" and "Context around your match" in edit["text"]
    other = keys["🔎 Other matches"]["callback_data"]
    calls = await bot.feed(
        "callback_query", bot.fake.callback_query(other, inline_message_id="im-1")
    )
    assert calls[0].params["inline_message_id"] == "im-1"
    assert calls[0].params["text"] != result["input_message_content"]["message_text"]


async def test_a_newer_query_supersedes_the_running_one(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    started, release = asyncio.Event(), asyncio.Event()
    cancelled: list[str] = []
    real = bot.service.search_page

    async def search_page(text: str, **kw: Any) -> Any:
        if text in ("lighthouse keep", "lighthouse keeper"):  # the slow ones
            started.set()
            try:
                await release.wait()
            except asyncio.CancelledError:
                cancelled.append(text)
                raise
        return await real(text, **kw)

    monkeypatch.setattr(bot.service, "search_page", search_page)
    stale_query = bot.inline_query("lighthouse keep")
    other_query = bot.inline_query("lighthouse keeper", user_id=222)
    stale = asyncio.create_task(bot.feed("inline_query", stale_query))
    other_user = asyncio.create_task(bot.feed("inline_query", other_query))
    await asyncio.wait_for(started.wait(), 5)
    await asyncio.sleep(0.01)  # both slow queries are now waiting
    newer = await asyncio.wait_for(bot.ask(QUERY), 5)
    assert len(newer["results"]) == inline.PAGE_SIZE
    await asyncio.wait_for(stale, 5)  # done, without answering
    assert cancelled == ["lighthouse keep"]
    release.set()
    await asyncio.wait_for(other_user, 5)  # another user's query is not superseded
    answered = [c.params["inline_query_id"] for c in bot.fake.calls_of("answerInlineQuery")]
    assert stale_query["id"] not in answered
    assert answered[-1] == other_query["id"] and len(answered) == 2


def test_result_ids_offsets_and_descriptions() -> None:
    assert inline_render.parse_result_id(inline_render.result_id(12345)) == 12345
    for bad in ("", "p", "none", "p-1", "p1a", "q12", "p" + "9" * 16, "p١٢"):
        assert inline_render.parse_result_id(bad) is None
    assert inline.parse_offset("20", 200) == 20
    assert inline.parse_offset("200", 200) == 0 and inline.parse_offset(None, 200) == 0
    text = (
        "First sentence is here. The keeper lit the lamp at dusk, as always! Nothing else happened."
    )
    start = text.index("lamp")
    sentence = inline_render.matched_sentence(text, ((start, start + 4),))
    assert sentence == "…The keeper lit the lamp at dusk, as always!"
    long = "word " * 100 + "lamp " + "word " * 100
    cut = inline_render.matched_sentence(long, ((500, 504),), 60)
    assert "lamp" in cut and len(cut) <= 60 and cut.startswith("…") and cut.endswith("…")
    assert inline_render.matched_sentence("Short.", ()) == "Short."
    # "U.S." and "J. F." end no sentence
    text = "It ended. Sanctions of the U.S. and J. F. Kennedy's allies hurt the economy. Then."
    start = text.index("allies")
    sentence = inline_render.matched_sentence(text, ((start, start + 6),))
    assert sentence == "…Sanctions of the U.S. and J. F. Kennedy's allies hurt the economy."


async def test_bench_inline_runs_every_scenario(tmp_path: Path) -> None:
    db_path = await build_db(tmp_path / "bench.db")
    report = await run_bench(db_path, queries=6, seed=3, warmup=1, typing_gap=0)
    assert report["paragraphs"] == 62 and report["queries"] == 6
    by_name = {s["scenario"]: s for s in report["scenarios"]}
    assert by_name["first page"]["n"] == 6 and by_name["empty, reused"]["n"] == 20
    assert by_name["empty, new"]["answer_kib"] > 0
    for s in report["scenarios"]:
        if s["n"]:
            assert 0 < s["p50_ms"] <= s["p95_ms"] <= s["max_ms"]
    assert "prefixes answered" in by_name["typing"]["note"]
    assert "first page" in format_report(report | {"cpu": "all CPUs"})


def test_bench_inline_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["bench-inline", "--db", str(tmp_path / "missing.db")]) == 3
    db_path = asyncio.run(build_db(tmp_path / "cli.db"))
    args = ["--db", str(db_path), "--queries", "2", "--warmup", "0", "--typing-gap", "0"]
    assert cli.main(["bench-inline", *args, "--all-cores", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["cpu"] == "all CPUs" and report["scenarios"][0]["n"] == 2
    assert cli.main(["bench-inline", *args, "--queries", "0"]) == 2
