"""Run one dotagent verb as one process and collect what it said.

The rules (from the dotagent spec, made strict where it is silent):
- argv is `[plugin, verb]`: the verb is the only argument.
- stdin gets the JSON payload and is then closed; `info` gets /dev/null.
- the call runs in its own session (so its own process group); a timeout stops the whole
  group — and any descendant that moved out of it — with SIGTERM, 5 s grace, SIGKILL,
  via `devctl.procs`.
- stdout is kept up to `MAX_STDOUT_BYTES` and must be exactly one JSON document; past the
  cap the call is stopped and fails ("stdout exceeded ..."), so a runaway plugin cannot
  eat the host's memory.
- stderr is drained continuously (an undrained pipe deadlocks) and only its last
  `MAX_STDERR_BYTES` are kept: it is for humans, so the tail is what matters.
- when the plugin process exits but left members in its group, they are stopped too:
  a call owns its group, nothing outlives it.

This module only runs the process and reports facts (`CallResult`); judging the reply
is `checks`' job, turning failures into user messages is `host`'s.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devctl.procs.groups import group_members, stop_group_sync
from devctl.procs.pids import descendants
from devctl.procs.start import child_env, popen

#: Default per-verb timeouts in seconds; each call site may override.
DEFAULT_TIMEOUTS: dict[str, float] = {
    "info": 10.0,
    "validate": 30.0,
    "preflight": 30.0,
    "sink": 300.0,
    "notify": 15.0,
}
#: SIGTERM → SIGKILL grace when a call is stopped.
KILL_GRACE_S = 5.0
#: A reply larger than this is refused (a generous bound for one JSON object).
MAX_STDOUT_BYTES = 1024 * 1024
#: Only the tail of stderr is kept.
MAX_STDERR_BYTES = 64 * 1024
_CHUNK = 65536


@dataclass
class CallResult:
    """What one verb call produced. `reply` is set only when stdout parsed as JSON."""

    verb: str
    argv: list[str]
    returncode: int | None  # None when we had to stop it
    stdout: bytes
    stderr: str
    duration_s: float
    timed_out: bool = False
    stdout_overflow: bool = False
    stderr_truncated: bool = False
    spawn_error: str | None = None
    #: Processes the plugin left in its group after exiting (they were stopped).
    leftovers: int = 0
    reply: Any = None
    parse_error: str | None = None
    notes: list[str] = field(default_factory=list)

    def stderr_tail(self, n: int = 10, width: int = 300) -> list[str]:
        """The last `n` non-blank stderr lines, each cut to `width` characters."""
        from devctl.protocol.ndjson import quote

        lines = [ln for ln in self.stderr.splitlines() if ln.strip()]
        return [quote(ln, width) for ln in lines[-n:]]


def timeout_for(use: str, override: float | None = None) -> float:
    """The timeout of a use ("info", "validate", "preflight", "sink", "notify")."""
    if override is not None:
        return float(override)
    return DEFAULT_TIMEOUTS.get(use, 30.0)


class Drain(threading.Thread):
    """Reads a pipe to EOF, keeping at most `cap` bytes (head or tail); `tee` sees every chunk."""

    def __init__(self, pipe: Any, cap: int, keep: str, on_overflow: Any = None, tee: Any = None):
        super().__init__(daemon=True)
        self.pipe, self.cap, self.keep, self.on_overflow = pipe, cap, keep, on_overflow
        self.tee = tee
        self.buf = bytearray()
        self.overflow = False

    def run(self) -> None:
        try:
            while True:
                chunk = self.pipe.read1(_CHUNK) if hasattr(self.pipe, "read1") else self.pipe.read(_CHUNK)
                if not chunk:
                    break
                if self.tee is not None:
                    self.tee(chunk)
                self.buf += chunk
                if len(self.buf) > self.cap:
                    if self.keep == "head":
                        if not self.overflow:
                            self.overflow = True
                            del self.buf[self.cap:]
                            if self.on_overflow:
                                self.on_overflow()
                        else:
                            del self.buf[self.cap:]
                    else:
                        self.overflow = True
                        del self.buf[: len(self.buf) - self.cap]
        except (OSError, ValueError):
            pass
        finally:
            with contextlib.suppress(OSError):
                self.pipe.close()


def call_verb(
    executable: Path | str,
    verb: str,
    payload: Any = None,
    *,
    timeout: float,
    env: Mapping[str, str] | None = None,
    cwd: Path | str | None = None,
) -> CallResult:
    """Run `executable verb`, feed `payload` (None → /dev/null on stdin), wait up to `timeout`."""
    argv = [str(executable), verb]
    data = None if payload is None else json.dumps(payload, ensure_ascii=False).encode("utf-8")
    started = time.monotonic()
    try:
        proc = popen(
            argv,
            stdin=subprocess.DEVNULL if data is None else subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=child_env(base=env),
            cwd=str(cwd) if cwd else None,
        )
    except OSError as exc:
        return CallResult(verb, argv, None, b"", "", 0.0, spawn_error=f"cannot start: {exc.strerror or exc}")

    pgid = proc.pid  # popen: the child leads its own group
    with _active_lock:
        _active.add(pgid)
    try:
        return _finish(proc, verb, argv, data, started, timeout)
    finally:
        with _active_lock:
            _active.discard(pgid)


def _finish(
    proc: subprocess.Popen[bytes], verb: str, argv: list[str], data: bytes | None, started: float,
    timeout: float,
) -> CallResult:
    pgid = proc.pid
    overflow_hit = threading.Event()
    out = Drain(proc.stdout, MAX_STDOUT_BYTES, "head", on_overflow=overflow_hit.set)
    errd = Drain(proc.stderr, MAX_STDERR_BYTES, "tail")
    out.start()
    errd.start()
    feeder = None
    if data is not None:
        feeder = threading.Thread(target=_feed, args=(proc.stdin, data), daemon=True)
        feeder.start()

    deadline = started + timeout
    timed_out = False
    seen: set[int] = set()
    try:
        while True:
            if proc.poll() is not None:
                break
            if overflow_hit.is_set() or time.monotonic() >= deadline:
                timed_out = not overflow_hit.is_set()
                break
            seen.update(descendants(proc.pid))
            time.sleep(0.01 if time.monotonic() - started < 0.5 else 0.05)
    except BaseException:
        # Ctrl-C (or any error) while waiting: the plugin must not outlive us.
        stop_group_sync(pgid, grace=KILL_GRACE_S, child_pid=proc.pid, extra_pids=sorted(seen))
        raise

    result_notes: list[str] = []
    leftovers = 0
    if proc.returncode is None:
        # Timed out or flooding stdout: stop the whole tree, including escapees seen earlier.
        seen.update(descendants(proc.pid))
        stop_group_sync(pgid, grace=KILL_GRACE_S, child_pid=proc.pid, extra_pids=sorted(seen))
        proc.wait()
    else:
        members = group_members(pgid)
        if members:
            leftovers = len(members)
            result_notes.append(f"left {leftovers} process(es) running after exit; they were stopped")
            stop_group_sync(pgid, grace=KILL_GRACE_S)
    # The group is empty now, so the pipes reach EOF (unless an escapee holds them: bounded join).
    out.join(timeout=KILL_GRACE_S)
    errd.join(timeout=KILL_GRACE_S)
    if feeder is not None:
        feeder.join(timeout=1.0)
    stopped = timed_out or overflow_hit.is_set()
    result = CallResult(
        verb=verb,
        argv=argv,
        returncode=None if stopped else proc.returncode,
        stdout=bytes(out.buf),
        stderr=bytes(errd.buf).decode("utf-8", "replace"),
        duration_s=time.monotonic() - started,
        timed_out=timed_out,
        stdout_overflow=out.overflow,
        stderr_truncated=errd.overflow,
        leftovers=leftovers,
        notes=result_notes,
    )
    if not stopped:
        result.reply, result.parse_error = parse_document(result.stdout)
    elif out.overflow:
        result.parse_error = f"stdout exceeded {MAX_STDOUT_BYTES} bytes; the plugin was stopped"
    return result


#: Process groups of calls in flight, so a shutting-down host can stop them (`stop_active`).
_active: set[int] = set()
_active_lock = threading.Lock()


def stop_active(grace: float = KILL_GRACE_S) -> int:
    """Stop every call still running in this process (by group); returns how many there were.
    The calling threads then see their plugin gone and return as failures."""
    with _active_lock:
        groups = sorted(_active)
    for pgid in groups:
        stop_group_sync(pgid, grace=grace)
    return len(groups)


def _feed(pipe: Any, data: bytes) -> None:
    """Write the payload and close stdin. A plugin that exits without reading is fine."""
    try:
        pipe.write(data)
    except (BrokenPipeError, OSError, ValueError):
        pass
    finally:
        with contextlib.suppress(OSError):
            pipe.close()


def parse_document(raw: bytes) -> tuple[Any, str | None]:
    """All of stdout as one JSON document → (value, None) or (None, error quoting the start)."""
    from devctl.protocol.ndjson import quote

    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None, "stdout is not valid UTF-8"
    if not text.strip():
        return None, "stdout is empty (expected one JSON object)"
    try:
        return json.loads(text), None
    except json.JSONDecodeError as exc:
        line = text.splitlines()[exc.lineno - 1] if text.splitlines() else text
        return None, f"stdout is not one JSON document ({exc.msg} at line {exc.lineno}): {quote(line)!r}"
    except RecursionError:
        return None, "stdout JSON is nested too deeply"
