"""Quote pictures (bot.core.picture, bot.core.fonts): size, where text is drawn, limits,
determinism, Hangul, font fallbacks, and the excerpt cut between words."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import logging
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from fake_bot_photos import photo_problem
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageChops

from bot.core import fonts
from bot.core.picture import (
    ELLIPSIS,
    MAX_WIDTH,
    MIN_WIDTH,
    excerpt,
    layout_quote,
    picture_citation,
    picture_footer,
    picture_key,
    render_quote,
)
from store import ParsedDocument, parse_file, sample_path
from store.models import DocumentMeta

REPO = Path(__file__).resolve().parents[1]
FOOTER = picture_footer("verbatim_example_bot")
SHORT = "We shall fight on the beaches, we shall fight on the landing grounds."
CITATION = "Winston Churchill · 4 June 1940 · House of Commons · ¶ 30 of 31 · speeches"
# Written for this test (no corpus text): Hangul with digits and punctuation.
KOREAN = (
    "올해 우리 마을에서는 새 학교와 병원을 지었습니다. 모든 농장들이 봄철 씨뿌리기를 "
    "열흘 앞당겨 끝내고, 청년들은 강둑을 따라 나무 2만 그루를 심었습니다. "
    "우리는 이 성과를 바탕으로 다음 해에도 더 큰 일을 해낼 것입니다."
)
KOREAN_CITATION = "새해 연설 · 1 January 2000 · ¶ 3 of 9 · example_ko"


def sample_document() -> tuple[DocumentMeta, ParsedDocument]:
    """The bundled sample speech, parsed (no database), with its metadata as stored."""
    (parsed,) = parse_file(next(sample_path().glob("*.txt")))
    assert isinstance(parsed, ParsedDocument)
    meta = DocumentMeta(
        id=1,
        title=parsed.title,
        paragraph_count=len(parsed.paragraphs),
        collection="sample",
        speaker=parsed.speaker,
        date=parsed.date,
        place=parsed.place,
    )
    return meta, parsed


def ink_rows(png: bytes) -> list[int]:
    """Per row of the picture, how many pixels differ from the background (top-left)."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    background = Image.new("RGB", image.size, image.getpixel((0, 0)))  # type: ignore[arg-type]
    diff = ImageChops.difference(image, background).convert("L").point(lambda v: v > 40)
    width, height = diff.size
    data = diff.tobytes()
    return [sum(data[y * width : (y + 1) * width]) for y in range(height)]


def ink(rows: list[int], band: tuple[int, int]) -> int:
    return sum(rows[band[0] : band[1]])


def within_telegram_limits(png: bytes) -> None:
    assert photo_problem(png) is None, photo_problem(png)  # Telegram's photo limits


def hangul_font() -> fonts.Face:
    face = fonts.find_face(fonts.HANGUL_FONTS["serif"])
    if face is None:
        pytest.skip("no Hangul font installed (Debian: fonts-nanum); Korean not checked")
    return face


# ---- the picture


def test_size_and_format() -> None:
    png = render_quote(SHORT, ((3, 8),), CITATION, FOOTER)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.width == 1080
    assert round(1080 * 0.5625) <= image.height <= 1350
    narrow = Image.open(io.BytesIO(render_quote(SHORT, (), CITATION, FOOTER, width=600)))
    assert narrow.width == 600 and narrow.height <= 750


@pytest.mark.parametrize("width", [MIN_WIDTH - 1, MAX_WIDTH + 1, 0])
def test_width_out_of_range_is_refused(width: int) -> None:
    with pytest.raises(ValueError, match="width"):
        render_quote(SHORT, (), CITATION, FOOTER, width=width)


