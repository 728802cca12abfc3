"""Property-based tests of what the bot decodes from clients and what it renders.

- callback data (``bot/telegram/callback_data.py``): any string never raises anything but
  :class:`CallbackDataError`, and what it accepts is a validated value that encodes back
  to the very same data;
- inline offsets (``parse_offset``): garbage is the first page, never an error or a
  number we could not have given;
- rendering (``bot/telegram/render``): any paragraph text, spans and citation — HTML-ish,
  emoji, huge — gives at most 4096 UTF-16 units of Telegram HTML with only Telegram's
  tags, balanced, and only the entities Telegram knows;
- the boundary helpers: sanitising leaves encodable text of the same UTF-16 length, and
  the token never survives redaction in any spelling.

The number of cases per property is conftest.py's hypothesis profile: 200 in CI; a full
run sets ``VERBATIM_HYPOTHESIS_EXAMPLES=10000`` (see README, "Two commands").
"""

from __future__ import annotations

import re
import string
from html.parser import HTMLParser
from typing import Any

from fake_bot_api import TOKEN
from hypothesis import given
from hypothesis import strategies as st
from telegram import InputTextMessageContent

from bot.core.views import Card, NoMatch
from bot.telegram import callback_data as cb
from bot.telegram.handlers.inline import DEFAULT_DEPTH, SEARCH_DEPTH, parse_offset
from bot.telegram.redact import Redactor
from bot.telegram.render import chat as chat_render
from bot.telegram.render import common
from bot.telegram.render import inline as inline_render
from bot.telegram.render import posting as posting_render
from bot.telegram.sanitize import clean_text
from store.models import DocumentMeta, Paragraph, PartialDate

# ---------------------------------------------------------------------- callback data

B36 = "0123456789abcdefghijklmnopqrstuvwxyz"
epochs = st.text("0123456789abcdef", min_size=6, max_size=6)
ids = st.integers(0, cb.MAX_ID)
actions = st.one_of(
    st.builds(cb.ShowParagraph, epochs, ids, ids, ids, st.integers(0, cb.MAX_RANK)),
    st.builds(cb.ShowMatch, epochs, ids, st.integers(0, cb.MAX_RANK)),
    st.builds(cb.SourcesPage, epochs, st.integers(0, cb.MAX_PAGE)),
    st.builds(cb.Noop, epochs),
    st.builds(cb.Picture, epochs, ids, ids),
)


@st.composite
def near_valid(draw: st.DrawFn) -> str:
    """Valid callback data with a few edits: characters changed, inserted or dropped."""
    data = list(cb.encode(draw(actions)))
    alphabet = st.sampled_from([*B36, *":-+ _0ABCZ\x00é٣²\ud800\U0001f600", "::", "00"])
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["change", "insert", "drop"]))
        if kind == "insert" or not data:
            data.insert(where, draw(alphabet))
        elif kind == "change":
            data[min(where, len(data) - 1)] = draw(alphabet)
        else:
            del data[min(where, len(data) - 1)]
    return "".join(data)


any_data = st.one_of(
    st.text(),
    st.text(alphabet=B36 + ":", max_size=70),
    st.binary(max_size=80).map(lambda b: b.decode("utf-8", "surrogateescape")),
    st.binary(max_size=80).map(lambda b: b.decode("latin-1")),
    near_valid(),
)


def valid(action: cb.CallbackAction) -> bool:
    if not re.fullmatch("[0-9a-f]{6}", action.epoch):
        return False
    if isinstance(action, cb.ShowParagraph):
        numbers = [action.paragraph_id, action.anchor_id, action.query_id]
        return all(0 <= n <= cb.MAX_ID for n in numbers) and 0 <= action.rank <= cb.MAX_RANK
    if isinstance(action, cb.ShowMatch):
        return 0 <= action.query_id <= cb.MAX_ID and 0 <= action.rank <= cb.MAX_RANK
    if isinstance(action, cb.SourcesPage):
        return 0 <= action.page <= cb.MAX_PAGE
    if isinstance(action, cb.Picture):
        return 0 <= action.paragraph_id <= cb.MAX_ID and 0 <= action.query_id <= cb.MAX_ID
    return isinstance(action, cb.Noop)


