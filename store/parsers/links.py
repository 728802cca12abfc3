"""Links to the published originals that some corpora carry (see each folder's SOURCE.md).

Only links a corpus gives, or derives as its SOURCE.md says (Miller Center file names
map back to millercenter.org pages): never a made-up one.  A value that is not an
absolute http(s) URL is dropped.
"""

from __future__ import annotations

from urllib.parse import urlsplit

_MONTHS = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)  # fmt: skip
MILLER_PAGE = "https://millercenter.org/the-presidency/presidential-speeches/"
MAX_URL_CHARS = 2000


def web_link(value: object) -> str | None:
    """``value`` if it is an absolute http(s) URL of sane length, else ``None``."""
    if not isinstance(value, str):
        return None
    url = value.strip()
    if not url or len(url) > MAX_URL_CHARS or any(c.isspace() for c in url):
        return None
    try:
        url.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from a broken escape
        return None
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


def miller_page(iso_date: str, slug: str) -> str | None:
    """The millercenter.org page of a speech from its file name's date and slug
    (``1789-04-30``, ``first-inaugural-address`` →
    ``…/presidential-speeches/april-30-1789-first-inaugural-address``)."""
    try:
        year, month, day = (int(x) for x in iso_date.split("-"))
    except ValueError:
        return None
    if not 1 <= month <= 12 or not 1 <= day <= 31 or not slug:
        return None
    return f"{MILLER_PAGE}{_MONTHS[month - 1]}-{day}-{year}-{slug}"
