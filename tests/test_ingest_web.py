"""``verbatim ingest URL…``: article pages, corpus files and RSS/Atom feeds from a small
web site on 127.0.0.1 (tests/web_site.py, invented text); the fetcher's limits (redirects,
size, time, schemes); failures reported per URL while the rest is ingested."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import trafilatura
from conftest import ingest_failures
from web_site import FakeSite

from bot.cli.common import EXIT_OK, EXIT_PARTIAL_FAILURE
from bot.cli.main import main
from store.db import open_database
from store.models import DocumentMeta, PartialDate
from store.parsers import common
from store.web import fetch, is_url, url_problem
from store.web.fetch import Fetcher, FetchError

LIGHTHOUSE = """<!doctype html>
<html lang="en"><head>
<title>The Lighthouse Keeper's Address | Harbour Gazette</title>
<meta name="author" content="Mara Quill">
<meta property="article:published_time" content="2021-05-14">
</head><body>
<nav><a href="/">Home</a> <a href="/about">About the Gazette</a> <a href="/rss">RSS</a></nav>
<main><article>
<h1>The Lighthouse Keeper's Address</h1>
<p>Friends of the harbour, the lamps we tend are older than any of us, and they will
outlast our quarrels<br>about the price of lamp oil and the colour of the gallery rail.</p>
<h2>The beam</h2>
<p>Every night the beam turns forty times a minute across the water, and every captain
who sees it knows that the rocks are exactly where they always were.</p>
<p>So let us mend the cracked lens before the autumn storms arrive, and paint the rail
before the gulls claim it for good.</p>
<p>Keep the light burning, and the light will keep every one of you safe at sea.</p>
</article></main>
<footer>Copyright 2021 Harbour Gazette. All rights reserved. Cookie settings.</footer>
</body></html>
"""


def _article(title: str, *paragraphs: str, author: str = "", date: str = "") -> str:
    meta = f'<meta name="author" content="{author}">' if author else ""
    meta += f'<meta property="article:published_time" content="{date}">' if date else ""
    body = "".join(f"<p>{p}</p>\n" for p in paragraphs)
    return (
        f"<!doctype html><html><head><title>{title}</title>{meta}</head><body>"
        '<nav><a href="/">Home</a> <a href="/news">News</a></nav>'
        f"<article><h1>{title}</h1>\n{body}</article>"
        "<footer>Valley Courier. All rights reserved.</footer></body></html>"
    )


ORCHARD = _article(
    "The Orchard Cooperative's Spring Report",
    "The cooperative planted four hundred new pear trees on the southern slope this spring,"
    " each one staked against the wind that comes down from the quarry.",
    "Frost took the early blossom in the lower rows, but the upper terraces were spared,"
    " and the beekeepers report the busiest hives in a decade.",
    "Members are asked to bring their own ladders to the harvest and to label them clearly.",
    author="Tobias Wren",
)
BRIDGE = _article(
    "Reopening of the Footbridge",
    "The footbridge over the millstream reopens on Saturday after eleven weeks of repairs"
    " to its oak planking and the iron handrail on the upstream side.",
    "Cyclists are asked to dismount and walk across, as the planks are still settling into"
    " their new brackets and may shift under a heavy load.",
    "The council thanks the carpenters, who finished a week earlier than anyone expected.",
)
MILL = _article(
    "The Mill Wheel Turns Again",
    "After a winter of silence the old mill wheel turned again this morning, pushed by a"
    " stream swollen with snowmelt from the high moor.",
    "The miller ground the first sack of rye in forty years while a crowd of schoolchildren"
    " counted the turns of the wheel aloud.",
    "Flour from the first grinding will be sold at the Saturday market, one bag a family.",
)
TIDE_TABLES = (
    "<p>The spring tides this month will rise higher than the harbour wall has seen since"
    " the great flood, so moor your boats with doubled lines.</p>"
    "<p>Harbour master Ilse Brandt asks owners of the smallest dinghies to haul them up the"
    " slipway before the new moon.</p>"
)


def _rss(*items: str) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        "<title>Harbour Gazette</title><link>/</link><description>News</description>"
        + "".join(items)
        + "</channel></rss>"
    )


RSS_TIDES = (
    "<item><title>Spring tides and the harbour wall</title><link>/articles/tide-tables.html"
    "</link><pubDate>Mon, 03 May 2021 08:00:00 GMT</pubDate><dc:creator>Ilse Brandt"
    "</dc:creator><description>Moor with doubled lines.</description>"
    f"<content:encoded><![CDATA[{TIDE_TABLES}]]></content:encoded></item>"
)
RSS_ORCHARD = (
    "<item><title>Spring report of the orchard cooperative</title>"
    "<link>/articles/orchard.html</link><pubDate>Tue, 11 May 2021 09:30:00 GMT</pubDate>"
    "<description>Four hundred pear trees.</description></item>"
)
RSS_BRIDGE = (
    "<item><title>Footbridge reopens</title><link>/articles/bridge.html</link>"
    "<pubDate>Sat, 22 May 2021 07:00:00 GMT</pubDate></item>"
)
ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Valley Courier</title>
<id>urn:valley</id><updated>2022-03-04T00:00:00Z</updated>
<entry><title>The mill wheel</title><link href="/articles/mill.html"/><id>urn:mill</id>
<updated>2022-03-01T10:00:00Z</updated><author><name>Agnes Pell</name></author>
<summary>The wheel turns.</summary></entry>
<entry><title>Lantern walk</title><link href="/articles/lanterns.html"/><id>urn:lanterns</id>
<updated>2022-03-04T18:00:00Z</updated>
<content type="html">&lt;p&gt;Two hundred paper lanterns floated down the river on Friday
evening, each one carrying a wish written by a child of the valley.&lt;/p&gt;
&lt;p&gt;The ferryman collected them at the weir before dawn.&lt;/p&gt;</content></entry>
</feed>
"""