@given(any_data)
def test_callback_data_decoding_never_raises_and_yields_only_valid_values(data: str) -> None:
    try:
        action = cb.decode(data)
    except cb.CallbackDataError:
        return
    assert valid(action)
    assert cb.encode(action) == data  # one spelling per value: nothing else slips through
    assert len(data.encode()) <= cb.MAX_BYTES


@given(actions)
def test_callback_data_round_trips(action: cb.CallbackAction) -> None:
    assert cb.decode(cb.encode(action)) == action


# ---------------------------------------------------------------------- inline offsets


@given(
    st.one_of(
        st.none(),
        st.text(),
        st.integers(-(10**30), 10**30).map(str),
        st.text("0123456789 +-e.", max_size=12),
    ),
    st.sampled_from([DEFAULT_DEPTH, SEARCH_DEPTH]),
)
def test_inline_offset_garbage_is_the_first_page(raw: str | None, depth: int) -> None:
    offset = parse_offset(raw, depth)
    assert 0 <= offset < depth
    canonical = raw is not None and raw.isascii() and raw.isdigit() and len(raw) <= 6
    if not canonical or int(raw or "0") >= depth:
        assert offset == 0
    else:
        assert offset == int(raw or "0")


# ---------------------------------------------------------------------- rendering

TELEGRAM_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
    "blockquote", "tg-spoiler", "span", "tg-emoji",
}  # fmt: skip
TELEGRAM_ENTITIES = {"lt", "gt", "amp", "quot"}