def test_text_is_drawn_in_its_bands_and_nowhere_else() -> None:
    layout = layout_quote(SHORT, (), CITATION, FOOTER)
    rows = ink_rows(render_quote(SHORT, (), CITATION, FOOTER))
    assert len(rows) == layout.height
    quote, citation, footer = layout.quote_band, layout.citation_band, layout.footer_band
    assert quote[0] < quote[1] <= citation[0] < citation[1] <= footer[0] < footer[1]
    assert ink(rows, quote) > 5000
    assert ink(rows, citation) > 1000
    assert ink(rows, footer) > 300
    assert ink(rows, (0, quote[0])) == 0  # the top margin
    assert ink(rows, (quote[1] + 2, citation[0])) == 0  # between passage and citation
    assert ink(rows, (citation[1], footer[0])) == 0
    assert ink(rows, (footer[1], layout.height)) == 0  # the bottom margin
    # each citation line is drawn on its own band
    assert len(layout.citation) >= 2
    middle = (citation[0] + citation[1]) // 2
    assert ink(rows, (citation[0], middle)) > 300 and ink(rows, (middle, citation[1])) > 300


def test_short_paragraph_is_shown_whole() -> None:
    layout = layout_quote(SHORT, ((3, 8),), CITATION, FOOTER)
    assert " ".join(layout.lines) == SHORT
    assert layout.quote_size >= 50  # a short quote in large type


def test_same_bytes_twice_and_in_another_process() -> None:
    first = render_quote(KOREAN + " " + SHORT, ((5, 9),), CITATION, FOOTER)
    assert render_quote(KOREAN + " " + SHORT, ((5, 9),), CITATION, FOOTER) == first
    script = (
        "import hashlib, sys; from bot.core.picture import render_quote; "
        "png = render_quote(sys.argv[1], ((5, 9),), sys.argv[2], sys.argv[3]); "
        "sys.stdout.write(hashlib.sha256(png).hexdigest())"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, KOREAN + " " + SHORT, CITATION, FOOTER],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    assert out.stdout == hashlib.sha256(first).hexdigest()


def test_png_has_no_metadata_chunks() -> None:
    png = render_quote(SHORT, (), CITATION, FOOTER)
    chunks, pos = set(), 8
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos : pos + 8])
        chunks.add(kind.decode())
        pos += 12 + length
    assert chunks == {"IHDR", "IDAT", "IEND"}


def test_long_paragraph_shows_the_matched_window_between_words() -> None:
    filler = "the people and the Party march on together in every season "
    words = (filler * 700).split()
    marker = len(words) // 2
    words[marker] = "UNMISTAKABLE"
    passage = " ".join(words)
    assert len(passage) >= 40_000
    start = passage.index("UNMISTAKABLE")
    spans = ((start, start + len("UNMISTAKABLE")),)
    layout = layout_quote(passage, spans, CITATION, FOOTER)
    shown = " ".join(layout.lines)
    assert shown.startswith(ELLIPSIS) and shown.endswith(ELLIPSIS)
    assert "UNMISTAKABLE" in shown
    core = shown.removeprefix(ELLIPSIS).removesuffix(ELLIPSIS).split()
    assert set(core) <= set(words)  # no cut word
    assert 30 < len(core) < 200
    png = render_quote(passage, spans, CITATION, FOOTER)
    within_telegram_limits(png)
    assert Image.open(io.BytesIO(png)).height <= 1350


def test_long_text_without_spaces_still_fits() -> None:
    png = render_quote("x" * 40_000, ((20_000, 20_010),), "c" * 500, "f" * 300)
    within_telegram_limits(png)
    layout = layout_quote("x" * 40_000, (), "c" * 500, "f" * 300)
    assert len(layout.citation) <= 3 and layout.footer.endswith(ELLIPSIS)


