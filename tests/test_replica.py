"""Replica mode: `verbatim run --snapshot` searches a published corpus snapshot, read-only,
and switches to a newly published one without dropping an update.

In-process (the Application over the fake Bot API through PTB's request layer, updates
fed through its update processor as polling and webhooks feed them), a search held in
flight across the switch completes on the old snapshot, while a query only the new one
can answer is answered at once; end to end (``verbatim run`` as a subprocess, polling the
fake Bot API server), the replica notices a new snapshot by itself (every
``VERBATIM_SNAPSHOT_CHECK_SECONDS``) or on SIGHUP, and a button of a card sent from the
old snapshot still works after the switch.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, WAIT, speeches, verbatim, verbatim_env
from fake_bot_api import TOKEN, ApiCall, FakeBotApiServer, FakeTelegram, RecordingRequest
from telegram import Update

from bot.cli.main import main as cli_main
from bot.telegram.app import build_application, running
from bot.telegram.bot_data import bot_data_of
from bot.telegram.replica import NOT_ON_A_REPLICA, follower_of
from store import SearchFilters, SearchResult, content_hash, open_database, snapshot_path

OLD_QUERY = "servent the peple with the heart of a mothr"  # ¶ 10 of the sample
NEW_QUERY = "lighthouse keeper spoke of tide number 7"  # only in the made-up speeches
NEW_TITLE = "Harbour Address"
MANY_HITS = "secretaries of primary party committees"  # 11 matching paragraphs in the sample


def publish(primary: Path, folder: Path) -> None:
    assert cli_main(["publish-snapshot", "--db", str(primary), str(folder)]) == 0


def add_speeches(primary: Path) -> None:
    async def work() -> None:
        async with open_database(primary) as db:
            await db.insert_documents([(d, content_hash(d.paragraphs)) for d in speeches()])
            await db.after_bulk_load()

    asyncio.run(work())


class HeldSearch:
    """A search that waits at the door until released (wraps the service's searcher)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    async def search(
        self,
        query: str,
        *,
        limit: int = 10,
        offset: int = 0,
        filters: SearchFilters | None = None,
    ) -> SearchResult:
        self.entered.set()
        await self.release.wait()
        return await self.inner.search(query, limit=limit, offset=offset, filters=filters)