class TelegramHtml(HTMLParser):
    """Check what Telegram's HTML parse mode accepts: its tags only, balanced, its entities."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in TELEGRAM_TAGS:
            self.problems.append(f"tag <{tag}>")
        self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.problems.append(f"self-closing <{tag}/>")

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.problems.append(f"unbalanced </{tag}>")

    def handle_entityref(self, name: str) -> None:
        if name not in TELEGRAM_ENTITIES:
            self.problems.append(f"entity &{name};")

    def handle_charref(self, name: str) -> None:
        pass

    def handle_comment(self, data: str) -> None:
        self.problems.append("comment")

    def handle_decl(self, decl: str) -> None:
        self.problems.append("declaration")

    def unknown_decl(self, data: str) -> None:
        self.problems.append("declaration")


def assert_telegram_html(text: str) -> None:
    assert common.tg_len(text) <= common.MAX_MESSAGE, common.tg_len(text)
    parser = TelegramHtml()
    parser.feed(text)
    parser.close()
    assert not parser.problems, parser.problems
    assert not parser.stack, f"unclosed {parser.stack}"
    # no raw '<' or '&' outside tags and entities: every '<' opens a tag we saw
    assert not re.search(r"<(?!/?[a-z-]+[ >])", text), text[:200]
    assert not re.search(r"&(?!(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)", text), text[:200]


HTMLISH = ["<", ">", "&", "&amp;", "&lt;", "<b>", "</b>", "</blockquote>", "<a href='x'>"]
PIECES = [*HTMLISH, " ", "  ", "\n", ".", "a", "word", "é", "😀", "𝕏", "\u200b", "한국어", "\x00"]

pieces_text = st.lists(st.sampled_from(PIECES), max_size=60).map("".join)
huge_text = st.builds(
    lambda unit, times: unit * times, st.text(min_size=1, max_size=40), st.integers(1, 3000)
)
texts = st.one_of(st.text(), pieces_text, huge_text, st.text(alphabet=string.printable))


@st.composite
def cards(draw: st.DrawFn) -> Card:
    text = draw(texts)
    length = len(text)
    spans = draw(
        st.lists(st.tuples(st.integers(-5, length + 5), st.integers(-5, length + 5)), max_size=8)
    )
    date = draw(
        st.one_of(
            st.none(),
            st.builds(PartialDate, st.integers(1, 9999), st.none(), st.none()),
            st.builds(PartialDate, st.integers(1900, 2100), st.integers(1, 12), st.integers(1, 28)),
        )
    )
    document = DocumentMeta(
        id=draw(st.integers(1, 10**9)),
        title=draw(texts),
        paragraph_count=draw(st.integers(1, 10**6)),
        collection=draw(st.one_of(st.text(max_size=50), huge_text)),
        speaker=draw(st.one_of(st.none(), texts)),
        date=date,
        place=draw(st.one_of(st.none(), texts)),
    )
    pid = draw(st.integers(1, cb.MAX_ID - 1))  # anchor_id may be pid + 1
    return Card(
        paragraph=Paragraph(pid, document.id, draw(st.integers(1, 10**6)), text),
        document=document,
        epoch=draw(epochs),
        spans=tuple(spans),
        confidence=draw(st.sampled_from([None, "exact", "close", "loose"])),
        query=draw(st.one_of(st.none(), st.text(max_size=300))),
        query_id=draw(st.integers(0, cb.MAX_ID)),
        rank=draw(st.integers(0, cb.MAX_RANK)),
        anchor_id=draw(st.sampled_from([pid, pid + 1, 0])),
        has_more=draw(st.booleans()),
        notice=draw(st.one_of(st.none(), st.text(max_size=200))),
        prev_id=draw(st.one_of(st.none(), st.integers(1, cb.MAX_ID))),
        next_id=draw(st.one_of(st.none(), st.integers(1, cb.MAX_ID))),
    )


usernames = st.sampled_from([None, "verbatim_test_bot"])


@given(cards(), usernames)
def test_a_result_card_is_valid_telegram_html_within_the_limit(card: Card, username: Any) -> None:
    message = chat_render.render_card(card, username)
    assert_telegram_html(message.text)
    for row in message.reply_markup.inline_keyboard if message.reply_markup else ():
        for button in row:
            if button.callback_data is not None:
                assert isinstance(button.callback_data, str)
                assert valid(cb.decode(button.callback_data))


def test_the_other_matches_button_at_the_last_rank_decodes() -> None:
    document = DocumentMeta(1, "Title", 3, "c")
    card = Card(Paragraph(1, 1, 1, "text"), document, "000000", query_id=1, rank=cb.MAX_RANK,
                anchor_id=1, has_more=True)  # fmt: skip
    markup = chat_render.render_card(card, None).reply_markup
    assert markup is not None
    for row in markup.inline_keyboard:
        for button in row:
            if isinstance(button.callback_data, str):
                cb.decode(button.callback_data)


@given(cards(), usernames, st.one_of(st.none(), st.text(max_size=100)))
def test_a_posted_card_is_valid_telegram_html_within_the_limit(
    card: Card, username: Any, heading: str | None
) -> None:
    assert_telegram_html(posting_render.render_channel_card(card, username, heading).text)


@given(cards(), usernames)
def test_an_inline_result_is_valid_and_within_telegrams_limits(card: Card, username: Any) -> None:
    article = inline_render.card_result(card, username)
    content = article.input_message_content
    assert isinstance(content, InputTextMessageContent)
    assert_telegram_html(content.message_text)
    assert article.title and common.tg_len(article.description or "") <= 1024


@given(st.one_of(st.text(), pieces_text), st.lists(st.text(max_size=40), max_size=3))
def test_a_no_match_answer_is_valid_telegram_html(query: str, suggestions: list[str]) -> None:
    view = NoMatch(query[:4000], tuple(suggestions))
    assert_telegram_html(chat_render.render_no_match(view).text)


# ---------------------------------------------------------------------- the boundary


@given(st.text(alphabet=st.characters(codec=None, exclude_categories=[])))
def test_sanitised_text_encodes_and_keeps_its_utf16_length(text: str) -> None:
    clean = clean_text(text)
    clean.encode("utf-8")  # never raises
    assert len(clean) == len(text)
    assert common.tg_len(clean) == len(clean.encode("utf-16-le", "surrogatepass")) // 2
    if text.encode("utf-8", "surrogatepass") == text.encode("utf-8", "ignore"):
        assert clean == text  # nothing to replace: untouched


@st.composite
def token_spellings(draw: st.DrawFn) -> str:
    out = []
    for char in TOKEN:
        choice = draw(st.integers(0, 3))
        if choice == 1:
            char = char.swapcase()
        elif choice == 2:
            char = f"%{ord(char):02X}"
        elif choice == 3:
            char = f"%{ord(char):02x}"
        out.append(char)
    return "".join(out)


@given(st.text(max_size=40), token_spellings(), st.text(max_size=40))
def test_the_token_never_survives_redaction(before: str, token: str, after: str) -> None:
    out = Redactor(TOKEN)(f"{before}https://api.telegram.org/bot{token}/getMe{after}")
    assert "<token>" in out
    decoded = re.sub(r"%([0-9a-fA-F]{2})", lambda m: chr(int(m.group(1), 16)), out)
    assert "faketokenfortestsonly" not in decoded.lower()
