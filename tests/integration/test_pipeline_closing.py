"""`run_pipeline(while_closing=...)`: the caller's work after the last phase runs while the
plugins exit (their stdin already closed), and the run still ends with every plugin gone.

A real plugin process (`testdata/plugins/pipe_eof_marker.py`) writes a file when its stdin
ends, which is how these tests see that devctl told it so before calling the hook."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest

from devctl.config import load_config
from devctl.errors import DevctlError
from devctl.pipeline import PipelineOptions
from devctl.pipeline.runner import run_pipeline
from tests.orphans import find_tagged

PLUGIN = Path(__file__).resolve().parents[2] / "testdata" / "plugins" / "pipe_eof_marker.py"


def repo(tmp_path: Path) -> tuple[Path, Path]:
    marker = tmp_path / "stdin-ended"
    (tmp_path / ".devctl.yaml").write_text(
        f"plugins:\n  - id: marker\n    path: {json.dumps(sys.executable)}\n"
        f"    args: [{json.dumps(str(PLUGIN))}, {json.dumps(str(marker))}]\n")
    return tmp_path, marker


def wait_for_file(path: Path, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            return True
        time.sleep(0.01)
    return False


def test_the_hook_runs_once_the_plugins_were_told_to_end(tmp_path: Path) -> None:
    root, marker = repo(tmp_path)
    seen: list[object] = []

    def while_closing(result: object) -> None:
        # Only possible if the plugin's stdin was closed before this call: it writes the file
        # on the end of its stdin, and nobody else closes it while this runs.
        seen.append(wait_for_file(marker))
        seen.append([s["name"] for s in result.services])  # type: ignore[attr-defined]

    result = run_pipeline(load_config(root), PipelineOptions(phases=("launch.plan",)),
                          while_closing=while_closing)
    assert seen == [True, ["web"]]
    assert [s["name"] for s in result.services] == ["web"]
    assert find_tagged(os.environ["DEVCTL_TEST_TAG"]) == []  # waited for, reaped


def test_what_the_hook_raises_ends_the_run_and_the_plugins_still_end(tmp_path: Path) -> None:
    root, marker = repo(tmp_path)

    def while_closing(result: object) -> None:
        raise DevctlError("the plan does not fit")

    with pytest.raises(DevctlError, match="the plan does not fit"):
        run_pipeline(load_config(root), PipelineOptions(phases=("launch.plan",)), while_closing=while_closing)
    assert wait_for_file(marker, timeout=5)
    assert find_tagged(os.environ["DEVCTL_TEST_TAG"]) == []