def _story(title: str, date: str, *paragraphs: str) -> str:
    record = {
        "title": title,
        "date": date,
        "language": "en",
        "index_link": f"http://kcna.invalid/index-{date}.htm",
        "story": ", , ".join(paragraphs) + ", , , , ,",
    }
    return json.dumps(record)


STORIES = "\n".join(
    [
        _story(
            "Weavers mark their guild's anniversary",
            "2011-06-02",
            "The weavers of the eastern district marked the fiftieth anniversary of their"
            " guild with a loom that runs on river water.",
            "Their oldest member wove a banner of blue and silver thread for the occasion.",
        ),
        '{"title": "broken record", "story": ',
        _story(
            "Beekeepers share the spring honey",
            "2011-06-03",
            "Beekeepers on the northern hills shared the first spring honey with the"
            " schoolchildren of the valley villages.",
            "Each class received a jar sealed with green wax.",
        ),
    ]
)


@pytest.fixture(autouse=True)
def _no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing but 127.0.0.1 is contacted: no proxy from the environment."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("all_proxy", raising=False)


@pytest.fixture
def site() -> Iterator[FakeSite]:
    with FakeSite() as running:
        running.page("/articles/lighthouse.html", LIGHTHOUSE)
        running.page("/articles/orchard.html", ORCHARD)
        running.page("/articles/bridge.html", BRIDGE)
        running.page("/articles/mill.html", MILL)
        running.page("/feeds/harbour.rss", _rss(RSS_TIDES, RSS_ORCHARD), "application/rss+xml")
        running.page("/feeds/valley.atom", ATOM, "application/atom+xml")
        running.page("/data/stories.jsonl", STORIES, "application/octet-stream")
        yield running


def _ingest(db: Path, *args: str) -> int:
    return main(["ingest", "--quiet", "--db", str(db), *args])


