"""Ingest over paths it cannot read: each is reported once, with its path and reason,
and the run goes on (exit 1); nothing found to ingest is exit 1 with a reason."""

from __future__ import annotations

import builtins
import io
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ingest_failures

from bot.cli.common import EXIT_NOT_FOUND, EXIT_OK, EXIT_PARTIAL_FAILURE
from bot.cli.main import main

Deny = Callable[[Path], None]


def _speech(title: str, body: str) -> str:
    return f"{title}\n\nPyongyang, May 2 (KCNA) -- {body}\n\nSecond paragraph of {title}.\n"


@pytest.fixture
def deny(monkeypatch: pytest.MonkeyPatch) -> Iterator[Deny]:
    """Make a file or folder unreadable (mode 000).  Root reads it all the same, so for
    root the refusals an ordinary user would get are played by patching os.stat,
    os.scandir and open for those paths."""
    denied: list[Path] = []

    def closed(target: Any, *, inside_only: bool = False) -> bool:
        if not isinstance(target, str | os.PathLike):
            return False
        path = Path(os.fsdecode(os.fspath(target))).absolute()
        for d in denied:
            if d in path.parents or (not inside_only and path == d and not d.is_dir()):
                return True
        return False

    def refuse(target: Any) -> PermissionError:
        return PermissionError(13, "Permission denied", os.fspath(target))

    if os.geteuid() == 0:
        real_stat, real_scandir, real_open = os.stat, os.scandir, io.open

        def fake_stat(target: Any, *args: Any, **kwargs: Any) -> os.stat_result:
            if closed(target, inside_only=True):
                raise refuse(target)
            return real_stat(target, *args, **kwargs)

        def fake_scandir(target: Any = ".") -> Any:
            if any(Path(os.fspath(target)).absolute() == d for d in denied):
                raise refuse(target)
            return real_scandir(target)

        def fake_open(target: Any, *args: Any, **kwargs: Any) -> Any:
            if closed(target):
                raise refuse(target)
            return real_open(target, *args, **kwargs)

        monkeypatch.setattr(os, "stat", fake_stat)
        monkeypatch.setattr(os, "scandir", fake_scandir)
        monkeypatch.setattr(io, "open", fake_open)
        monkeypatch.setattr(builtins, "open", fake_open)

    def close(path: Path) -> None:
        denied.append(path.absolute())
        path.chmod(0)

    yield close
    for path in denied:
        path.chmod(stat.S_IRWXU)


def test_unreadable_files_and_folders_are_reported_and_the_run_goes_on(
    tmp_path: Path, deny: Deny, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.txt").write_text(_speech("Speech A", "Alpha words."), "utf-8")
    (tmp_path / "b.txt").write_text(_speech("Speech B", "Bravo words."), "utf-8")
    closed = tmp_path / "closed"
    closed.mkdir()
    (closed / "c.txt").write_text(_speech("Speech C", "Charlie words."), "utf-8")
    walked = tmp_path / "walked"
    (walked / "shut").mkdir(parents=True)
    (walked / "d.txt").write_text(_speech("Speech D", "Delta words."), "utf-8")
    (walked / "shut" / "e.txt").write_text(_speech("Speech E", "Echo words."), "utf-8")
    deny(tmp_path / "b.txt")
    deny(closed)
    deny(walked / "shut")
    db = str(tmp_path / "v.db")
    paths = [tmp_path / "a.txt", tmp_path / "b.txt", closed / "c.txt", walked]
    code = main(["ingest", "--quiet", "--db", db, *map(str, paths)])
    out, err = capsys.readouterr()
    assert code == EXIT_PARTIAL_FAILURE, err
    assert "2 new documents" in out and "3 failed" in out
    failures = ingest_failures(err)
    assert set(failures) == {
        str(tmp_path / "b.txt"),
        str(closed / "c.txt"),
        str(walked / "shut"),
    }, err
    assert all("ermission denied" in reason for reason in failures.values()), failures
    assert "cannot read folder" in failures[str(walked / "shut")]
    for line in err.splitlines():  # each path once per message
        assert line.count(str(tmp_path)) <= 1, line
    assert "Traceback" not in err


def test_a_file_that_cannot_be_parsed_names_its_path_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "latin1.txt").write_bytes("Caf\xe9\n\nBody.\n".encode("latin-1"))
    (tmp_path / "empty.txt").write_bytes(b"")
    files = [str(tmp_path / "latin1.txt"), str(tmp_path / "empty.txt")]
    code = main(["ingest", "--quiet", "--db", str(tmp_path / "v.db"), *files])
    err = capsys.readouterr().err
    assert code == EXIT_PARTIAL_FAILURE
    lines = [line for line in err.splitlines() if line.startswith("failed: ")]
    assert len(lines) == 2
    for line in lines:
        assert line.count(str(tmp_path)) == 1, line


def test_only_unreadable_paths_is_exit_1_and_only_mistyped_ones_exit_3(
    tmp_path: Path, deny: Deny, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "b.txt").write_text(_speech("Speech B", "Bravo words."), "utf-8")
    deny(tmp_path / "b.txt")
    db = str(tmp_path / "v.db")
    assert main(["ingest", "--quiet", "--db", db, str(tmp_path / "b.txt")]) == EXIT_PARTIAL_FAILURE
    assert "ermission denied" in capsys.readouterr().err
    assert main(["ingest", "--quiet", "--db", db, str(tmp_path / "typo.txt")]) == EXIT_NOT_FOUND
    assert "no such file or folder" in capsys.readouterr().err


def test_an_empty_folder_or_only_unknown_files_is_exit_1_with_a_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "v.db")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["ingest", "--quiet", "--db", db, str(empty)]) == EXIT_PARTIAL_FAILURE
    assert "nothing ingested: no files found" in capsys.readouterr().err
    other = tmp_path / "other"
    other.mkdir()
    (other / "README.md").write_text("# about", "utf-8")
    (other / "notes.json").write_text('{"shopping": ["milk"]}', "utf-8")
    (other / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" * 10)
    assert main(["ingest", "--quiet", "--db", db, str(other)]) == EXIT_PARTIAL_FAILURE
    err = capsys.readouterr().err
    assert "nothing ingested: none of the 2 files found is in a corpus format" in err
    (other / "speech.txt").write_text(_speech("Speech", "Words."), "utf-8")
    assert main(["ingest", "--quiet", "--db", db, str(other)]) == EXIT_OK
