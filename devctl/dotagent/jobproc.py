"""Run an agent's command once: own process group, live output, bounded capture, hard timeout.

The job is the user's program, not a plugin: its output is shown live (stdout to our stdout,
stderr to our stderr) and kept for sinks. Chatty jobs are not killed for talking: capture
stops at `MAX_CAPTURE_BYTES` (the head is kept, a note says so) while the live echo goes on.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from devctl.dotagent.call import MAX_STDERR_BYTES
from devctl.procs.bounded import run_bounded
from devctl.procs.start import child_env
from devctl.procs.which import NotExecutable, resolve_executable

#: How much of a job's stdout is kept for sinks.
MAX_CAPTURE_BYTES = 16 * 1024 * 1024


@dataclass
class JobResult:
    returncode: int | None  # None when it timed out
    timed_out: bool
    stdout: bytes
    stderr_tail: str
    duration_s: float
    truncated: bool = False
    spawn_error: str | None = None

    @property
    def ok(self) -> bool:
        return not self.timed_out and self.spawn_error is None and self.returncode == 0

    def exit_code(self) -> int:
        """The code `dotagent run` exits with for this attempt (124 on timeout, 128+N on signal)."""
        if self.timed_out:
            return 124
        if self.spawn_error is not None or self.returncode is None:
            return 1
        return self.returncode if self.returncode >= 0 else 128 - self.returncode


def run_job(
    argv: list[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float | None,
    on_stdout: Callable[[bytes], None] | None = None,
    on_stderr: Callable[[bytes], None] | None = None,
) -> JobResult:
    """Run the job within `timeout` (None: no limit), its output shown live by the callbacks and
    kept bounded; the user's job gets its environment exactly as given (no PYTHONUNBUFFERED)."""
    try:
        run = run_bounded(argv, cwd=cwd, env=child_env(base=env, unbuffered=False), timeout=timeout,
                          stdout_cap=MAX_CAPTURE_BYTES, stderr_cap=MAX_STDERR_BYTES,
                          on_stdout=on_stdout, on_stderr=on_stderr)
    except OSError as exc:
        why = f"cannot start {argv[0]!r}: {exc.strerror or exc}"
        return JobResult(None, False, b"", "", 0.0, spawn_error=why)
    return JobResult(
        returncode=run.returncode,
        timed_out=run.timed_out,
        stdout=run.stdout,
        stderr_tail=run.stderr.decode("utf-8", "replace"),
        duration_s=run.duration_s,
        truncated=run.stdout_overflow,
    )


def resolve_command(command: str, cwd: Path, env: Mapping[str, str]) -> str | None:
    """The job's program as an absolute path: `./x` or `a/b` relative to the working dir,
    a bare name looked up on the job's PATH (`procs.which`). None when it cannot be run."""
    try:
        return resolve_executable(command, cwd, env.get("PATH", os.defpath))
    except NotExecutable:
        return None
