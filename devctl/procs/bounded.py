"""Run a child to the end, within bounds: a deadline, capped output, and nothing left behind.

For the one-shot children (a dotagent verb call, a dotagent job), where the host waits for
the process and then judges what it wrote. The bounds:

- time: past `timeout` the whole tree is stopped (`procs.groups`: SIGTERM, `grace`, SIGKILL,
  wait until empty), including descendants that left the group, seen while it ran;
- memory: stdout keeps at most `stdout_cap` bytes (the head: a reply's start is what can be
  judged), stderr at most `stderr_cap` (the tail: for humans, the end says why). With
  `stop_on_overflow` a child that writes more stdout is stopped at once (a plugin reply has no
  business being that large); without it (a user's chatty job) capture just stops growing;
- leftovers: when the child exits but left members in its group, they are stopped too and
  counted: a run owns its group;
- interruption: on Ctrl-C (or any error) while waiting, the tree is stopped before the
  exception goes on.

Pipes are drained by threads from the start (an undrained pipe deadlocks the child), and
`tee` callbacks see every chunk (a job's output is shown live).
"""

from __future__ import annotations

import contextlib
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from devctl.procs.groups import group_members, stop_group_sync
from devctl.procs.pids import descendants
from devctl.procs.start import popen

#: SIGTERM → SIGKILL grace when a run is stopped.
KILL_GRACE_S = 5.0
_CHUNK = 65536

Tee = Callable[[bytes], None]


class Capture(threading.Thread):
    """Reads a pipe to EOF, keeping at most `cap` bytes (the head or the tail); `tee` sees every chunk."""

    def __init__(self, pipe: Any, cap: int, keep: Literal["head", "tail"], *,
                 on_overflow: Callable[[], None] | None = None, tee: Tee | None = None):
        super().__init__(daemon=True)
        self.pipe, self.cap, self.keep, self.on_overflow = pipe, cap, keep, on_overflow
        self.tee = tee
        self.buf = bytearray()
        self.overflow = False

    def run(self) -> None:
        read = self.pipe.read1 if hasattr(self.pipe, "read1") else self.pipe.read
        try:
            while chunk := read(_CHUNK):
                if self.tee is not None:
                    self.tee(chunk)
                self.buf += chunk
                if len(self.buf) > self.cap:
                    self._trim()
        except (OSError, ValueError):
            pass
        finally:
            with contextlib.suppress(OSError):
                self.pipe.close()

    def _trim(self) -> None:
        if self.keep == "tail":
            self.overflow = True
            del self.buf[: len(self.buf) - self.cap]
            return
        del self.buf[self.cap:]
        if not self.overflow:
            self.overflow = True
            if self.on_overflow:
                self.on_overflow()


@dataclass
class BoundedRun:
    """What a bounded run produced. `returncode` is None when the run had to be stopped."""

    returncode: int | None
    stdout: bytes
    stderr: bytes
    duration_s: float
    timed_out: bool = False
    #: stdout reached its cap (with `stop_on_overflow`, the child was stopped for it).
    stdout_overflow: bool = False
    #: stderr reached its cap: only its tail was kept.
    stderr_truncated: bool = False
    #: Processes the child left in its group after exiting (they were stopped).
    leftovers: int = 0


#: Process groups of tracked runs in flight, so a shutting-down host can stop them (`stop_active`).
_active: set[int] = set()
_active_lock = threading.Lock()


def run_bounded(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path | str | None,
    timeout: float | None,
    stdout_cap: int,
    stderr_cap: int,
    stdin: bytes | None = None,
    stop_on_overflow: bool = False,
    on_stdout: Tee | None = None,
    on_stderr: Tee | None = None,
    grace: float = KILL_GRACE_S,
    track: bool = False,
) -> BoundedRun:
    """Start `argv` in its own session and wait for it within the bounds (module docstring).

    `stdin` bytes are written and stdin closed (None: /dev/null). `track` registers the run
    for `stop_active`. Raises OSError when the program cannot start.
    """
    started = time.monotonic()
    proc = popen(argv, cwd=str(cwd) if cwd else None, env=dict(env),
                 stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if track:
        with _active_lock:
            _active.add(proc.pid)
    try:
        return _wait(proc, started, timeout, stdout_cap, stderr_cap, stdin, stop_on_overflow,
                     on_stdout, on_stderr, grace)
    finally:
        if track:
            with _active_lock:
                _active.discard(proc.pid)


def _wait(proc: Any, started: float, timeout: float | None, stdout_cap: int, stderr_cap: int,
          data: bytes | None, stop_on_overflow: bool, on_stdout: Tee | None, on_stderr: Tee | None,
          grace: float) -> BoundedRun:
    pgid = proc.pid  # popen: the child leads its own group
    overflow_hit = threading.Event()
    out = Capture(proc.stdout, stdout_cap, "head", on_overflow=overflow_hit.set if stop_on_overflow else None,
                  tee=on_stdout)
    err = Capture(proc.stderr, stderr_cap, "tail", tee=on_stderr)
    out.start()
    err.start()
    feeder = None
    if data is not None:
        feeder = threading.Thread(target=_feed, args=(proc.stdin, data), daemon=True)
        feeder.start()
    deadline = None if timeout is None else started + timeout
    timed_out = False
    leftovers = 0
    seen: set[int] = set()
    try:
        while proc.poll() is None:
            if overflow_hit.is_set():
                break
            if deadline is not None and time.monotonic() >= deadline:
                timed_out = True
                break
            seen.update(descendants(proc.pid))
            # Short calls are the common case: look often at first, then back off.
            time.sleep(0.01 if time.monotonic() - started < 0.5 else 0.05)
    finally:
        # Timed out, flooding stdout, interrupted (Ctrl-C), or exited with helpers still
        # running: the run owns its group, so nothing of it outlives the run.
        if proc.poll() is None:
            seen.update(descendants(proc.pid))
            stop_group_sync(pgid, grace=grace, child_pid=proc.pid, extra_pids=sorted(seen))
            proc.wait()
        elif members := group_members(pgid):
            leftovers = len(members)
            stop_group_sync(pgid, grace=grace, extra_pids=sorted(seen))
        # The group is empty now, so the pipes reach EOF (unless an escapee holds them: bounded join).
        out.join(timeout=grace)
        err.join(timeout=grace)
        if feeder is not None:
            feeder.join(timeout=1.0)
    stopped = timed_out or overflow_hit.is_set()
    return BoundedRun(
        returncode=None if stopped else proc.returncode,
        stdout=bytes(out.buf),
        stderr=bytes(err.buf),
        duration_s=time.monotonic() - started,
        timed_out=timed_out,
        stdout_overflow=out.overflow,
        stderr_truncated=err.overflow,
        leftovers=leftovers,
    )


def stop_active(grace: float = KILL_GRACE_S) -> int:
    """Stop every tracked run still going in this process (by group); returns how many there were.
    The waiting threads then see their child gone and return as failures."""
    with _active_lock:
        groups = sorted(_active)
    for pgid in groups:
        stop_group_sync(pgid, grace=grace)
    return len(groups)


def _feed(pipe: Any, data: bytes) -> None:
    """Write the payload and close stdin. A child that exits without reading is fine."""
    try:
        pipe.write(data)
    except (BrokenPipeError, OSError, ValueError):
        pass
    finally:
        with contextlib.suppress(OSError):
            pipe.close()
