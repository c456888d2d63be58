"""Run an agent's command once: own process group, live output, bounded capture, hard timeout.

The job is the user's program, not a plugin: its output is shown live (stdout to our stdout,
stderr to our stderr) and kept for sinks. Chatty jobs are not killed for talking: capture
stops at `MAX_CAPTURE_BYTES` (the head is kept, a note says so) while the live echo goes on.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from devctl.dotagent.call import KILL_GRACE_S, MAX_STDERR_BYTES, Drain
from devctl.procs.groups import group_alive, stop_group_sync
from devctl.procs.pids import descendants
from devctl.procs.start import child_env, popen

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
    started = time.monotonic()
    try:
        proc = popen(  # the user's job: its environment exactly as given
            argv, cwd=str(cwd), env=child_env(base=env, unbuffered=False), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
    except OSError as exc:
        why = f"cannot start {argv[0]!r}: {exc.strerror or exc}"
        return JobResult(None, False, b"", "", 0.0, spawn_error=why)
    out = Drain(proc.stdout, MAX_CAPTURE_BYTES, "head", tee=on_stdout)
    err = Drain(proc.stderr, MAX_STDERR_BYTES, "tail", tee=on_stderr)
    out.start()
    err.start()
    deadline = None if timeout is None else started + timeout
    timed_out = False
    seen: set[int] = set()
    try:
        while proc.poll() is None:
            if deadline is not None and time.monotonic() >= deadline:
                timed_out = True
                break
            seen.update(descendants(proc.pid))
            time.sleep(0.05)
    finally:
        # Timed out, interrupted (Ctrl-C) or exited with helpers still running: the job
        # owns its group, so nothing of it outlives the attempt.
        if proc.poll() is None or group_alive(proc.pid):
            seen.update(descendants(proc.pid))
            stop_group_sync(proc.pid, grace=KILL_GRACE_S, child_pid=proc.pid, extra_pids=sorted(seen))
        if proc.returncode is None:
            proc.wait()
        out.join(timeout=KILL_GRACE_S)
        err.join(timeout=KILL_GRACE_S)
    return JobResult(
        returncode=None if timed_out else proc.returncode,
        timed_out=timed_out,
        stdout=bytes(out.buf),
        stderr_tail=bytes(err.buf).decode("utf-8", "replace"),
        duration_s=time.monotonic() - started,
        truncated=out.overflow,
    )


def resolve_command(command: str, cwd: Path, env: Mapping[str, str]) -> str | None:
    """The job's program as an absolute path: `./x` or `a/b` relative to the working dir,
    a bare name looked up on the job's PATH. None when it cannot be run."""
    import shutil

    if "/" in command:
        path = (cwd / os.path.expanduser(command)).resolve()
        return str(path) if path.is_file() and os.access(path, os.X_OK) else None
    return shutil.which(command, path=env.get("PATH", os.defpath))
