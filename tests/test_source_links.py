"""Links to the published originals: kept at ingest, added to documents stored before,
shown as a "📰 Original" button, in ``verbatim show`` and ``search --json``."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, WAIT, verbatim, verbatim_env
from fake_bot_api import FakeTelegram

from store import ingest_paths, open_database
from store.models import ParsedDocument
from store.parsers import kcna_jsonl, kcna_kp_json, miller, rodong
from store.parsers.links import miller_page, web_link

ARTICLE = "http://www.kcna.kp/en/article/q/0123456789abcdef.kcmsf"
# an invented article in the kcna.kp archive's format (no corpus text)
STORY = {
    "topic": "Society",
    "headline": "Orchard Workers Finish Grafting Early",
    "link": ARTICLE,
    "date": 1717200000000,
    "story_text": "Pyongyang, June 1 (KCNA) -- Workers of the Kwail orchard finished "
    "grafting the pear saplings ten days ahead of the season.\nThe orchard plans to ship "
    "marmalade to every county this autumn. -0-",
}


def test_only_absolute_web_links_are_kept() -> None:
    assert web_link("https://example.org/a?b=1") == "https://example.org/a?b=1"
    bad_links = ("javascript:alert(1)", "ftp://x/y", "/relative", "http://", "a b", "", None, 7)
    for bad in (*bad_links, "http://\ud800kcna.kp/x"):
        assert web_link(bad) is None
    assert miller_page("1789-04-30", "first-inaugural-address") == (
        "https://millercenter.org/the-presidency/presidential-speeches/"
        "april-30-1789-first-inaugural-address"
    )
    assert miller_page("1789-13-30", "x") is None


def test_each_corpus_format_keeps_the_link_it_has(tmp_path: Path) -> None:
    story = dict(STORY)
    doc = kcna_kp_json.record_to_document(story, "a.json#1")
    assert doc is not None and doc.url == ARTICLE and not doc.url_is_index
    unlinked = kcna_kp_json.record_to_document(dict(story, link="javascript:x"), "a.json#2")
    assert unlinked is not None and unlinked.url is None
    page = "http://rodong.rep.kp/en/index.php?MTJAMjAyMi0wMS0wMS1IMDAxQA==&newsID=2022-01-01-0001"
    rd = rodong.record_to_document({"url": page, "title": "T", "content": ["A line."]}, "r#1")
    assert rd is not None and rd.url == page
    index = "http://www.kcna.co.jp/item/2011/201112/2011-12-01ee.html"
    kj = kcna_jsonl.record_to_document(
        {"title": "T", "date": "2011-12-01", "index_link": index, "story": "Some story text."},
        "k#1",
    )
    assert kj is not None and kj.url == index and kj.url_is_index
    speech = tmp_path / "1961-01-20-inaugural-address.txt"
    speech.write_text("President: Someone\n\nA first paragraph.\n\nA second one.\n", "utf-8")
    (parsed,) = list(miller.parse(speech, speech.read_text("utf-8")))
    assert isinstance(parsed, ParsedDocument)
    assert parsed.url == miller_page("1961-01-20", "inaugural-address")


async def test_documents_stored_without_a_link_get_it_when_ingested_again(
    tmp_path: Path,
) -> None:
    path = tmp_path / "v.db"
    text = ["The orchard plans to ship marmalade to every county."]
    async with open_database(path) as db:
        await db.insert_documents([(ParsedDocument("Orchard", text, "a", "text"), "h1")])
        linked = ParsedDocument("Orchard", text, "b", "text", url=ARTICLE)
        (outcome,) = await db.insert_documents([(linked, "h1")])
        assert outcome.status == "duplicate"
        doc = await db.get_document(outcome.document_id or 0)
        assert doc is not None and doc.url == ARTICLE
        other = ParsedDocument("Orchard", text, "c", "text", url="https://example.org/x")
        await db.insert_documents([(other, "h1")])
        again = await db.get_document(outcome.document_id or 0)
        assert again is not None and again.url == ARTICLE  # a link once kept is not replaced


@pytest.fixture
def bot_db(sample_db: Path, tmp_path: Path) -> Path:
    """The sample speech plus one invented kcna.kp article with its link."""
    archive = tmp_path / "kcna" / "headlines.json"
    archive.parent.mkdir()
    archive.write_text(json.dumps([STORY]), "utf-8")

    async def add() -> None:
        async with open_database(sample_db) as db:
            summary = await ingest_paths(db, [archive], progress=False)
            assert summary.new == 1

    asyncio.run(add())
    return sample_db


def test_show_and_search_json_carry_the_link(bot_db: Path, tmp_path: Path) -> None:
    env = verbatim_env(tmp_path)
    found = subprocess.run(
        verbatim("search", "--db", str(bot_db), "--json", "pear saplings grafting orchard"),
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    (hit,) = json.loads(found.stdout)[:1]
    assert hit["url"] == ARTICLE and hit["url_is_index"] is False
    shown = subprocess.run(
        verbatim("show", "--db", str(bot_db), str(hit["paragraph_id"])),
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert f"Original: {ARTICLE}" in shown.stdout


def _buttons(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["text"]: b for row in message["reply_markup"]["inline_keyboard"] for b in row}


def test_a_kcna_card_has_an_original_button(
    running_bot: tuple[FakeTelegram, subprocess.Popen[str]],
) -> None:
    fake, _ = running_bot
    before = len(fake.calls)
    fake.push("message", fake.message("/q grafting the pear saplings ahead of the season"))
    card = fake.wait_for("sendMessage", since=before, timeout=WAIT)[0].params
    assert "Orchard Workers Finish Grafting Early" in card["text"]
    assert _buttons(card)["📰 Original"]["url"] == ARTICLE
    before = len(fake.calls)
    fake.push("message", fake.message("/q servant of the people with the heart of a mother"))
    sample_card = fake.wait_for("sendMessage", since=before, timeout=WAIT)[0].params
    assert "📰 Original" not in _buttons(sample_card)  # no link in the corpus: none made up
