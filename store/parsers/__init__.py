"""File parsers: turn every supported input format into ``ParsedDocument`` values.

``detect_format`` recognises a file (content first, file name second);
``parse_file`` decodes it and yields one ``ParsedDocument`` per document, or a
``RecordError`` for a broken record inside an otherwise readable file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from store.models import ParsedDocument, ParseError, RecordError
from store.parsers import (
    common,
    html_file,
    kcna_jsonl,
    kcna_kp_json,
    kcna_text,
    kjv,
    korean_new_year,
    miller,
    rodong,
    un_debate,
)
from store.parsers.common import FormatSpec, bounded
from store.text.clean import decode_bytes

_SPECS: tuple[FormatSpec, ...] = (
    kcna_text.SPEC,
    kcna_kp_json.SPEC,
    kcna_jsonl.SPEC,
    rodong.SPEC,
    miller.SPEC,
    kjv.SPEC,
    korean_new_year.SPEC,
    un_debate.SPEC,
    html_file.SPEC,
)
_FALLBACK = kcna_text.TEXT_SPEC
_BY_NAME = {spec.name: spec for spec in (*_SPECS, _FALLBACK)}

FORMATS: tuple[str, ...] = tuple(_BY_NAME)

# Files that describe a corpus rather than belong to it.
_NOT_DOCUMENTS = ("readme", "source.md", "license", "licence", "changelog", "ungdc_readme")


def detect_format(path: Path, head: str) -> str | None:
    """Name the format of ``path`` from ``head`` (its first ~8 KB of decoded text).

    Content evidence wins; the file name is consulted only when no format recognised
    the content.  Returns ``None`` when the file is not recognisably one of ours
    (README, SOURCE.md, LICENSE files and unrecognised text), so a folder walk skips it.
    """
    name = path.name.lower()
    if name.startswith(_NOT_DOCUMENTS) or name.endswith(".md"):
        return None
    head = head.lstrip("\ufeff")
    for spec in _SPECS:
        if spec.sniff(head):
            return spec.name
    for spec in _SPECS:
        if spec.path_hint(path, head):
            return spec.name
    return None


def _looks_like_json(path: Path, text: str) -> bool:
    """JSON (by name or by its first character) must not fall back to plain text."""
    return path.suffix.lower() in (".json", ".jsonl") or text.lstrip()[:1] in ("{", "[")


def parse_file(path: Path, format: str | None = None) -> Iterator[ParsedDocument | RecordError]:
    """Parse one file into documents.

    ``format`` names the format (see ``FORMATS``); ``None`` detects it, falling back to
    the generic ``text`` format (first line = title, blank-line paragraphs).  Raises
    :class:`ParseError` when the file cannot be parsed at all (missing, empty, binary,
    not UTF-8, larger than ``common.MAX_FILE_BYTES``, invalid JSON, unknown format
    name).  Every document is held to the size bounds (:func:`common.bounded`).
    """
    path = Path(path)
    _named_spec(format)  # an unknown format name is refused before the file is read
    return parse_text(path, decode_bytes(common.read_file(path), path), format)


def _named_spec(format: str | None) -> FormatSpec | None:
    if format is None:
        return None
    spec = _BY_NAME.get(format)
    if spec is None:
        raise ParseError(f"unknown format {format!r}; known formats: {', '.join(FORMATS)}")
    return spec


def parse_text(
    path: Path, text: str, format: str | None = None
) -> Iterator[ParsedDocument | RecordError]:
    """Parse ``text`` (decoded as :func:`store.text.clean.decode_bytes` does) as if it
    were the content of the file ``path`` (whose name may hint at the format), as
    :func:`parse_file` does: ingest of a file fetched from a URL goes through here."""
    spec = _named_spec(format)
    if spec is None:
        detected = detect_format(path, text[:8192])
        if detected is None and _looks_like_json(path, text):
            raise ParseError(
                f"{path}: JSON that matches none of the known formats "
                f"({', '.join(FORMATS)}); pass --format if it is one of them"
            )
        spec = _BY_NAME[detected] if detected else _FALLBACK
    return map(bounded, spec.parse(path, text))


__all__ = ["FORMATS", "detect_format", "parse_file", "parse_text"]
