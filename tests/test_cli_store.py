"""The ``verbatim`` CLI: ingest, stats, show, --help everywhere, exit codes."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from bot.cli.common import EXIT_CONFIG, EXIT_NOT_FOUND, EXIT_OK, EXIT_PARTIAL_FAILURE
from bot.cli.main import build_parser, main
from bot.core.picture import WIDTH
from store.db import open_database

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the default database into tmp_path; no VERBATIM_DB."""
    monkeypatch.delenv("VERBATIM_DB", raising=False)
    monkeypatch.delenv("VERBATIM_LOG_LEVEL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg" / "verbatim" / "verbatim.db"


def _write_speech(path: Path, title: str, body: str) -> None:
    path.write_text(f"{title}\n\nPyongyang, May 2 (KCNA) -- {body}\n\nSecond paragraph.\n", "utf-8")


def test_default_database_gets_the_sample(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stats", "--json"]) == EXIT_OK
    stats = json.loads(capsys.readouterr().out)
    assert env.exists()
    assert stats["documents"] == 1
    assert stats["paragraphs"] == 32
    assert stats["collections"][0]["collection"] == "sample"


def test_explicit_database_is_not_filled_with_the_sample(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    own = tmp_path / "own.db"

    async def create() -> None:
        async with open_database(own):
            pass

    asyncio.run(create())
    assert main(["stats", "--json", "--db", str(own)]) == EXIT_OK
    assert json.loads(capsys.readouterr().out)["documents"] == 0


def test_ingest_then_show_and_exit_codes(
    env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "work.db"
    monkeypatch.setenv("VERBATIM_DB", str(db))
    _write_speech(tmp_path / "one.txt", "Speech One", "The first words.")
    (tmp_path / "bad.txt").write_bytes(b"\xff\xfe\x00\x00binary")
    assert main(["ingest", "--quiet", str(tmp_path / "one.txt")]) == EXIT_OK
    assert "1 new documents (2 paragraphs)" in capsys.readouterr().out
    # one good (now a duplicate) and one broken file: partial failure
    code = main(["ingest", "--quiet", str(tmp_path / "one.txt"), str(tmp_path / "bad.txt")])
    captured = capsys.readouterr()
    assert code == EXIT_PARTIAL_FAILURE
    assert "1 duplicates, 1 failed" in captured.out
    assert "bad.txt" in captured.err
    assert main(["ingest", "--quiet", str(tmp_path / "nope.txt")]) == EXIT_NOT_FOUND
    assert "no such file" in capsys.readouterr().err

    assert main(["show", "1"]) == EXIT_OK
    out = capsys.readouterr().out
    assert ">> [1] The first words." in out
    assert "[2] Second paragraph." in out
    assert "Speech One" in out and "¶ 1 of 2" in out and "Pyongyang" in out
    assert main(["show", "999"]) == EXIT_NOT_FOUND
    assert "no paragraph 999" in capsys.readouterr().err


def test_bad_log_level_is_a_settings_error(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--log-level", "loud", "stats"]) == EXIT_CONFIG
    assert "log level" in capsys.readouterr().err


def test_every_subcommand_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    names = sorted(sub.choices)  # type: ignore[arg-type]
    assert {"ingest", "stats", "show", "search"} <= set(names)
    for name in names:
        with pytest.raises(SystemExit) as exc:
            main([name, "--help"])
        assert exc.value.code == 0
        assert "usage: verbatim" in capsys.readouterr().out


def test_console_script_is_installed() -> None:
    exe = shutil.which("verbatim", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("the verbatim console script is not installed in this environment")
    done = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert "ingest" in done.stdout


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    blocks = re.findall(r"```sh\n(.*?)\n```", readme, re.S)
    assert len(blocks) >= 2, "README must show the set-up command and the test command"
    test_command = blocks[1].strip()
    assert "pytest" in test_command
    assert test_command in (ROOT / ".ci" / "run").read_text("utf-8").splitlines()


def test_unusable_databases_and_ids_get_messages_not_tracebacks(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    not_a_db = tmp_path / "notes.db"
    not_a_db.write_text("these are my notes, not a database\n" * 100, "utf-8")
    assert main(["stats", "--db", str(not_a_db)]) == EXIT_CONFIG
    assert "is not a Verbatim database" in capsys.readouterr().err
    assert not_a_db.read_text("utf-8").startswith("these are my notes")  # left untouched
    blocked = tmp_path / "a-file"
    blocked.write_text("x", "utf-8")
    assert main(["ingest", "--db", str(blocked / "sub" / "v.db"), str(not_a_db)]) == EXIT_CONFIG
    assert "verbatim:" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["show", "99999999999999999999"])
    assert exc.value.code == 2
    assert "not a paragraph id" in capsys.readouterr().err


def test_show_writes_the_quote_picture(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["show", "21", "--context", "0"]) == EXIT_OK
    plain = capsys.readouterr().out
    assert plain.startswith(">> [21] ") and "¶ 21 of 32" in plain
    out = tmp_path / "p21.png"
    assert main(["show", "21", "--context", "0", "--picture", str(out)]) == EXIT_OK
    assert capsys.readouterr().out == plain  # the same listing, and the picture beside it
    with Image.open(out) as image:
        image.verify()
    with Image.open(out) as image:
        assert image.format == "PNG" and image.width == WIDTH == 1080
        assert 0.5625 * WIDTH <= image.height <= 1.25 * WIDTH
        background = image.getpixel((0, 0))
        assert any(image.getpixel((x, image.height // 2)) != background for x in range(WIDTH))
    again = tmp_path / "again.png"
    assert main(["show", "21", "--picture", str(again)]) == EXIT_OK
    assert again.read_bytes() == out.read_bytes()  # the same passage, the same bytes
    capsys.readouterr()
    missing = tmp_path / "no" / "such" / "folder" / "p.png"
    assert main(["show", "21", "--picture", str(missing)]) == EXIT_PARTIAL_FAILURE
    assert "cannot write" in capsys.readouterr().err and not missing.exists()


@pytest.mark.parametrize("context", [str(2**63), "9" * 5000, "-1", "1001", "100000", "two"])
def test_show_context_out_of_range_is_a_usage_error(
    sample_db: Path, context: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["show", "1", "--context", context, "--db", str(sample_db)])
    assert exc.value.code == 2
    assert "argument --context: must be " in capsys.readouterr().err


def test_show_context_in_range(sample_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", "3", "--context", "1000", "--db", str(sample_db)]) == EXIT_OK
    assert ">> [3]" in capsys.readouterr().out
    assert main(["show", "3", "--context", "0", "--db", str(sample_db)]) == EXIT_OK
    assert capsys.readouterr().out.count("] ") == 1