def test_empty_and_odd_text_renders() -> None:
    for passage in ("", "   ", "\x00\x07\u200b", "🙂 " * 50):
        within_telegram_limits(render_quote(passage, ((0, 999),), "", ""))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.text(max_size=2000),
    st.lists(st.tuples(st.integers(-5, 2100), st.integers(-5, 2100)), max_size=3),
    st.text(max_size=200),
    st.text(max_size=80),
)
def test_any_text_gives_a_picture_within_limits(
    passage: str, spans: list[tuple[int, int]], citation: str, footer: str
) -> None:
    within_telegram_limits(render_quote(passage, tuple(spans), citation, footer, width=720))


def test_korean_uses_the_hangul_font(caplog: pytest.LogCaptureFixture) -> None:
    face = hangul_font()
    layout = layout_quote(KOREAN, (), KOREAN_CITATION, FOOTER)
    assert layout.hangul
    chain = fonts.font_chain("serif", layout.quote_size, hangul_first=True)
    assert chain.faces[0] == face
    assert all(font.path == face[0] for _, font in chain.runs("조선인민") if hasattr(font, "path"))
    with caplog.at_level(logging.WARNING):
        rows = ink_rows(render_quote(KOREAN, (), KOREAN_CITATION, FOOTER))
    assert not caplog.records
    assert ink(rows, layout.quote_band) > 5000
    assert ink(rows, layout.citation_band) > 1000


def test_latin_letter_missing_from_the_hangul_font_comes_from_dejavu() -> None:
    face = hangul_font()
    if fonts.covers(face, "é"):
        pytest.skip(f"{face[0]} has é: nothing to fall back for")
    chain = fonts.font_chain("serif", 40, hangul_first=True)
    runs = chain.runs("조선 café")
    assert [chunk for chunk, _ in runs] == ["조선 caf", "é"]


