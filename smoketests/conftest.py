"""Smoke tests: the installed `devctl` console script, run as a user runs it, in temp repos.

Unlike tests/ (which mostly runs `python -m devctl`), everything here goes through the
console script that `pip install` generated, so a broken entry point fails here. Each test
works on its own copy of a repo under tmp_path, so the source tree stays untouched.

The orphan check is the same one tests/ uses (tests/orphans.py): every process a test starts
inherits DEVCTL_TEST_TAG, and any that survives the test fails it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.orphans import find_tagged, kill_tagged

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@pytest.fixture(autouse=True)
def no_orphans(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    tag = uuid.uuid4().hex
    monkeypatch.setenv("DEVCTL_TEST_TAG", tag)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    yield tag
    survivors = find_tagged(tag, wait=5.0)
    if survivors:
        kill_tagged(tag)
        pytest.fail(f"processes left behind by this test: {survivors}")


def devctl_path() -> str:
    """The console script installed next to this interpreter (what `pip install` made)."""
    script = Path(sys.executable).with_name("devctl")
    if not script.is_file():
        pytest.fail(f"no devctl console script next to {sys.executable}: install the project first "
                    "(pip install -e '.[test]')")
    return str(script)


class Devctl:
    """Runs the installed CLI in one repo; remembers to `down` it at the end of the test."""

    def __init__(self, repo: Path):
        self.repo = repo
        self.exe = devctl_path()

    def __call__(self, *args: str, timeout: float = 90, env: dict[str, str] | None = None,
                 cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.exe, *args], cwd=cwd or self.repo, env={**os.environ, **(env or {})},
            capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
        )

    def ok(self, *args: str, **kw) -> subprocess.CompletedProcess[str]:
        """Run and insist on exit 0 (the failure message shows both streams)."""
        result = self(*args, **kw)
        assert result.returncode == 0, (f"devctl {' '.join(args)} exited {result.returncode}\n"
                                        f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}")
        return result


@pytest.fixture
def make_repo(tmp_path: Path) -> Iterator:
    """make_repo(files) -> Devctl for a temp repo holding `files` ({relative path: text})."""
    made: list[Devctl] = []

    def make(files: dict[str, str], name: str = "repo") -> Devctl:
        repo = tmp_path / name
        for rel, text in files.items():
            path = repo / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        made.append(Devctl(repo))
        return made[-1]

    yield make
    for cli in made:
        cli("down", timeout=60)


@pytest.fixture
def example(tmp_path: Path) -> Iterator:
    """example(name) -> Devctl for a fresh copy of examples/<name> (no state, no data)."""
    made: list[Devctl] = []

    def copy(name: str) -> Devctl:
        repo = tmp_path / name
        shutil.copytree(EXAMPLES / name, repo,
                        ignore=shutil.ignore_patterns(".devctl", ".data", "__pycache__"))
        made.append(Devctl(repo))
        return made[-1]

    yield copy
    for cli in made:
        cli("down", timeout=60)
