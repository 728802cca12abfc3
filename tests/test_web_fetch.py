"""The URL fetcher's limits (redirects, size, time, schemes, media types) and which
arguments are URLs, against the small web site on 127.0.0.1 (tests/web_site.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import trafilatura
from conftest import ingest_failures
from web_pages import documents, ingest
from web_site import FakeSite

from bot.cli.common import EXIT_PARTIAL_FAILURE
from store.parsers import common
from store.web import fetch, is_url, url_problem
from store.web.fetch import Fetcher, FetchError

pytestmark = pytest.mark.usefixtures("no_proxies")  # only 127.0.0.1 is contacted


def test_redirects_are_followed_up_to_five(
    site: FakeSite, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for n in range(10):
        site.redirect(f"/loop/{n}", f"/loop/{n + 1}")
    site.redirect("/moved", site.url("/moved-again"), status=301)
    site.redirect("/moved-again", "/articles/lighthouse.html", status=307)
    db = tmp_path / "v.db"
    assert ingest(db, site.url("/loop/0"), site.url("/moved")) == EXIT_PARTIAL_FAILURE
    assert ingest_failures(capsys.readouterr().err) == {
        site.url("/loop/0"): "too many redirects (more than 5)"
    }
    assert site.requests[:6] == [f"/loop/{n}" for n in range(6)]
    assert site.requests[6:] == ["/moved", "/moved-again", "/articles/lighthouse.html"]
    [doc] = documents(db)
    assert doc.url == site.url("/moved")  # the URL named (a feed's entry link) is kept


def test_only_http_and_https_are_fetched_also_after_a_redirect(
    site: FakeSite, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site.redirect("/to-file", "file:///etc/passwd")
    db = tmp_path / "v.db"
    refused = ["file:///etc/hostname", "ftp://127.0.0.1/speech.txt", "data:text/plain,Hello"]
    assert ingest(db, *refused, site.url("/to-file")) == EXIT_PARTIAL_FAILURE
    assert ingest_failures(capsys.readouterr().err) == {
        "file:///etc/hostname": "only http and https URLs are fetched, not file:",
        "ftp://127.0.0.1/speech.txt": "only http and https URLs are fetched, not ftp:",
        "data:text/plain,Hello": "only http and https URLs are fetched, not data:",
        site.url("/to-file"): "redirected to file:///etc/passwd: only http and https URLs "
        "are fetched, not file:",
    }
    assert site.requests == ["/to-file"]
    assert documents(db) == []


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
    assert ingest(db, *urls) == EXIT_PARTIAL_FAILURE
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
    assert ingest(db, *urls) == EXIT_PARTIAL_FAILURE
    failures = ingest_failures(capsys.readouterr().err)
    assert set(failures) == set(urls[:2])
    assert all(reason.startswith("timed out (") for reason in failures.values()), failures
    assert len(documents(db)) == 1


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
    assert ingest(db, *urls) == EXIT_PARTIAL_FAILURE
    assert ingest_failures(capsys.readouterr().err) == {
        urls[0]: "cannot extract the text: RecursionError: maximum recursion depth exceeded"
    }
    assert [d.title for d in documents(db)] == ["The Lighthouse Keeper's Address"]
