"""The architecture rules that import-linter cannot check (its contracts, in pyproject.toml's
``[tool.importlinter]`` and run by ``lint-imports`` in .ci/run, keep the imports in order).

Over the runtime and benchmark code (``bot/``, ``store/``, ``bench/``; tests are not looked at):

* SQL is run only in ``store/db/``: no call of ``.execute(``, ``.executemany(`` or
  ``.executescript(`` on anything, and no ``sqlite3.connect(`` (nor ``connect`` imported
  from ``sqlite3``), anywhere else.  Found in the syntax tree, so a comment or docstring
  that mentions them does not count, and any spacing does.
* Telegram HTML is written only in ``bot/telegram/render/``: no string literal elsewhere in
  ``bot/`` holds a tag Telegram's HTML has (``<b>``, ``</i>``, ``<a href=``,
  ``<blockquote expandable>``, ``<code>``, ``<tg-spoiler>``...; f-strings included).
  Docstrings are not looked at (they may show a tag as an example) and comments are not
  string literals.  No exceptions are needed: ``bot/terminal/render.py`` turns Telegram
  HTML into terminal text by *reading* tags through :class:`html.parser.HTMLParser`, by
  their names (``"b"``, ``"a"``), which are not tag literals; ``bot/terminal/chat.py``
  (the terminal's Telegram) only escapes ``<`` and ``>``.  A module that must be an
  exception goes in ``HTML_EXCEPTIONS`` with its reason.
* No module is over ``MAX_LINES`` physical lines.

Each rule is also run on a small sample that breaks it, so a rule that could no longer
fail would show.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CODE = ("bot", "store", "bench")
SQL_HOME = "store/db/"
HTML_HOME = "bot/telegram/render/"
HTML_EXCEPTIONS: dict[str, str] = {}  # path -> why it may hold Telegram HTML tags
MAX_LINES = 400
SQL_METHODS = frozenset({"execute", "executemany", "executescript"})
# A tag of Telegram's HTML (https://core.telegram.org/bots/api#html-style), opening or
# closing; attributes only as name=value (or "expandable"), so "<a few words>" is no tag.
TELEGRAM_TAG = re.compile(
    r"</?(?:b|strong|i|em|u|ins|s|strike|del|a|span|tg-spoiler|tg-emoji|code|pre|blockquote)"
    r"(?:\s+(?:expandable|[a-z-]+\s*=[^<>]*))*\s*/?>"
    r"|<a\s+href"
)


def modules() -> Iterator[tuple[str, Path]]:
    """Every Python module of the runtime and benchmark code, as (repo-relative path, path)."""
    for top in CODE:
        for path in sorted((REPO / top).rglob("*.py")):
            yield path.relative_to(REPO).as_posix(), path


def sql_calls(source: str) -> list[int]:
    """Lines that run SQL: ``x.execute(...)`` and kin, ``sqlite3.connect(...)``, or
    ``connect`` imported from ``sqlite3``."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            func = node.func
            if func.attr in SQL_METHODS or (
                func.attr == "connect"
                and isinstance(func.value, ast.Name)
                and func.value.id == "sqlite3"
            ):
                lines.append(node.lineno)
        elif (
            isinstance(node, ast.ImportFrom)
            and node.module == "sqlite3"
            and any(alias.name in ("connect", "*") for alias in node.names)
        ):
            lines.append(node.lineno)
    return lines


def html_tags(source: str) -> list[tuple[int, str]]:
    """(line, tag) of the Telegram HTML tags in string literals, docstrings left out."""
    tree = ast.parse(source)
    docstrings = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
        ):
            found += [(node.lineno, m.group()) for m in TELEGRAM_TAG.finditer(node.value)]
    return found


def physical_lines(path: Path) -> int:
    return len(path.read_bytes().splitlines())


def test_the_rules_look_at_the_code() -> None:
    paths = [name for name, _ in modules()]
    assert "store/db/schema.py" in paths and "bot/telegram/render/chat.py" in paths
    assert len(paths) > 50


def test_sql_runs_only_in_store_db() -> None:
    offenders = [
        f"{name}:{line}"
        for name, path in modules()
        if not name.startswith(SQL_HOME)
        for line in sql_calls(path.read_text(encoding="utf-8"))
    ]
    assert not offenders, f"SQL outside {SQL_HOME} (move it into a store/db module): {offenders}"


def test_telegram_html_only_in_the_render_package() -> None:
    offenders = [
        f"{name}:{line} {tag}"
        for name, path in modules()
        if name.startswith("bot/") and not name.startswith(HTML_HOME)
        if name not in HTML_EXCEPTIONS
        for line, tag in html_tags(path.read_text(encoding="utf-8"))
    ]
    assert not offenders, f"Telegram HTML outside {HTML_HOME} (use a render module): {offenders}"


def test_no_module_over_the_line_limit() -> None:
    long = {name: n for name, path in modules() if (n := physical_lines(path)) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines (split them along their seams): {long}"


@pytest.mark.parametrize(
    "source",
    [
        "conn.execute('SELECT 1')",
        "await self.conn.executemany(sql, rows)",
        "db.executescript (script)",
        "import sqlite3\nsqlite3.connect(path)",
        "from sqlite3 import connect",
    ],
)
def test_sql_rule_catches(source: str) -> None:
    assert sql_calls(source)


def test_sql_rule_lets_pass() -> None:
    assert not sql_calls('"""Runs conn.execute( in store/db."""\n# sqlite3.connect(path)\nx = 1')
    assert not sql_calls("executor.submit(job)\nawait db.search(query)")


@pytest.mark.parametrize(
    "source",
    [
        'TEXT = "<b>bold</b>"',
        "x = f'<a href=\"{url}\">{title}</a>'",
        "q = '<blockquote expandable>' + text",
        "c = '<code>' + escape(s) + '</code>'",
        "i = f'<i>{when}</i>'",
        "s = '<tg-spoiler>x</tg-spoiler>'",
    ],
)
def test_html_rule_catches(source: str) -> None:
    assert html_tags(source)


def test_html_rule_lets_pass() -> None:
    source = (
        '"""Shown as <b>bold</b>."""\n'
        "# nested <b> inside <b>\n"
        "TAGS = {'b': 1, 'a': 2}\n"
        "usage = 'update <id> <kind> [<command>]; /start p_<id>; <bot.core.posting>'\n"
        "hint = 'type <a few words>'\n"
        "escaped = text.replace('<', '&lt;')\n"
    )
    assert html_tags(source) == []


def test_line_rule_counts_physical_lines(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text("x = 1\n" * (MAX_LINES + 1), encoding="utf-8")
    assert physical_lines(path) == MAX_LINES + 1
    path.write_text("x = 1\n\n\ny = 2", encoding="utf-8")
    assert physical_lines(path) == 4
