"""The forked supervisor starts with the CLI's objects frozen (`gc.freeze()` before the fork):
its first collections would otherwise walk all of them, copying every page they touch, between
the fork and its first spawns (issue 17, P6 in docs/performance.md)."""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from devctl.supervisor import daemon
from tests.cli import wait_for


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the fork launch needs os.fork")
def test_the_forked_supervisor_inherits_a_frozen_heap(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    def fake_run_daemon(paths: Any, services: Any, notifiers: Any, ready_fd: int) -> int:
        # In the detached grandchild: report what the collector holds frozen, as the pid field.
        os.write(ready_fd, f"ok {gc.get_freeze_count()}\n".encode())
        os.write(ready_fd, f"{os.getpid()}\n".encode())
        return 0

    monkeypatch.setattr(daemon, "run_daemon", fake_run_daemon)
    paths = daemon.Paths(tmp_path)
    paths.state_dir.mkdir(mode=0o700)  # the supervisor's log goes there
    objects_before = len(gc.get_objects())
    read_fd, write_fd = os.pipe()
    try:
        daemon._launch_fork(paths, [], [], read_fd, write_fd)
        os.close(write_fd)
        with os.fdopen(read_fd, closefd=False) as fh:
            frozen, pid = int(fh.readline().split()[1]), int(fh.readline())
        wait_for(lambda: not os.path.exists(f"/proc/{pid}") if sys.platform.startswith("linux") else True,
                 what="the fake supervisor gone")
        assert frozen >= objects_before // 2, (frozen, objects_before)
        assert gc.get_freeze_count() >= objects_before // 2  # the CLI's side, too
    finally:
        os.close(read_fd)
        gc.unfreeze()
