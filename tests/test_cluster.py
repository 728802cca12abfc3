"""Two bot replicas behind a reverse proxy, on one published corpus snapshot, fed by the
fake Bot API's webhook delivery (tests/cluster_harness.py): chat, inline and buttons work
whichever replica an update reaches, and killing a replica in the middle of a burst of
updates loses none of them (Telegram delivers a failed update again; the replicas answer
Telegram only once an update is handled).

The proxy is nginx where it is installed (``.ci/run`` installs nginx-light), else the
small Python round-robin proxy (tests/rr_proxy.py); the first test always runs the
Python proxy, so both are exercised.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cluster_harness import NGINX, Cluster, free_port, nginx_conf
from conftest import WAIT
from fake_bot_api import BOT_ID, ApiCall

from bot.cli.main import main as cli_main
from store import open_database, sample_path, snapshot_path
from store.ingest import ingest_paths
from store.state import open_state_store

QUERY = "servent the peple with the heart of a mothr"  # ¶ 10 of the sample
MANY_HITS = "secretaries of primary party committees"  # 11 matching paragraphs in the sample
USER, CHANNEL = 111, -1001234567890


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample speech, published as a snapshot."""
    work = tmp_path_factory.mktemp("primary")

    async def build() -> None:
        async with open_database(work / "primary.db") as db:
            await ingest_paths(db, [sample_path()], progress=False)

    asyncio.run(build())
    assert cli_main(["publish-snapshot", "--db", str(work / "primary.db"), str(work / "snap")]) == 0
    return snapshot_path(work / "snap")


@pytest.fixture
def cluster_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path
    for log in sorted(tmp_path.glob("*.log")):  # shown when a test fails
        print(f"--- {log.name}\n{log.read_text()[-3000:]}")


def answers(cluster: Cluster, method: str, key: str, value: Any) -> list[ApiCall]:
    return [c for c in cluster.calls(method=method) if c.params.get(key) == value]


def keyboard_data(params: dict[str, Any]) -> dict[str, str]:
    rows = params["reply_markup"]["inline_keyboard"]
    return {b["text"]: b.get("callback_data", "") for row in rows for b in row}


def test_two_replicas_answer_chat_inline_and_buttons_whichever_gets_the_update(
    snapshot: Path, cluster_dir: Path
) -> None:
    with Cluster(snapshot, cluster_dir, proxy="python", max_connections=1) as cluster:
        fake, delivery = cluster.fake, cluster.delivery
        assert delivery is not None
        users = [501, 502, 503, 504]
        ids = [fake.push("message", fake.message(QUERY, chat_id=u, user_id=u)) for u in users]
        delivery.wait_delivered(ids, timeout=WAIT)
        cards = {u: answers(cluster, "sendMessage", "chat_id", u) for u in users}
        assert all(len(found) == 1 for found in cards.values()), cards
        texts = {found[0].params["text"] for found in cards.values()}
        (text,) = texts
        assert "¶ 10 of 32" in text
        assert {found[0].via for found in cards.values()} == {"r1", "r2"}  # round robin

        inline_id = "cluster-inline-1"
        query = {"id": inline_id, "from": fake.user(505), "query": QUERY, "offset": ""}
        delivery.wait_delivered([fake.push("inline_query", query)], timeout=WAIT)
        (inline,) = answers(cluster, "answerInlineQuery", "inline_query_id", inline_id)
        assert inline.params["results"][0]["input_message_content"]["message_text"] == text

        # ▶ ◀ ▶ ◀ on user 501's card: the presses alternate between the replicas, so the
        # replica that did not send the card handles some of them
        (card,) = cards[501]
        (message,) = [m for m in fake.sent if m["chat"]["id"] == 501]
        params, handled_by = card.params, []
        for n, (label, shown) in enumerate([("▶", "¶ 11"), ("◀", "¶ 10")] * 2):
            data = next(d for t, d in keyboard_data(params).items() if label in t)
            since = len(fake.calls)
            press = fake.callback_query(data, message=message, user_id=501)
            delivery.wait_delivered([fake.push("callback_query", press)], timeout=WAIT)
            (edit,) = [c for c in fake.calls[since:] if c.method == "editMessageText"]
            assert f"{shown} of 32" in edit.params["text"], (n, edit.params["text"])
            params = edit.params
            handled_by.append(edit.via)
        assert set(handled_by) == {"r1", "r2"} and card.via in handled_by
        assert not delivery.failed_attempts() and not delivery.lost
        assert cluster.proxy_stats()["bad_gateway"] == 0


