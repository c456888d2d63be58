"""`down`'s early request reads its arguments, repo root and socket path without pathlib
(cli/down_early.py): each reading must stay the one the rest of devctl makes."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest

from devctl.cli import down_early
from devctl.cli.global_options import split_globals
from devctl.config import find_repo_root
from devctl.layout import find_root
from devctl.supervisor.paths import Paths

#: Words the global options are made of; every sequence of up to three of them, then `down`.
WORDS = ["-C", "-Cx", "-C=x", "-C-v", "--repo-root", "--repo-root=y", "--repo-root=", "--repo-roo",
         "--repo-root-x", "-v", "-vC", "--config", "--config=c", "--timeout", "--timeout=abc", "-h", "-",
         "--", "", "x", "down", "status", "--dry-run"]


def ordinary(args: list[str]) -> object:
    """What `split_globals` makes of `args` for `down_early`: None (not a plain down), or -C's
    value as a Path (None inside a tuple: not given)."""
    found = split_globals(args)
    if found.rest != ["down"] or not found.complete or found.given - {"repo_root"}:
        return None
    return (found.repo_root,)


def early(args: list[str]) -> object:
    found = down_early.repo_root_option(args)
    if found is None:
        return None
    return (None if found[0] is None else Path(found[0]),)


def test_the_shapes_of_a_plain_down_are_the_ones_split_globals_reads():
    checked = accepted = 0
    for n in range(4):
        for words in itertools.product(WORDS, repeat=n):
            args = [*words, "down"]
            assert early(args) == ordinary(args), args
            checked += 1
            accepted += ordinary(args) is not None
    assert accepted > 100 and checked > accepted  # both kinds were met, many times


def tree(tmp_path: Path) -> dict[str, Path]:
    """A repo with a nested repo, plain directories, links and a `.devctl.yaml` that is a directory."""
    outer, inner = tmp_path / "outer", tmp_path / "outer" / "a" / "inner"
    (inner / "deep" / "er").mkdir(parents=True)
    (outer / ".devctl.yaml").write_text("")
    (inner / ".devctl.yaml").write_text("")
    (tmp_path / "fake" / ".devctl.yaml").mkdir(parents=True)  # a directory: not a repo
    (tmp_path / "plain").mkdir()
    (tmp_path / "link").symlink_to(inner / "deep")
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    (tmp_path / "cfglink").mkdir()
    (tmp_path / "cfglink" / ".devctl.yaml").symlink_to(outer / ".devctl.yaml")
    return {"outer": outer, "a": outer / "a", "inner": inner, "deep": inner / "deep" / "er",
            "fake": tmp_path / "fake", "plain": tmp_path / "plain", "link": tmp_path / "link",
            "cfglink": tmp_path / "cfglink", "dotdot": inner / "deep" / ".." / ".." / ".."}


def pathlib_rule(start: Path) -> Path | None:
    """The search as pathlib states it: `start` resolved, then each parent, the first holding
    `.devctl.yaml` as a file."""
    resolved = start.resolve()
    return next((d for d in [resolved, *resolved.parents] if (d / ".devctl.yaml").is_file()), None)


def test_the_repo_root_is_found_by_the_pathlib_rule_without_pathlib(tmp_path: Path):
    for name, start in tree(tmp_path).items():
        expected = pathlib_rule(start)
        assert find_root(str(start)) == (None if expected is None else str(expected)), name
        assert find_repo_root(start) == expected, name  # devctl.config's is the same search
    assert find_root(str(tmp_path / "plain")) is None  # nothing above tmp_path has one
    assert find_root(str(tmp_path / "link")) == str(tmp_path / "outer" / "a" / "inner")


@pytest.mark.parametrize("how", ["cwd", "-C", "-CDIR", "--repo-root", "--repo-root="])
def test_the_socket_and_lock_are_the_ones_paths_names(tmp_path: Path, monkeypatch, how: str):
    """The root as `AppContext.repo_root` takes it (-C resolved, else found from the working
    directory), and the paths as `Paths` joins them: `client.down` takes the request by them."""
    sent: list[tuple[str, str]] = []
    monkeypatch.setattr("devctl.supervisor.early_shutdown.begin_shutdown",
                        lambda sock, lock: sent.append((sock, lock)) or True)
    for name, start in tree(tmp_path).items():
        if how == "cwd":
            monkeypatch.chdir(start)
            args = ["down"]
            expected = find_repo_root(Path.cwd()) or Path.cwd().resolve()
        else:
            monkeypatch.chdir(tmp_path)
            relative = os.path.relpath(start, tmp_path)
            args = {"-C": ["-C", relative], "-CDIR": [f"-C{relative}"],
                    "--repo-root": ["--repo-root", relative],
                    "--repo-root=": [f"--repo-root={relative}"]}[how] + ["down"]
            expected = Path(relative).resolve()
        sent.clear()
        down_early.begin(args)
        paths = Paths(expected)
        assert sent == [(str(paths.sock), str(paths.lock))], (name, args)


@pytest.mark.parametrize("args", [["-C", "missing", "down"], ["-C", "loop", "down"], ["-C", "a\0b", "down"],
                                  ["-C", "plain/x", "down"], ["-v", "down"], ["down", "--timeout", "1s"]])
def test_anything_else_sends_nothing(tmp_path: Path, monkeypatch, args: list[str]):
    sent: list[object] = []
    monkeypatch.setattr("devctl.supervisor.early_shutdown.begin_shutdown", lambda *a: sent.append(a))
    tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    down_early.begin(args)
    assert sent == []


def test_an_empty_directory_option_is_the_working_directory(tmp_path: Path, monkeypatch):
    """`-C ""` is Path(""), which is ".": typer's path and the early request act on the same root."""
    sent: list[str] = []
    monkeypatch.setattr("devctl.supervisor.early_shutdown.begin_shutdown",
                        lambda sock, lock: sent.append(sock))
    monkeypatch.chdir(tmp_path)
    down_early.begin(["-C", "", "down"])
    down_early.begin(["--repo-root=", "down"])
    assert sent == [str(Paths(tmp_path.resolve()).sock)] * 2


def test_a_vanished_working_directory_sends_nothing(tmp_path: Path, monkeypatch):
    sent: list[object] = []
    monkeypatch.setattr("devctl.supervisor.early_shutdown.begin_shutdown", lambda *a: sent.append(a))
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    down_early.begin(["down"])
    assert sent == []
