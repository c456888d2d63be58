"""How a child ended, in words (one wording for every host, log line and error message).
(Waiting for that end from the supervisor's loop: `devctl.procs.tasks.wait_exit`.)

A negative `returncode` (the subprocess convention) means "killed by that signal". The
signal is named (`SIGKILL`), not numbered, because the name is what people search for; a
number the platform does not know stays a number.
"""

from __future__ import annotations

import signal


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