def test_killing_a_replica_during_a_burst_loses_no_update(
    snapshot: Path, cluster_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Cluster(snapshot, cluster_dir) as cluster:
        fake, delivery = cluster.fake, cluster.delivery
        assert delivery is not None
        chats = list(range(600, 635))
        inline_ids = [f"burst-{n}" for n in range(15)]
        pushed = [fake.push("message", fake.message(QUERY, chat_id=u, user_id=u)) for u in chats]
        for n, qid in enumerate(inline_ids):
            query = {"id": qid, "from": fake.user(700 + n), "query": QUERY, "offset": ""}
            pushed.append(fake.push("inline_query", query))

        deadline = time.monotonic() + WAIT  # kill r1 once the burst is being answered
        while len(cluster.calls(method="sendMessage")) < 6:
            assert time.monotonic() < deadline, "no answers"
            time.sleep(0.005)
        before_kill = len(fake.calls)
        cluster.kill("r1")
        delivery.wait_delivered(pushed, timeout=60)

        answered = {u: answers(cluster, "sendMessage", "chat_id", u) for u in chats}
        answered_inline = {
            q: answers(cluster, "answerInlineQuery", "inline_query_id", q) for q in inline_ids
        }
        every = list(answered.values()) + list(answered_inline.values())
        assert not delivery.lost
        assert all(found for found in every), "an update got no answer"
        (text,) = {c.params["text"] for found in answered.values() for c in found}
        assert "¶ 10 of 32" in text
        results = {c.params["results"][0]["id"] for f in answered_inline.values() for c in f}
        assert len(results) == 1
        # an update answered twice: only one the killed replica had answered before it
        # died, without having told Telegram (its acknowledgement was lost with it)
        twice = [found for found in every if len(found) > 1]
        for found in twice:
            assert len(found) == 2 and found[0].via == "r1", found
        assert "r2" in {c.via for c in fake.calls[before_kill:]}
        assert not fake.polls  # webhook replicas never poll
        failed = delivery.failed_attempts()
        with capsys.disabled():
            print(
                f"\n  {cluster.proxy_kind}: {len(pushed)} updates, r1 killed after "
                f"{before_kill} Bot API calls; {len(failed)} deliveries failed and were "
                f"tried again; 0 lost; {len(twice)} answered twice (answered by r1 just "
                "before it died)"
            )


def burst(cluster: Cluster, chats: range) -> list[int]:
    fake = cluster.fake
    return [fake.push("message", fake.message(QUERY, chat_id=u, user_id=u)) for u in chats]


def test_stopping_a_replica_during_a_burst_loses_and_repeats_nothing(
    snapshot: Path, cluster_dir: Path
) -> None:
    """SIGTERM: the replica finishes the updates it is handling and answers Telegram for
    them, refuses new ones (503: delivered again, to the other replica), then exits."""
    with Cluster(snapshot, cluster_dir) as cluster:
        assert cluster.delivery is not None
        chats = range(900, 940)
        pushed = burst(cluster, chats)
        deadline = time.monotonic() + WAIT
        while len(cluster.calls(method="sendMessage")) < 6:
            assert time.monotonic() < deadline, "no answers"
            time.sleep(0.005)
        cluster.kill("r1", signal.SIGTERM)
        cluster.delivery.wait_delivered(pushed, timeout=60)
        assert not cluster.delivery.lost
        counts = [len(answers(cluster, "sendMessage", "chat_id", u)) for u in chats]
        assert counts == [1] * len(chats)
        assert cluster.replicas[0].proc.wait(timeout=WAIT) == 0
        assert "Traceback" not in cluster.replicas[0].log.read_text()


def test_other_matches_pressed_on_another_replica_with_the_state_in_postgresql(
    snapshot: Path, cluster_dir: Path, pg_url: str
) -> None:
    """A card sent by one replica has "other matches", which needs the search stored; the
    presses reach the other replica too, which finds the search in the shared state."""
    env = {"VERBATIM_STATE_URL": pg_url}
    with Cluster(snapshot, cluster_dir, proxy="python", max_connections=1, env=env) as cluster:
        fake, delivery = cluster.fake, cluster.delivery
        assert delivery is not None
        message = fake.message(MANY_HITS, chat_id=801, user_id=801)
        delivery.wait_delivered([fake.push("message", message)], timeout=WAIT)
        (card,) = answers(cluster, "sendMessage", "chat_id", 801)
        (sent,) = [m for m in fake.sent if m["chat"]["id"] == 801]
        params, texts, handled_by = card.params, [card.params["text"]], [card.via]
        for _ in range(2):  # round robin: the presses alternate between the replicas
            other = next(d for t, d in keyboard_data(params).items() if "Other matches" in t)
            since = len(fake.calls)
            press = fake.callback_query(other, message=sent, user_id=801)
            delivery.wait_delivered([fake.push("callback_query", press)], timeout=WAIT)
            (edit,) = [c for c in fake.calls[since:] if c.method == "editMessageText"]
            params = edit.params
            texts.append(params["text"])
            handled_by.append(edit.via)
        assert len(set(texts)) == 3  # the first, second and third matches
        assert handled_by[1] != handled_by[0] and set(handled_by) == {"r1", "r2"}


def test_a_schedule_due_while_two_replicas_run_posts_once(
    snapshot: Path, cluster_dir: Path, pg_url: str
) -> None:
    """Two replicas restore the same schedule from the shared state; when it is due, one
    of them claims the run and the channel gets one post."""
    now = dt.datetime.now(dt.UTC)
    # at least 30 s ahead: both replicas must have started (and restored it) by then
    due = (now + dt.timedelta(minutes=2 if now.second > 30 else 1)).replace(second=0)

    async def make_schedule() -> None:
        async with (
            open_database(snapshot, read_only=True) as db,
            open_state_store(pg_url, db, "test") as state,
        ):
            await state.posting.link_target(USER, CHANNEL, "channel", "Quotes", "quotes")
            await state.posting.add_schedule(
                chat_id=CHANNEL,
                chat_type="channel",
                chat_title="Quotes",
                chat_username="quotes",
                creator_id=USER,
                minute_of_day=due.hour * 60 + due.minute,
                query=None,
                collection=None,
            )

    asyncio.run(make_schedule())
    env = {"VERBATIM_STATE_URL": pg_url}
    with Cluster(snapshot, cluster_dir, env=env) as cluster:
        fake = cluster.fake
        fake.chat(USER)
        fake.add_chat(CHANNEL, "channel", title="Quotes", username="quotes")
        fake.set_member(CHANNEL, BOT_ID, "administrator")
        fake.set_member(CHANNEL, USER, "creator")
        time.sleep(max(0.0, (due - dt.datetime.now(dt.UTC)).total_seconds()) + 8)
        posts = [c for c in cluster.calls(method="sendMessage") if c.params["chat_id"] == CHANNEL]
        assert len(posts) == 1, posts
        assert all(r.proc.poll() is None for r in cluster.replicas)


@pytest.mark.skipif(NGINX is None, reason="nginx not installed: its config not checked")
def test_the_clusters_nginx_config_passes_nginx_t(tmp_path: Path) -> None:
    import subprocess

    conf = tmp_path / "nginx.conf"
    conf.write_text(nginx_conf(tmp_path, free_port(), [free_port(), free_port()]))
    assert NGINX is not None
    done = subprocess.run(
        [NGINX, "-t", "-p", str(tmp_path), "-c", str(conf)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