def _documents(db: Path) -> list[DocumentMeta]:
    async def read() -> list[DocumentMeta]:
        async with open_database(db) as opened:
            return await opened.list_documents(limit=100)

    return asyncio.run(read())


def _paragraphs(db: Path, doc: DocumentMeta) -> list[str]:
    async def read() -> list[str]:
        async with open_database(db) as opened:
            window = await opened.paragraph_window(doc.id, 1, 0, doc.paragraph_count)
            return [p.text for p in window]

    return asyncio.run(read())


def _first_hit(db: Path, query: str, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    capsys.readouterr()
    assert main(["search", "--db", str(db), "--json", query]) == EXIT_OK
    hits = json.loads(capsys.readouterr().out)
    assert hits, f"nothing found for {query!r}"
    first: dict[str, object] = hits[0]
    return first


def test_an_article_page_is_its_main_text_with_title_author_date_and_link(
    site: FakeSite, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "v.db"
    url = site.url("/articles/lighthouse.html")
    assert _ingest(db, url) == EXIT_OK, capsys.readouterr().err
    assert "1 URLs: 1 new documents (4 paragraphs)" in capsys.readouterr().out
    [doc] = _documents(db)
    assert doc.title == "The Lighthouse Keeper's Address"
    assert doc.speaker == "Mara Quill"
    assert doc.date == PartialDate(2021, 5, 14)
    assert doc.url == url and doc.origin == url and not doc.url_is_index
    assert doc.collection == "127.0.0.1"
    paragraphs = _paragraphs(db, doc)
    assert paragraphs[0].endswith(
        "outlast our quarrels about the price of lamp oil and the colour of the gallery rail."
    )  # <br> is a space
    text = " ".join(paragraphs)
    for boilerplate in ("All rights reserved", "About the Gazette", "The beam", "Cookie"):
        assert boilerplate not in text
    hit = _first_hit(db, "the beam turns forty times a minute", capsys)
    assert hit["title"] == doc.title and hit["position"] == 2 and hit["total"] == 4
    assert str(hit["text"]).startswith("Every night the beam turns forty times")
    assert all(ua.startswith("Verbatim/") for ua in site.user_agents)


def test_a_second_run_over_the_same_page_stores_nothing_new(
    site: FakeSite, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "v.db"
    url = site.url("/articles/lighthouse.html")
    assert _ingest(db, url, url) == EXIT_OK  # named twice: fetched once
    assert site.requests == ["/articles/lighthouse.html"]
    assert _ingest(db, url) == EXIT_OK
    assert "0 new documents (0 paragraphs), 1 duplicates" in capsys.readouterr().out
    assert len(_documents(db)) == 1


def test_a_corpus_file_by_url_goes_through_its_parser(
    site: FakeSite, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "v.db"
    url = site.url("/data/stories.jsonl")
    assert _ingest(db, url) == EXIT_PARTIAL_FAILURE  # one broken record
    err = capsys.readouterr().err
    assert ingest_failures(err) == {f"{url}#2": "invalid JSON at column 37: Expecting value"}, err
    docs = {d.title: d for d in _documents(db)}
    assert set(docs) == {
        "Weavers mark their guild's anniversary",
        "Beekeepers share the spring honey",
    }
    weavers = docs["Weavers mark their guild's anniversary"]
    assert weavers.origin == f"{url}#1" and weavers.collection == "kcna_xmarquez_2011_2012"
    assert weavers.url == "http://kcna.invalid/index-2011-06-02.htm" and weavers.url_is_index
    assert weavers.date == PartialDate(2011, 6, 2)
    hit = _first_hit(db, "a banner of blue and silver thread", capsys)
    assert hit["document_id"] == weavers.id and hit["position"] == 2


def test_feed_entries_are_ingested_and_a_rerun_fetches_only_new_ones(
    site: FakeSite, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "v.db"
    feed = site.url("/feeds/harbour.rss")
    assert _ingest(db, feed) == EXIT_OK, capsys.readouterr().err
    # the tide entry carries its text: its page (not served here) is not fetched
    assert site.requests == ["/feeds/harbour.rss", "/articles/orchard.html"]
    assert "2 URLs: 2 new documents" in capsys.readouterr().out
    docs = {d.url: d for d in _documents(db)}
    tides = docs[site.url("/articles/tide-tables.html")]
    assert tides.title == "Spring tides and the harbour wall"
    assert tides.speaker == "Ilse Brandt" and tides.date == PartialDate(2021, 5, 3)
    assert _paragraphs(db, tides)[1].startswith("Harbour master Ilse Brandt asks owners")
    orchard = docs[site.url("/articles/orchard.html")]
    assert orchard.title == "Spring report of the orchard cooperative"  # the feed's title
    assert orchard.date == PartialDate(2021, 5, 11) and orchard.speaker == "Tobias Wren"
    hit = _first_hit(db, "bring their own ladders to the harvest", capsys)
    assert hit["document_id"] == orchard.id and hit["position"] == 3

    site.page("/feeds/harbour.rss", _rss(RSS_BRIDGE, RSS_TIDES, RSS_ORCHARD), "application/rss+xml")
    site.requests.clear()
    assert _ingest(db, feed) == EXIT_OK
    assert site.requests == ["/feeds/harbour.rss", "/articles/bridge.html"]
    out = capsys.readouterr().out
    assert "1 new documents" in out and "2 feed entries already stored (not fetched)" in out
    hit = _first_hit(db, "cyclists are asked to dismount and walk across", capsys)
    assert hit["title"] == "Footbridge reopens"

    site.requests.clear()
    assert _ingest(db, feed) == EXIT_OK
    assert site.requests == ["/feeds/harbour.rss"]
    assert "0 new documents" in capsys.readouterr().out


def test_an_atom_feed_with_a_linked_entry_and_one_carrying_its_content(
    site: FakeSite, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "v.db"
    assert _ingest(db, site.url("/feeds/valley.atom"), "--collection", "valley") == EXIT_OK
    assert site.requests == ["/feeds/valley.atom", "/articles/mill.html"]
    docs = {d.title: d for d in _documents(db)}
    assert set(docs) == {"The mill wheel", "Lantern walk"}
    assert docs["The mill wheel"].speaker == "Agnes Pell"
    assert docs["The mill wheel"].date == PartialDate(2022, 3, 1)
    assert {d.collection for d in docs.values()} == {"valley"}
    assert _paragraphs(db, docs["Lantern walk"]) == [
        "Two hundred paper lanterns floated down the river on Friday evening, each one "
        "carrying a wish written by a child of the valley.",
        "The ferryman collected them at the weir before dawn.",
    ]
    hit = _first_hit(db, "the first sack of rye in forty years", capsys)
    assert hit["document_id"] == docs["The mill wheel"].id


def test_a_404_is_reported_for_its_url_and_the_other_urls_and_files_are_ingested(
    site: FakeSite, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "v.db"
    speech = tmp_path / "speech.txt"
    speech.write_text("A local speech\n\nHarbourton, May 2 (HNA) -- Words of the file.\n")
    missing = site.url("/articles/gone.html")
    args = [site.url("/articles/lighthouse.html"), missing, str(speech), site.url("/f/x.rss")]
    assert _ingest(db, *args) == EXIT_PARTIAL_FAILURE
    captured = capsys.readouterr()
    assert ingest_failures(captured.err) == {
        missing: "HTTP 404 Not Found",
        site.url("/f/x.rss"): "HTTP 404 Not Found",
    }
    assert "1 files and 3 URLs: 2 new documents" in captured.out
    assert {d.title for d in _documents(db)} == {
        "The Lighthouse Keeper's Address",
        "A local speech",
    }


def test_a_missing_path_beside_a_url_is_exit_1_not_3(
    site: FakeSite, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "v.db"
    code = _ingest(db, str(tmp_path / "typo.txt"), site.url("/articles/lighthouse.html"))
    assert code == EXIT_PARTIAL_FAILURE
    assert "no such file or folder" in capsys.readouterr().err
    assert len(_documents(db)) == 1


def test_a_broken_feed_and_a_non_feed_xml_are_reported(
    site: FakeSite, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "v.db"
    site.page("/feeds/broken.rss", '<rss version="2.0"><channel><title>Gaz', "application/rss+xml")
    site.page("/feeds/words.rss", "just some words, no feed", "application/rss+xml")
    site.page("/sitemap.xml", '<?xml version="1.0"?><urlset><url/></urlset>', "application/xml")
    half = _rss(RSS_ORCHARD).replace("</channel></rss>", "<item><title>Cut")
    site.page("/feeds/half.rss", half, "application/rss+xml")
    urls = [site.url(p) for p in ("/feeds/broken.rss", "/feeds/words.rss", "/sitemap.xml")]
    assert _ingest(db, *urls, site.url("/feeds/half.rss")) == EXIT_PARTIAL_FAILURE
    failures = ingest_failures(capsys.readouterr().err)
    assert failures[urls[0]].startswith("broken feed: not well-formed XML at line ")
    assert failures[urls[1]].startswith("not an RSS or Atom feed")
    assert failures[urls[2]] == "XML that is not an RSS or Atom feed (application/xml)"
    # a feed cut short: reported, and its entries that could be read are ingested
    assert failures[site.url("/feeds/half.rss")].startswith("broken feed: not well-formed")
    assert [d.url for d in _documents(db)] == [site.url("/articles/orchard.html")]


def test_redirects_are_followed_up_to_five(
    site: FakeSite, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for n in range(10):
        site.redirect(f"/loop/{n}", f"/loop/{n + 1}")
    site.redirect("/moved", site.url("/moved-again"), status=301)
    site.redirect("/moved-again", "/articles/lighthouse.html", status=307)
    db = tmp_path / "v.db"
    assert _ingest(db, site.url("/loop/0"), site.url("/moved")) == EXIT_PARTIAL_FAILURE
    assert ingest_failures(capsys.readouterr().err) == {
        site.url("/loop/0"): "too many redirects (more than 5)"
    }
    assert site.requests[:6] == [f"/loop/{n}" for n in range(6)]
    assert site.requests[6:] == ["/moved", "/moved-again", "/articles/lighthouse.html"]
    [doc] = _documents(db)
    assert doc.url == site.url("/moved")  # the URL named (a feed's entry link) is kept


def test_only_http_and_https_are_fetched_also_after_a_redirect(
    site: FakeSite, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site.redirect("/to-file", "file:///etc/passwd")
    db = tmp_path / "v.db"
    refused = ["file:///etc/hostname", "ftp://127.0.0.1/speech.txt", "data:text/plain,Hello"]
    assert _ingest(db, *refused, site.url("/to-file")) == EXIT_PARTIAL_FAILURE
    assert ingest_failures(capsys.readouterr().err) == {
        "file:///etc/hostname": "only http and https URLs are fetched, not file:",
        "ftp://127.0.0.1/speech.txt": "only http and https URLs are fetched, not ftp:",
        "data:text/plain,Hello": "only http and https URLs are fetched, not data:",
        site.url("/to-file"): "redirected to file:///etc/passwd: only http and https URLs "
        "are fetched, not file:",
    }
    assert site.requests == ["/to-file"]
    assert _documents(db) == []


def test_a_body_over_the_cap_is_refused_without_reading_it_all(
    site: FakeSite,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(common, "MAX_FILE_BYTES", 256 * 1024)
    total = 64 * 2**20
    site.stream("/big/declared.txt", total, declared=total)
    site.stream("/big/undeclared.txt", total)
    db = tmp_path / "v.db"
    urls = [site.url("/big/declared.txt"), site.url("/big/undeclared.txt")]
    assert _ingest(db, *urls) == EXIT_PARTIAL_FAILURE
    assert ingest_failures(capsys.readouterr().err) == {
        urls[0]: "too large (64 MB; a download may have at most 262,144 bytes)",
        urls[1]: "too large (more than 262,144 bytes; a download may have at most 262,144 bytes)",
    }
    for path in ("/big/declared.txt", "/big/undeclared.txt"):
        assert site.done[path].wait(10)
        assert site.sent[path] < total // 2, (path, site.sent[path])  # the client hung up


def test_a_server_that_does_not_answer_or_drips_times_out(
    site: FakeSite,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(fetch, "READ_TIMEOUT_S", 0.3)
    monkeypatch.setattr(fetch, "TOTAL_TIMEOUT_S", 0.8)
    site.slow("/slow")
    site.slow("/drip", drip=0.05)
    db = tmp_path / "v.db"
    urls = [site.url("/slow"), site.url("/drip"), site.url("/articles/lighthouse.html")]
    assert _ingest(db, *urls) == EXIT_PARTIAL_FAILURE
    failures = ingest_failures(capsys.readouterr().err)
    assert set(failures) == set(urls[:2])
    assert all(reason.startswith("timed out (") for reason in failures.values()), failures
    assert len(_documents(db)) == 1


def test_the_fetcher_refuses_other_media_types_before_reading_the_body(site: FakeSite) -> None:
    site.stream("/episode.txt", 8 * 2**20, declared=8 * 2**20)  # text/plain
    with Fetcher() as fetcher, pytest.raises(FetchError, match=r"not a web page \(text/plain\)"):
        fetcher.fetch(site.url("/episode.txt"), frozenset({"text/html"}))
    assert site.done["/episode.txt"].wait(10)
    assert site.sent["/episode.txt"] < 8 * 2**20


@pytest.mark.parametrize(
    ("argument", "url"),
    [
        ("https://example.org/a", True),
        ("HTTP://example.org", True),
        ("file:///etc/passwd", True),
        ("data:text/plain,hi", True),
        ("ftp://host/x", True),
        ("speeches/2021.txt", False),
        ("notes:2021.txt", False),
        ("C:\\speeches", False),
        ("/work/http://x", False),
    ],
)
def test_which_arguments_are_urls(argument: str, url: bool) -> None:
    assert is_url(argument) is url


def test_url_problems() -> None:
    assert url_problem("https://example.org/a?b=c") is None
    assert url_problem("http://127.0.0.1:8080/") is None
    assert url_problem("https:///no-host") == "not a valid URL: no host name"
    assert url_problem("http://host:port/") is not None
    assert url_problem("javascript:alert(1)") == (
        "only http and https URLs are fetched, not javascript:"
    )
    assert url_problem("http://example.org/" + "a" * 3000) is not None


def test_a_page_the_extractor_fails_on_stops_that_url_only(
    site: FakeSite,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    real = trafilatura.bare_extraction

    def extract(html: object, *args: object, **kwargs: object) -> object:
        if b"Orchard" in (html if isinstance(html, bytes) else b""):
            raise RecursionError("maximum recursion depth exceeded")
        return real(html, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(trafilatura, "bare_extraction", extract)
    db = tmp_path / "v.db"
    urls = [site.url("/articles/orchard.html"), site.url("/articles/lighthouse.html")]
    assert _ingest(db, *urls) == EXIT_PARTIAL_FAILURE
    assert ingest_failures(capsys.readouterr().err) == {
        urls[0]: "cannot extract the text: RecursionError: maximum recursion depth exceeded"
    }
    assert [d.title for d in _documents(db)] == ["The Lighthouse Keeper's Address"]