async def test_a_search_in_flight_across_a_switch_completes_and_new_updates_see_the_new_snapshot(
    posting_db: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "snap"
    await asyncio.to_thread(publish, posting_db, folder)
    fake = FakeTelegram()
    app = build_application(
        TOKEN,
        snapshot_path(folder),
        request=RecordingRequest(fake),
        rate_limit=False,
        snapshot_check_seconds=0,
    )

    async def feed(text: str, chat: int) -> list[ApiCall]:
        """One update through the update processor (as polling and webhooks deliver)."""
        before = len(fake.calls)
        data = fake.update("message", fake.message(text, chat_id=chat, user_id=chat))
        update = Update.de_json(data, app.bot)
        await app.update_processor.process_update(update, app.process_update(update))
        return [c for c in fake.calls[before:] if c.params.get("chat_id") == chat]

    async with running(app):
        follower = follower_of(app)
        (card,) = await feed(OLD_QUERY, 201)
        assert "¶ 10 of 32" in card.params["text"]
        (nothing,) = await feed(NEW_QUERY, 202)
        assert NEW_TITLE not in nothing.params["text"]
        assert not await follower.check()  # nothing new published

        old_service = bot_data_of(app.bot_data).service
        held = HeldSearch(old_service.searcher)
        old_service.searcher = held
        in_flight = asyncio.create_task(feed(OLD_QUERY, 203))
        await held.entered.wait()

        await asyncio.to_thread(add_speeches, posting_db)
        await asyncio.to_thread(publish, posting_db, folder)
        assert await follower.check()
        assert follower.switches == 1 and follower.open_snapshots == 2  # the old one drains
        (found,) = await feed(NEW_QUERY, 204)
        assert NEW_TITLE in found.params["text"]
        assert not in_flight.done()

        held.release.set()
        (answered,) = await in_flight  # finished on the old snapshot's connections
        assert answered.params["text"] == card.params["text"]
        await asyncio.wait_for(follower.drained(), WAIT)
        assert follower.open_snapshots == 1
        (again,) = await feed(OLD_QUERY, 205)
        assert again.params["text"] == card.params["text"]  # the same ids, the same card
        # the replica wrote nothing: no stored query, so no "other matches" button
        labels = [b["text"] for row in card.params["reply_markup"]["inline_keyboard"] for b in row]
        assert not any("other" in label.lower() for label in labels)
        # and what needs state it cannot keep is declined in so many words
        for command in ("/channel add @news", "/schedule list", "/watch heart of a mother"):
            (declined,) = await feed(command, 206)
            assert declined.params["text"] == NOT_ON_A_REPLICA


async def test_with_a_shared_state_buttons_of_cards_sent_before_a_switch_keep_working(
    posting_db: Path, tmp_path: Path, pg_url: str
) -> None:
    folder = tmp_path / "snap"
    await asyncio.to_thread(publish, posting_db, folder)
    fake = FakeTelegram()
    app = build_application(
        TOKEN,
        snapshot_path(folder),
        request=RecordingRequest(fake),
        rate_limit=False,
        snapshot_check_seconds=0,
        state_url=pg_url,
        state_where="test",
    )

    async def feed(kind: str, payload: dict[str, Any]) -> list[ApiCall]:
        before = len(fake.calls)
        update = Update.de_json(fake.update(kind, payload), app.bot)
        await app.update_processor.process_update(update, app.process_update(update))
        return fake.calls[before:]

    async with running(app):
        # a watch kept in the shared state, made on the first snapshot
        (watching,) = await feed(
            "message", fake.message(f"/watch {NEW_QUERY}", chat_id=212, user_id=212)
        )
        assert watching.params["text"] != NOT_ON_A_REPLICA
        (card,) = await feed("message", fake.message(MANY_HITS, chat_id=211, user_id=211))
        buttons = {
            b["text"]: b for row in card.params["reply_markup"]["inline_keyboard"] for b in row
        }
        other = buttons["🔎 Other matches"]["callback_data"]  # the search is stored
        await asyncio.to_thread(add_speeches, posting_db)
        await asyncio.to_thread(publish, posting_db, folder)
        assert await follower_of(app).check()
        (sent,) = [m for m in fake.sent if m["chat"]["id"] == 211]
        press = fake.callback_query(other, message=sent, user_id=211)
        edit, _ = await feed("callback_query", press)
        assert edit.method == "editMessageText" and edit.params["text"] != card.params["text"]
        assert "of 32" in edit.params["text"]  # the second match, in the sample speech
        (linked,) = await feed("message", fake.message("/channel list", chat_id=211))
        assert linked.params["text"] != NOT_ON_A_REPLICA  # posting state is shared
        # the new snapshot's speeches answer the watch: one alert per new document, once
        before = len(fake.calls)
        await bot_data_of(app.bot_data).watching.check()
        alerts = [c for c in fake.calls[before:] if c.params.get("chat_id") == 212]
        titles = sorted(c.params["text"].split("\n")[0] for c in alerts)
        assert len(titles) == 3 and all(NEW_TITLE in t for t in titles), titles
        before = len(fake.calls)
        await bot_data_of(app.bot_data).watching.check()
        assert not [c for c in fake.calls[before:] if c.params.get("chat_id") == 212]


@contextmanager
def replica_bot(
    snapshot: Path, tmp_path: Path, check_seconds: str
) -> Iterator[tuple[FakeTelegram, subprocess.Popen[str], Path]]:
    log_path = tmp_path / "replica.log"
    with FakeBotApiServer() as server, log_path.open("w") as log:
        env = verbatim_env(
            tmp_path,
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_BASE_URL=server.base_url,
            VERBATIM_RATE_PER_MINUTE="6000",
            VERBATIM_RATE_BURST="1000",
            VERBATIM_SNAPSHOT_CHECK_SECONDS=check_seconds,
        )
        proc = subprocess.Popen(
            verbatim("run", "--snapshot", str(snapshot)),
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            server.fake.wait_for("setMyCommands", timeout=WAIT)
            yield server.fake, proc, log_path
        finally:
            if proc.poll() is None:
                proc.terminate()
            try:
                proc.wait(timeout=WAIT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def ask(fake: FakeTelegram, text: str, chat: int) -> ApiCall:
    since = len(fake.calls)
    fake.push("message", fake.message(text, chat_id=chat, user_id=chat))
    for call in fake.wait_for("sendMessage", since=since, timeout=WAIT):
        if call.params["chat_id"] == chat:
            return call
    raise AssertionError(f"no answer in chat {chat}")


def wait_for_log(path: Path, text: str) -> None:
    deadline = time.monotonic() + WAIT
    while text not in path.read_text():
        assert time.monotonic() < deadline, f"no {text!r} in:\n{path.read_text()}"
        time.sleep(0.05)


def test_a_running_replica_picks_up_a_new_snapshot_by_itself(
    posting_db: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "snap"
    publish(posting_db, folder)
    with replica_bot(snapshot_path(folder), tmp_path, "0.2") as (fake, proc, log):
        card = ask(fake, OLD_QUERY, 301)
        assert "¶ 10 of 32" in card.params["text"]
        assert NEW_TITLE not in ask(fake, NEW_QUERY, 302).params["text"]
        add_speeches(posting_db)
        publish(posting_db, folder)
        wait_for_log(log, "switched to the new corpus snapshot")
        assert NEW_TITLE in ask(fake, NEW_QUERY, 303).params["text"]
        # ▶ on the card sent from the first snapshot opens the same paragraph as before
        (message,) = [m for m in fake.sent if m["chat"]["id"] == 301]
        forward = card.params["reply_markup"]["inline_keyboard"][0][1]["callback_data"]
        since = len(fake.calls)
        fake.push("callback_query", fake.callback_query(forward, message=message, user_id=301))
        (edit,) = fake.wait_for("editMessageText", since=since, timeout=WAIT)
        assert "¶ 11 of 32" in edit.params["text"]
        assert proc.poll() is None
    text = log.read_text()
    assert "replica mode" in text and "Traceback" not in text
    assert "closed the previous corpus snapshot" in text


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="needs SIGHUP (POSIX)")
def test_sighup_makes_a_replica_look_for_a_new_snapshot(posting_db: Path, tmp_path: Path) -> None:
    folder = tmp_path / "snap"
    publish(posting_db, folder)
    with replica_bot(snapshot_path(folder), tmp_path, "0") as (fake, proc, log):
        add_speeches(posting_db)
        publish(posting_db, folder)
        assert NEW_TITLE not in ask(fake, NEW_QUERY, 401).params["text"]  # not looked yet
        proc.send_signal(signal.SIGHUP)
        wait_for_log(log, "switched to the new corpus snapshot")
        assert NEW_TITLE in ask(fake, NEW_QUERY, 402).params["text"]
        assert proc.poll() is None


def test_run_checks_the_replica_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.delenv("VERBATIM_CORPUS_SNAPSHOT", raising=False)
    monkeypatch.delenv("VERBATIM_SNAPSHOT_CHECK_SECONDS", raising=False)
    assert cli_main(["run", "--snapshot", str(tmp_path / "corpus.db")]) == 3
    assert "publish-snapshot" in capsys.readouterr().err
    assert cli_main(["run", "--snapshot", str(tmp_path)]) == 4
    assert "is a folder" in capsys.readouterr().err
    monkeypatch.setenv("VERBATIM_CORPUS_SNAPSHOT", str(tmp_path / "corpus.db"))
    for bad in ("soon", "0.01", "-1", "inf"):
        monkeypatch.setenv("VERBATIM_SNAPSHOT_CHECK_SECONDS", bad)
        assert cli_main(["run"]) == 4, bad
        assert "VERBATIM_SNAPSHOT_CHECK_SECONDS" in capsys.readouterr().err
