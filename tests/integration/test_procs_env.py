"""`procs.pids` reading a live process's environment: the marker that proves a process is ours.

A real child with a known environment, because a test process's own `/proc/self/environ` is
not reliable: a process-title library (pytest-xdist workers use one, so does the supervisor)
writes the title over that memory.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from devctl.procs import pids

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads /proc")


def test_a_childs_marker_is_read_and_proves_it_and_nothing_else_does():
    env = {**os.environ, "DEVCTL_PROBE_MARK": "run-42"}
    child = subprocess.Popen([sys.executable, "-c", "import sys; print('up', flush=True); sys.stdin.read()"],
                             env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        # Until it has exec'd, the child's /proc environ is still this (retitled) process's.
        assert child.stdout is not None and child.stdout.readline() == b"up\n"
        assert pids.env_var(child.pid, "DEVCTL_PROBE_MARK") == "run-42"
        assert pids.env_var(child.pid, "DEVCTL_NO_SUCH_VARIABLE") is None
        assert pids.proven(child.pid, None, ("DEVCTL_PROBE_MARK", "run-42"))
        assert not pids.proven(child.pid, None, ("DEVCTL_PROBE_MARK", "run-43"))
        assert not pids.proven(child.pid, None, ("DEVCTL_PROBE_MARK", ""))
        assert pids.proven(child.pid, pids.create_time(child.pid))
    finally:
        child.communicate(b"", timeout=30)  # closes stdin: it exits
    assert not pids.proven(child.pid, None, ("DEVCTL_PROBE_MARK", "run-42"))  # gone: proves nothing
