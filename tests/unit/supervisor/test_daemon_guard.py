"""A supervisor does not start next to one whose `.devctl/` was removed (it still holds the
old lock file, deleted): the guard in `run_daemon`, which catches the `up` that raced past
the CLI's own check."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from devctl.procs.pids import lock_holders
from devctl.supervisor.daemon import run_daemon
from devctl.supervisor.paths import Paths
from tests.cli import wait_for

HOLD = "import fcntl, os, sys, time\nfd = os.open(sys.argv[1], os.O_CREAT | os.O_RDWR, 0o600)\n" \
       "fcntl.flock(fd, fcntl.LOCK_EX)\nprint('locked', flush=True)\ntime.sleep(60)\n"


@pytest.mark.skipif(not os.path.exists("/proc/locks"), reason="Linux /proc/locks")
def test_no_second_supervisor_next_to_one_whose_lock_file_was_removed(tmp_path):
    paths = Paths(tmp_path)
    paths.state_dir.mkdir(mode=0o700)
    ghost = subprocess.Popen([sys.executable, "-c", HOLD, str(paths.lock)], stdout=subprocess.PIPE, text=True)
    try:
        assert ghost.stdout is not None and ghost.stdout.readline() == "locked\n"
        paths.lock.unlink()  # `rm -rf .devctl` (the holder keeps the deleted file)
        wait_for(lambda: lock_holders(str(paths.lock)) == [ghost.pid], what="the ghost found")
        read_fd, write_fd = os.pipe()
        assert run_daemon(paths, [], [], write_fd) == 1
        with os.fdopen(read_fd) as fh:
            said = fh.read()
        assert said.startswith("running ") and f"pid {ghost.pid}" in said
        assert not paths.lock.exists() and not paths.state.exists()
    finally:
        ghost.kill()
        ghost.wait()
