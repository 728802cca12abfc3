"""Invented pages, feeds and files for the URL-ingest tests, served by
:class:`web_site.FakeSite` on 127.0.0.1 (see :func:`add_pages`; the ``site`` and
``no_proxies`` fixtures are in conftest.py), and the helpers the tests share: ingest and
read back."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from web_site import FakeSite

from bot.cli.common import EXIT_OK
from bot.cli.main import main
from store.db import open_database
from store.models import DocumentMeta

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


def article(title: str, *paragraphs: str, author: str = "", date: str = "") -> str:
    meta = f'<meta name="author" content="{author}">' if author else ""
    meta += f'<meta property="article:published_time" content="{date}">' if date else ""
    body = "".join(f"<p>{p}</p>\n" for p in paragraphs)
    return (
        f"<!doctype html><html><head><title>{title}</title>{meta}</head><body>"
        '<nav><a href="/">Home</a> <a href="/news">News</a></nav>'
        f"<article><h1>{title}</h1>\n{body}</article>"
        "<footer>Valley Courier. All rights reserved.</footer></body></html>"
    )


ORCHARD = article(
    "The Orchard Cooperative's Spring Report",
    "The cooperative planted four hundred new pear trees on the southern slope this spring,"
    " each one staked against the wind that comes down from the quarry.",
    "Frost took the early blossom in the lower rows, but the upper terraces were spared,"
    " and the beekeepers report the busiest hives in a decade.",
    "Members are asked to bring their own ladders to the harvest and to label them clearly.",
    author="Tobias Wren",
)
BRIDGE = article(
    "Reopening of the Footbridge",
    "The footbridge over the millstream reopens on Saturday after eleven weeks of repairs"
    " to its oak planking and the iron handrail on the upstream side.",
    "Cyclists are asked to dismount and walk across, as the planks are still settling into"
    " their new brackets and may shift under a heavy load.",
    "The council thanks the carpenters, who finished a week earlier than anyone expected.",
)
MILL = article(
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


def rss(*items: str) -> str:
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


def story(title: str, date: str, *paragraphs: str) -> str:
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
        story(
            "Weavers mark their guild's anniversary",
            "2011-06-02",
            "The weavers of the eastern district marked the fiftieth anniversary of their"
            " guild with a loom that runs on river water.",
            "Their oldest member wove a banner of blue and silver thread for the occasion.",
        ),
        '{"title": "broken record", "story": ',
        story(
            "Beekeepers share the spring honey",
            "2011-06-03",
            "Beekeepers on the northern hills shared the first spring honey with the"
            " schoolchildren of the valley villages.",
            "Each class received a jar sealed with green wax.",
        ),
    ]
)


def ingest(db: Path, *args: str) -> int:
    return main(["ingest", "--quiet", "--db", str(db), *args])


def documents(db: Path) -> list[DocumentMeta]:
    async def read() -> list[DocumentMeta]:
        async with open_database(db) as opened:
            return await opened.list_documents(limit=100)

    return asyncio.run(read())


def paragraph_texts(db: Path, doc: DocumentMeta) -> list[str]:
    async def read() -> list[str]:
        async with open_database(db) as opened:
            window = await opened.paragraph_window(doc.id, 1, 0, doc.paragraph_count)
            return [p.text for p in window]

    return asyncio.run(read())


def first_hit(db: Path, query: str, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    capsys.readouterr()
    assert main(["search", "--db", str(db), "--json", query]) == EXIT_OK
    hits = json.loads(capsys.readouterr().out)
    assert hits, f"nothing found for {query!r}"
    first: dict[str, object] = hits[0]
    return first


def add_pages(site: FakeSite) -> None:
    """Serve the invented pages, feeds and files on ``site``."""
    site.page("/articles/lighthouse.html", LIGHTHOUSE)
    site.page("/articles/orchard.html", ORCHARD)
    site.page("/articles/bridge.html", BRIDGE)
    site.page("/articles/mill.html", MILL)
    site.page("/feeds/harbour.rss", rss(RSS_TIDES, RSS_ORCHARD), "application/rss+xml")
    site.page("/feeds/valley.atom", ATOM, "application/atom+xml")
    site.page("/data/stories.jsonl", STORIES, "application/octet-stream")
