"""`procs.groups.stop_group` on the supervisor's loop (`procs.tasks`), against real process groups:
SIGTERM, the grace period, SIGKILL for what ignores it, and back only once the group is empty."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from devctl.procs import tasks
from devctl.procs.groups import group_alive, stop_group
from devctl.procs.start import popen

SERVICES = Path(__file__).resolve().parents[2] / "testdata" / "services"


def started(script: str, *args: str) -> subprocess.Popen[bytes]:
    """A fixture service in its own group, once it is running its own code (it says so)."""
    proc = popen([sys.executable, str(SERVICES / script), *args], stdout=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.readline()  # its first line: it is running
    return proc


def stopped(proc: subprocess.Popen[bytes], grace: float) -> tuple[bool, bool]:
    """(what stop_group said, whether the group was empty when it said it), then reaped."""

    async def main() -> tuple[bool, bool]:
        done = await stop_group(proc.pid, grace=grace)
        return done, not group_alive(proc.pid)

    try:
        return tasks.run(main)
    finally:
        proc.kill()
        proc.wait(10)
        assert proc.stdout is not None
        proc.stdout.close()


def test_a_group_that_ignores_sigterm_is_killed_after_the_grace():
    proc = started("ignore_term.py")
    assert stopped(proc, grace=0.2) == (True, True)
    assert proc.returncode == -signal.SIGKILL


def test_a_group_that_ends_on_sigterm_is_not_killed():
    proc = started("sleeper.py")
    assert stopped(proc, grace=30.0) == (True, True)  # (well before 30 s: it ends on SIGTERM)
    assert proc.returncode == 0  # its own SIGTERM handler: exit 0
