"""One rule for what a command runs: paths relative to a base, bare names on a PATH, one failure form."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from devctl.procs import which
from devctl.procs.which import NotExecutable, resolve_executable


@pytest.fixture
def tools(tmp_path: Path) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, mode in (("tool", 0o755), ("plain", 0o644)):
        (bin_dir / name).write_text("#!/bin/sh\n")
        (bin_dir / name).chmod(mode)
    (bin_dir / "link").symlink_to(bin_dir / "tool")
    return bin_dir


def test_a_path_is_relative_to_the_base_and_normalised_not_resolved(tools: Path) -> None:
    base = tools.parent
    assert resolve_executable("./bin/tool", base) == str(tools / "tool")
    assert resolve_executable("bin/../bin/link", base) == str(tools / "link")  # argv[0] kept
    assert resolve_executable(str(tools / "tool"), "/elsewhere") == str(tools / "tool")


def test_a_bare_name_is_looked_up_on_the_given_path(tools: Path) -> None:
    assert resolve_executable("tool", "/", str(tools)) == str(tools / "tool")
    with pytest.raises(NotExecutable) as info:
        resolve_executable("tool", "/", str(tools.parent))  # no "tool" directly in there
    assert info.value.reason == which.NOT_ON_PATH and info.value.path is None


@pytest.mark.parametrize(("program", "reason"), [
    ("./bin/missing", which.MISSING), ("./bin", which.DIRECTORY), ("./bin/plain", which.NOT_EXECUTABLE),
])
def test_each_failure_has_one_form_with_its_reason(tools: Path, program: str, reason: str) -> None:
    with pytest.raises(NotExecutable) as info:
        resolve_executable(program, tools.parent)
    assert info.value.reason == reason
    assert info.value.path == os.path.normpath(tools.parent / program)