def test_no_hangul_font_warns_once_and_still_draws(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(fonts, "HANGUL_FONTS", {"serif": (), "sans": ()})
    monkeypatch.setattr(fonts, "_warned", set())
    with caplog.at_level(logging.WARNING, logger="bot.core.fonts"):
        first = render_quote(KOREAN, (), KOREAN_CITATION, FOOTER)
        render_quote(KOREAN + " 다시", (), KOREAN_CITATION, FOOTER)
    (record,) = [r for r in caplog.records if "Hangul" in r.getMessage()]
    assert record.levelno == logging.WARNING and "fonts-nanum" in record.getMessage()
    layout = layout_quote(KOREAN, (), KOREAN_CITATION, FOOTER)
    assert ink(ink_rows(first), layout.quote_band) > 1000


def test_no_dejavu_falls_back_to_pillows_font_with_one_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(fonts, "LATIN_FONTS", {"serif": (), "sans": ()})
    monkeypatch.setattr(fonts, "HANGUL_FONTS", {"serif": (), "sans": ()})
    monkeypatch.setattr(fonts, "_warned", set())
    with caplog.at_level(logging.WARNING, logger="bot.core.fonts"):
        png = render_quote(SHORT, (), CITATION, FOOTER)
        render_quote(SHORT + " again", (), CITATION, FOOTER)
    (record,) = caplog.records
    assert "fonts-dejavu-core" in record.getMessage()
    assert fonts.font_chain("serif", 30).faces == (fonts.DEFAULT_FACE,)
    layout = layout_quote(SHORT, (), CITATION, FOOTER)
    assert ink(ink_rows(png), layout.quote_band) > 3000


# ---- the excerpt


def test_excerpt_short_text_is_whole() -> None:
    assert excerpt("  a few words  ", ((2, 5),), 100) == "a few words"


def test_excerpt_is_centred_on_the_match_and_cut_between_words() -> None:
    text = " ".join(f"w{n}" for n in range(400))
    start = text.index("w200 ")
    got = excerpt(text, ((start, start + 4),), 100)
    assert got.startswith(ELLIPSIS) and got.endswith(ELLIPSIS)
    inner = got.strip(ELLIPSIS).split()
    assert "w200" in inner and len(" ".join(inner)) <= 100
    assert all(word in text.split() for word in inner)
    assert excerpt(text, (), 100).startswith("w0 ")  # no match: from the start


def test_excerpt_offsets_count_from_the_untrimmed_text() -> None:
    text = "   " + " ".join(f"w{n}" for n in range(400))
    start = text.index("w300 ")
    assert "w300" in excerpt(text, ((start, start + 4),), 60)


@given(
    st.lists(st.text("abcdefghij", min_size=1, max_size=10), min_size=1, max_size=300),
    st.integers(0, 299),
    st.integers(60, 400),
)
def test_excerpt_never_cuts_a_word(words: list[str], pick: int, size: int) -> None:
    text = " ".join(words)
    pick %= len(words)
    start = len(" ".join(words[:pick])) + (1 if pick else 0)
    got = excerpt(text, ((start, start + len(words[pick])),), size)
    inner = got.removeprefix(ELLIPSIS).removesuffix(ELLIPSIS).split()
    # a run of whole words of the text, holding the matched one
    runs = [words[i : i + len(inner)] for i in range(len(words) - len(inner) + 1)]
    assert inner in runs
    assert words[pick] in inner
    assert got.startswith(ELLIPSIS) == (inner != words[: len(inner)])
    assert got.endswith(ELLIPSIS) == (inner != words[len(words) - len(inner) :])


# ---- keys, citation, footer


def test_picture_key_is_stable_and_tells_inputs_apart() -> None:
    key = picture_key(SHORT, ((1, 2),), CITATION, FOOTER)
    assert key == picture_key(SHORT, ((1, 2),), CITATION, FOOTER) and len(key) == 32
    assert key != picture_key(SHORT, ((1, 3),), CITATION, FOOTER)
    assert key != picture_key(SHORT, ((1, 2),), CITATION, FOOTER, width=720)


def test_citation_and_footer_of_the_sample() -> None:
    meta, _ = sample_document()
    assert picture_citation(meta, 21) == (
        f"{meta.title} · 1 March (year unknown) · Pyongyang · ¶ 21 of 32 · sample"
    )
    assert picture_footer("verbatim_quotes_bot") == "Verbatim · @verbatim_quotes_bot"
    assert picture_footer(None) == "Verbatim"


# ---- pictures to look at


def save_sample_pictures(folder: Path) -> list[Path]:
    """Write a Latin picture (the bundled sample speech) and a Korean one into ``folder``;
    run with VERBATIM_SAMPLE_PICTURES=DIR to keep them and look at them."""
    meta, parsed = sample_document()
    text = parsed.paragraphs[20]
    start = text.index("faithful servants of the people")
    latin = render_quote(
        text, ((start, start + 31),), picture_citation(meta, 21), picture_footer(None)
    )
    korean = render_quote(KOREAN, (), KOREAN_CITATION, picture_footer(None))
    folder.mkdir(parents=True, exist_ok=True)
    out = [folder / "quote-latin.png", folder / "quote-korean.png"]
    out[0].write_bytes(latin)
    out[1].write_bytes(korean)
    return out


def test_sample_pictures(tmp_path: Path) -> None:
    folder = Path(os.environ.get("VERBATIM_SAMPLE_PICTURES") or tmp_path)
    for path in save_sample_pictures(folder):
        image = Image.open(path)
        assert image.width == 1080 and image.height <= 1350
        within_telegram_limits(path.read_bytes())


def test_long_title_is_shortened_so_the_paragraph_number_stays() -> None:
    meta, parsed = sample_document()
    long_title = dataclasses.replace(meta, title=" ".join([meta.title] * 3))  # for any font
    citation = picture_citation(long_title, 21)
    layout = layout_quote(parsed.paragraphs[20], (), citation, FOOTER)
    shown = " ".join(layout.citation)
    assert len(layout.citation) <= 3
    assert shown.startswith("General Secretary Kim Jong Un's")
    assert ELLIPSIS in shown and shown.endswith("¶ 21 of 32 · sample")
