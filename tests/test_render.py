"""Rendering: escaping, highlights, the 4096-character limit, citation and keyboards."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from bot.core.views import Card, NoMatch, SourcesView, StatsView
from bot.telegram import callback_data as cb
from bot.telegram.render import chat as render
from bot.telegram.render import common
from store.models import DocumentMeta, Paragraph, PartialDate

EPOCH = "abc123"
ALLOWED_TAGS = {"b", "i", "code", "blockquote", "a"}


class _TelegramHTML(HTMLParser):
    """Checks tags are allowed and balanced; collects the visible text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.text: list[str] = []
        self.bold: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        assert tag in ALLOWED_TAGS, tag
        assert not (tag == "blockquote" and "blockquote" in self.stack), "nested blockquote"
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack.pop() == tag, f"unbalanced </{tag}>"

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if "b" in self.stack:
            self.bold.append(data)


def parse(html: str) -> _TelegramHTML:
    parser = _TelegramHTML()
    parser.feed(html)
    parser.close()
    assert not parser.stack, f"unclosed {parser.stack}"
    return parser


def visible_len(html: str) -> int:
    return common.tg_len("".join(parse(html).text))


def make_card(text: str, spans: tuple[tuple[int, int], ...] = (), **kw: object) -> Card:
    doc = DocumentMeta(
        id=3,
        title='Speech <on> "Things" & more',
        paragraph_count=32,
        collection="kcna",
        date=PartialDate(None, 3, 1),
        place="Pyongyang",
    )
    values: dict[str, object] = {
        "paragraph": Paragraph(id=40, document_id=3, position=5, text=text),
        "document": doc,
        "epoch": EPOCH,
        "spans": spans,
        "confidence": "close",
        "query": "the heart of a mother",
        "query_id": 9,
        "rank": 0,
        "anchor_id": 40,
        "has_more": True,
        "prev_id": 39,
        "next_id": 41,
    }
    values.update(kw)
    return Card(**values)  # type: ignore[arg-type]


def test_escaping_of_corpus_and_user_text() -> None:
    assert common.esc("a < b && c > d") == "a &lt; b &amp;&amp; c &gt; d"
    card = make_card("Use <script> & <b>tags</b> freely", notice="<i>note</i>")
    msg = render.render_card(card, "verbatim_bot")
    parsed = parse(msg.text)
    visible = "".join(parsed.text)
    assert "Use <script> & <b>tags</b> freely" in visible
    assert 'Speech <on> "Things" & more' in visible
    assert "<i>note</i>" in visible


def test_highlight_merges_clips_and_escapes_spans() -> None:
    text = "fish & chips & peas"
    html = common.highlight(text, ((0, 4), (3, 6), (15, 99), (-5, 0)))
    assert html == "<b>fish &amp;</b> chips &amp; <b>peas</b>"
    assert common.highlight(text, ((5, 6),), 5, 12) == "<b>&amp;</b> chips"


def test_short_paragraph_is_shown_whole_with_citation_and_confidence() -> None:
    text = "Serve the people with the heart of a mother."
    start = text.index("heart")
    card = make_card(text, ((start, start + 5),))
    msg = render.render_card(card, "verbatim_bot")
    assert msg.parse_mode == "HTML"
    assert msg.text.count("<blockquote>") == 1
    assert "expandable" not in msg.text
    assert parse(msg.text).bold[0] == "heart"
    assert '<b>Speech &lt;on&gt; "Things" &amp; more</b>' in msg.text
    assert "1 March (year unknown) · Pyongyang · ¶ 5 of 32 · kcna" in msg.text
    assert "close match" in msg.text


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("word " * 3000 + "NEEDLE here " + "word " * 3000, "NEEDLE"),  # match in the middle
        ("& " * 5000 + "NEEDLE", "NEEDLE"),  # escaping makes the HTML 2.5x longer
        ("😀 " * 3000 + "NEEDLE " + "😀 " * 3000, "NEEDLE"),  # 2 UTF-16 units per emoji
        ("NEEDLE " + "x" * 9000, "NEEDLE"),  # no spaces to cut at
    ],
)
def test_long_paragraphs_stay_within_telegram_limit(text: str, needle: str) -> None:
    start = text.index(needle)
    card = make_card(text, ((start, start + len(needle)),), notice="A notice. " * 20)
    msg = render.render_card(card, "verbatim_bot")
    assert common.tg_len(msg.text) <= common.MAX_MESSAGE
    assert visible_len(msg.text) <= common.MAX_MESSAGE
    parsed = parse(msg.text)
    assert needle in parsed.bold  # the matched window is shown, highlighted
    assert common.ELLIPSIS in msg.text
    assert "¶ 5 of 32" in msg.text  # the citation survives


def test_huge_metadata_is_cut_so_the_card_still_fits() -> None:
    doc = DocumentMeta(
        id=3,
        title="<Title> " * 750,  # a generic text file whose first line is 6,000 characters
        paragraph_count=32,
        collection="c" * 500,
        place="Somewhere " * 100,
    )
    card = make_card("Serve the people with the heart of a mother. " * 40, document=doc)
    msg = render.render_card(card, "verbatim_bot")
    assert common.tg_len(msg.text) <= common.MAX_MESSAGE
    assert "<b>&lt;Title&gt; &lt;Title&gt;" in msg.text and common.ELLIPSIS in msg.text


