"""How a child ended, in words (one wording for every host, log line and error message), and
waiting for that end from an event loop.

A negative `returncode` (subprocess/anyio convention) means "killed by that signal". The
signal is named (`SIGKILL`), not numbered, because the name is what people search for; a
number the platform does not know stays a number.
"""

from __future__ import annotations

import os
import signal
import subprocess


def signal_name(signum: int) -> str:
    """`SIGKILL` for 9; `signal 99` for a number this platform does not name."""
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def describe_exit(returncode: int | None) -> str:
    """`exited with code 3` / `killed by SIGKILL` / `is still running` (no returncode yet)."""
    if returncode is None:
        return "is still running"
    if returncode < 0:
        return f"killed by {signal_name(-returncode)}"
    return f"exited with code {returncode}"


async def wait_exit(proc: subprocess.Popen[bytes]) -> None:
    """Until `proc` (our child) exits; it is reaped, so `returncode` is set. Waits on a pidfd
    when the kernel has one (no polling: the supervisor wakes exactly when it happens);
    cancellable like any await."""
    import anyio

    try:
        pidfd = os.pidfd_open(proc.pid)
    except (AttributeError, OSError):
        pidfd = None
    if pidfd is not None:
        try:
            await anyio.wait_readable(pidfd)
        finally:
            os.close(pidfd)
        proc.wait()
        return
    while proc.poll() is None:
        await anyio.sleep(0.05)
