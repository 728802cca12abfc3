"""``verbatim ingest URL…``: article pages, corpus files and RSS/Atom feeds from a small
web site on 127.0.0.1 (tests/web_site.py and tests/web_pages.py, invented text); failures
reported per URL while the rest is ingested."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ingest_failures
from web_pages import (
    RSS_BRIDGE,
    RSS_ORCHARD,
    RSS_TIDES,
    documents,
    first_hit,
    ingest,
    paragraph_texts,
    rss,
)
from web_site import FakeSite

from bot.cli.common import EXIT_OK, EXIT_PARTIAL_FAILURE
from store.models import PartialDate

pytestmark = pytest.mark.usefixtures("no_proxies")  # only 127.0.0.1 is contacted


def test_an_article_page_is_its_main_text_with_title_author_date_and_link(
    site: FakeSite, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "v.db"
    url = site.url("/articles/lighthouse.html")
    assert ingest(db, url) == EXIT_OK, capsys.readouterr().err
    assert "1 URLs: 1 new documents (4 paragraphs)" in capsys.readouterr().out
    [doc] = documents(db)
    assert doc.title == "The Lighthouse Keeper's Address"
    assert doc.speaker == "Mara Quill"
    assert doc.date == PartialDate(2021, 5, 14)
    assert doc.url == url and doc.origin == url and not doc.url_is_index
    assert doc.collection == "127.0.0.1"
    paragraphs = paragraph_texts(db, doc)
    assert paragraphs[0].endswith(
        "outlast our quarrels about the price of lamp oil and the colour of the gallery rail."
    )  # <br> is a space
    text = " ".join(paragraphs)
    for boilerplate in ("All rights reserved", "About the Gazette", "The beam", "Cookie"):
        assert boilerplate not in text
    hit = first_hit(db, "the beam turns forty times a minute", capsys)
    assert hit["title"] == doc.title and hit["position"] == 2 and hit["total"] == 4
    assert str(hit["text"]).startswith("Every night the beam turns forty times")
    assert all(ua.startswith("Verbatim/") for ua in site.user_agents)


def test_a_second_run_over_the_same_page_stores_nothing_new(
    site: FakeSite, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "v.db"
    url = site.url("/articles/lighthouse.html")
    assert ingest(db, url, url) == EXIT_OK  # named twice: fetched once
    assert site.requests == ["/articles/lighthouse.html"]
    assert ingest(db, url) == EXIT_OK
    assert "0 new documents (0 paragraphs), 1 duplicates" in capsys.readouterr().out
    assert len(documents(db)) == 1


def test_a_corpus_file_by_url_goes_through_its_parser(
    site: FakeSite, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "v.db"
    url = site.url("/data/stories.jsonl")
    assert ingest(db, url) == EXIT_PARTIAL_FAILURE  # one broken record
    err = capsys.readouterr().err
    assert ingest_failures(err) == {f"{url}#2": "invalid JSON at column 37: Expecting value"}, err
    docs = {d.title: d for d in documents(db)}
    assert set(docs) == {
        "Weavers mark their guild's anniversary",
        "Beekeepers share the spring honey",
    }
    weavers = docs["Weavers mark their guild's anniversary"]
    assert weavers.origin == f"{url}#1" and weavers.collection == "kcna_xmarquez_2011_2012"
    assert weavers.url == "http://kcna.invalid/index-2011-06-02.htm" and weavers.url_is_index
    assert weavers.date == PartialDate(2011, 6, 2)
    hit = first_hit(db, "a banner of blue and silver thread", capsys)
    assert hit["document_id"] == weavers.id and hit["position"] == 2


def test_feed_entries_are_ingested_and_a_rerun_fetches_only_new_ones(
    site: FakeSite, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "v.db"
    feed = site.url("/feeds/harbour.rss")
    assert ingest(db, feed) == EXIT_OK, capsys.readouterr().err
    # the tide entry carries its text: its page (not served here) is not fetched
    assert site.requests == ["/feeds/harbour.rss", "/articles/orchard.html"]
    assert "2 URLs: 2 new documents" in capsys.readouterr().out
    docs = {d.url: d for d in documents(db)}
    tides = docs[site.url("/articles/tide-tables.html")]
    assert tides.title == "Spring tides and the harbour wall"
    assert tides.speaker == "Ilse Brandt" and tides.date == PartialDate(2021, 5, 3)
    assert paragraph_texts(db, tides)[1].startswith("Harbour master Ilse Brandt asks owners")
    orchard = docs[site.url("/articles/orchard.html")]
    assert orchard.title == "Spring report of the orchard cooperative"  # the feed's title
    assert orchard.date == PartialDate(2021, 5, 11) and orchard.speaker == "Tobias Wren"
    hit = first_hit(db, "bring their own ladders to the harvest", capsys)
    assert hit["document_id"] == orchard.id and hit["position"] == 3

    site.page("/feeds/harbour.rss", rss(RSS_BRIDGE, RSS_TIDES, RSS_ORCHARD), "application/rss+xml")
    site.requests.clear()
    assert ingest(db, feed) == EXIT_OK
    assert site.requests == ["/feeds/harbour.rss", "/articles/bridge.html"]
    out = capsys.readouterr().out
    assert "1 new documents" in out and "2 feed entries already stored (not fetched)" in out
    hit = first_hit(db, "cyclists are asked to dismount and walk across", capsys)
    assert hit["title"] == "Footbridge reopens"

    site.requests.clear()
    assert ingest(db, feed) == EXIT_OK
    assert site.requests == ["/feeds/harbour.rss"]
    assert "0 new documents" in capsys.readouterr().out


def test_an_atom_feed_with_a_linked_entry_and_one_carrying_its_content(
    site: FakeSite, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "v.db"
    assert ingest(db, site.url("/feeds/valley.atom"), "--collection", "valley") == EXIT_OK
    assert site.requests == ["/feeds/valley.atom", "/articles/mill.html"]
    docs = {d.title: d for d in documents(db)}
    assert set(docs) == {"The mill wheel", "Lantern walk"}
    assert docs["The mill wheel"].speaker == "Agnes Pell"
    assert docs["The mill wheel"].date == PartialDate(2022, 3, 1)
    assert {d.collection for d in docs.values()} == {"valley"}
    assert paragraph_texts(db, docs["Lantern walk"]) == [
        "Two hundred paper lanterns floated down the river on Friday evening, each one "
        "carrying a wish written by a child of the valley.",
        "The ferryman collected them at the weir before dawn.",
    ]
    hit = first_hit(db, "the first sack of rye in forty years", capsys)
    assert hit["document_id"] == docs["The mill wheel"].id


def test_a_404_is_reported_for_its_url_and_the_other_urls_and_files_are_ingested(
    site: FakeSite, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "v.db"
    speech = tmp_path / "speech.txt"
    speech.write_text("A local speech\n\nHarbourton, May 2 (HNA) -- Words of the file.\n")
    missing = site.url("/articles/gone.html")
    args = [site.url("/articles/lighthouse.html"), missing, str(speech), site.url("/f/x.rss")]
    assert ingest(db, *args) == EXIT_PARTIAL_FAILURE
    captured = capsys.readouterr()
    assert ingest_failures(captured.err) == {
        missing: "HTTP 404 Not Found",
        site.url("/f/x.rss"): "HTTP 404 Not Found",
    }
    assert "1 files and 3 URLs: 2 new documents" in captured.out
    assert {d.title for d in documents(db)} == {
        "The Lighthouse Keeper's Address",
        "A local speech",
    }


def test_a_missing_path_beside_a_url_is_exit_1_not_3(
    site: FakeSite, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "v.db"
    code = ingest(db, str(tmp_path / "typo.txt"), site.url("/articles/lighthouse.html"))
    assert code == EXIT_PARTIAL_FAILURE
    assert "no such file or folder" in capsys.readouterr().err
    assert len(documents(db)) == 1


def test_a_broken_feed_and_a_non_feed_xml_are_reported(
    site: FakeSite, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "v.db"
    site.page("/feeds/broken.rss", '<rss version="2.0"><channel><title>Gaz', "application/rss+xml")
    site.page("/feeds/words.rss", "just some words, no feed", "application/rss+xml")
    site.page("/sitemap.xml", '<?xml version="1.0"?><urlset><url/></urlset>', "application/xml")
    half = rss(RSS_ORCHARD).replace("</channel></rss>", "<item><title>Cut")
    site.page("/feeds/half.rss", half, "application/rss+xml")
    urls = [site.url(p) for p in ("/feeds/broken.rss", "/feeds/words.rss", "/sitemap.xml")]
    assert ingest(db, *urls, site.url("/feeds/half.rss")) == EXIT_PARTIAL_FAILURE
    failures = ingest_failures(capsys.readouterr().err)
    assert failures[urls[0]].startswith("broken feed: not well-formed XML at line ")
    assert failures[urls[1]].startswith("not an RSS or Atom feed")
    assert failures[urls[2]] == "XML that is not an RSS or Atom feed (application/xml)"
    # a feed cut short: reported, and its entries that could be read are ingested
    assert failures[site.url("/feeds/half.rss")].startswith("broken feed: not well-formed")
    assert [d.url for d in documents(db)] == [site.url("/articles/orchard.html")]