def test_medium_paragraph_shows_window_then_whole_paragraph_expandable() -> None:
    text = " ".join(f"w{i}" for i in range(400)) + " TARGET " + " ".join("z" * 3 for _ in range(50))
    start = text.index("TARGET")
    msg = render.render_card(make_card(text, ((start, start + 6),)), "verbatim_bot")
    assert "<blockquote expandable>" in msg.text
    expandable = msg.text.split("<blockquote expandable>")[1]
    assert "w0 w1 w2" in expandable  # the full paragraph, from its start
    visible = msg.text.split("<blockquote expandable>")[0]
    assert visible.startswith("<blockquote>…") and "<b>TARGET</b>" in visible


def test_card_keyboard_buttons_and_callback_data() -> None:
    card = make_card("Some text.", has_more=True)
    markup = render.render_card(card, "verbatim_bot").reply_markup
    assert markup is not None
    rows = markup.inline_keyboard
    labels = [[b.text for b in row] for row in rows]
    assert labels == [
        ["◀ ¶ 4", "¶ 6 ▶"],
        ["🔎 Other matches"],
        ["↗ Share", "🔗 Link", "🖼 Picture"],
    ]
    assert cb.decode(rows[0][0].callback_data) == cb.ShowParagraph(EPOCH, 39, 40, 9, 0)  # type: ignore[arg-type]
    assert cb.decode(rows[0][1].callback_data) == cb.ShowParagraph(EPOCH, 41, 40, 9, 0)  # type: ignore[arg-type]
    assert cb.decode(rows[1][0].callback_data) == cb.ShowMatch(EPOCH, 9, 1)  # type: ignore[arg-type]
    assert rows[2][0].switch_inline_query == "the heart of a mother"
    assert rows[2][1].url == "https://t.me/verbatim_bot?start=p_40"
    assert cb.decode(rows[2][2].callback_data) == cb.Picture(EPOCH, 40, 9)  # type: ignore[arg-type]


def test_keyboard_at_document_ends_and_away_from_the_match() -> None:
    first = make_card("x", prev_id=None, has_more=False, query=None, query_id=0, confidence=None)
    rows = render.card_keyboard(first, None).inline_keyboard
    assert [[b.text for b in row] for row in rows] == [["¶ 6 ▶"], ["↗ Share", "🖼 Picture"]]
    assert rows[1][0].switch_inline_query == "x"  # no query: share the paragraph's words
    moved = make_card("y", paragraph=Paragraph(41, 3, 6, "y"), rank=2, next_id=None)
    msg = render.render_card(moved, "b")
    assert "Context around your match" in msg.text and "close match" not in msg.text
    labels = [b.text for row in msg.reply_markup.inline_keyboard for b in row]  # type: ignore[union-attr]
    last = msg.reply_markup.inline_keyboard[-1]  # type: ignore[union-attr]
    assert last[1].url == "https://t.me/b?start=p_41"  # the paragraph shown, not the match
    # the picture of the paragraph shown, without the match's words (they are not in it)
    assert cb.decode(last[2].callback_data) == cb.Picture(EPOCH, 41, 0)  # type: ignore[arg-type]
    assert labels == [
        "◀ ¶ 5",
        "↩ Back to match",
        "🔎 Other matches",
        "⏮ Best match",
        "↗ Share",
        "🔗 Link",
        "🖼 Picture",
    ]


def test_share_query_is_capped_for_inline_mode() -> None:
    card = make_card("x", query="q" * 300)
    markup = render.card_keyboard(card, "b")
    assert len(markup.inline_keyboard[-1][0].switch_inline_query or "") == 256


def test_no_match_escapes_the_query_and_suggests() -> None:
    msg = render.render_no_match(NoMatch('<b>x</b> AND "y"*', ("Try fewer words.",)))
    assert msg.text == (
        'No passage matches <i>&lt;b&gt;x&lt;/b&gt; AND "y"*</i>.\n• Try fewer words.'
    )
    parse(msg.text)


def test_sources_pages_and_stats() -> None:
    docs = [
        DocumentMeta(id=i, title=f"Doc <{i}>", paragraph_count=i, collection="c")
        for i in range(1, 9)
    ]
    msg = render.render_sources(SourcesView(docs, page=1, pages=3, total=20, epoch=EPOCH))
    assert "<b>Sources</b> (20 documents)" in msg.text and "Doc &lt;1&gt;" in msg.text
    parse(msg.text)
    buttons = msg.reply_markup.inline_keyboard[0]  # type: ignore[union-attr]
    assert [b.text for b in buttons] == ["◀", "2/3", "▶"]
    assert [cb.decode(b.callback_data) for b in buttons] == [  # type: ignore[arg-type]
        cb.SourcesPage(EPOCH, 0),
        cb.Noop(EPOCH),
        cb.SourcesPage(EPOCH, 2),
    ]
    single = render.render_sources(SourcesView(docs[:1], 0, 1, 1, EPOCH))
    assert single.reply_markup is None and "(1 document)" in single.text
    stats = render.render_stats(
        StatsView(1, 32, [{"collection": "s<1>", "documents": 1, "paragraphs": 32}])
    )
    assert stats.text == "1 document, 32 paragraphs\n• s&lt;1&gt;: 1 document, 32 paragraphs"


def test_help_lists_examples_escaped() -> None:
    msg = render.render_help("verbatim_bot", ["a <b> c"])
    assert "<code>/q a &lt;b&gt; c</code>" in msg.text
    assert "@verbatim_bot words" in msg.text
    parse(msg.text)
    empty = render.render_help("verbatim_bot", [])
    assert "verbatim ingest" in empty.text
