"""Liveness is judged with the create time: our own process, a wrong create time, no pid."""

from __future__ import annotations

import os

from devctl.procs import pids


def test_we_are_alive_with_our_create_time_and_not_with_another() -> None:
    created = pids.create_time(os.getpid())
    assert created is not None
    assert pids.pid_alive(os.getpid(), created)
    assert not pids.pid_alive(os.getpid(), created - 5.0)


def test_no_pid_is_never_alive() -> None:
    assert not pids.pid_alive(None)
    assert not pids.pid_alive(0)
    assert not pids.any_alive([])
    assert pids.create_time(2**22 + 1) is None


def test_with_env_skips_ourselves() -> None:
    assert os.getpid() not in pids.with_env("DEVCTL_TEST_TAG", os.environ.get("DEVCTL_TEST_TAG", "x"))


def test_env_var_of_nothing_is_none() -> None:
    # Reading a live process's environment is tested on a real child in
    # tests/integration/test_procs_env.py: this process's own /proc environ is not reliable
    # (a process title library, as pytest-xdist workers use, writes over it).
    assert pids.env_var(os.getpid(), "DEVCTL_NO_SUCH_VARIABLE") is None
    assert pids.env_var(2**22 + 1, "PATH") is None


def test_a_process_without_children_has_no_descendants() -> None:
    assert pids.descendants(2**22 + 1) == []
    assert pids.children(2**22 + 1) == []


def test_proven_needs_the_exact_create_time_or_the_marker() -> None:
    me = os.getpid()
    created = pids.create_time(me)
    assert pids.proven(me, created)
    # A bare pid (forged `[pid, null]`), an old create time (a state file from before a
    # reboot), or a value of the wrong type proves nothing.
    for bad in (None, 1000.0, created - 5.0, "x", True):  # type: ignore[operator]
        assert not pids.proven(me, bad), bad
    for bad_pid in (None, 0, -1, "1", True, 2**22 + 1):
        assert not pids.proven(bad_pid, created), bad_pid
    # Proof by marker: tests/integration/test_procs_env.py (a real child's environment).


def test_lock_holders_finds_the_holder_of_a_removed_lock_file(tmp_path) -> None:
    import fcntl

    if not os.path.exists("/proc/locks"):
        return
    path = tmp_path / "supervisor.lock"
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        assert pids.lock_holders(str(path)) == []  # open, but no flock yet
        fcntl.flock(fd, fcntl.LOCK_EX)
        assert pids.lock_holders(str(path)) == [os.getpid()]
        path.unlink()  # `rm -rf .devctl`: the descriptor now reads "... (deleted)"
        assert pids.lock_holders(str(path)) == [os.getpid()]
        assert pids.lock_holders(str(path), exclude=os.getpid()) == []
        assert pids.lock_holders(str(tmp_path / "other.lock")) == []
    finally:
        os.close(fd)


def test_a_zombie_and_a_reaped_child_are_not_alive() -> None:
    """Both are answered from /proc/<pid>/stat on Linux (no psutil for the `status` of a dead
    supervisor's pids); a zombie keeps its pid until reaped but does not run."""
    import subprocess
    import sys

    from tests.cli import wait_for

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    wait_for(lambda: pids.procstat.is_dead(child.pid), timeout=10, what="the child to exit")
    assert pids.procstat.read(child.pid) is not None  # exited, not yet reaped: a zombie
    assert not pids.pid_alive(child.pid)
    child.wait(timeout=10)
    assert not pids.pid_alive(child.pid)
