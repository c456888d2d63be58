"""Run one dotagent verb as one process and collect what it said.

The rules (from the dotagent spec, made strict where it is silent):
- argv is `[plugin, verb]`: the verb is the only argument.
- stdin gets the JSON payload and is then closed; `info` gets /dev/null.
- the call runs in its own session (so its own process group); a timeout stops the whole
  group — and any descendant that moved out of it — with SIGTERM, 5 s grace, SIGKILL.
- stdout is kept up to `MAX_STDOUT_BYTES` and must be exactly one JSON document; past the
  cap the call is stopped and fails ("stdout exceeded ..."), so a runaway plugin cannot
  eat the host's memory.
- stderr is drained continuously (an undrained pipe deadlocks) and only its last
  `MAX_STDERR_BYTES` are kept: it is for humans, so the tail is what matters.
- when the plugin process exits but left members in its group, they are stopped too:
  a call owns its group, nothing outlives it.

The running and bounding is `devctl.procs.bounded`'s (shared with `dotagent run`'s jobs);
this module sets the bounds and reports facts (`CallResult`); judging the reply
is `checks`' job, turning failures into user messages is `plugin`'s.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devctl.procs import bounded
from devctl.procs.bounded import run_bounded
from devctl.procs.start import child_env

#: Default per-verb timeouts in seconds; each call site may override.
DEFAULT_TIMEOUTS: dict[str, float] = {
    "info": 10.0,
    "validate": 30.0,
    "preflight": 30.0,
    "sink": 300.0,
    "notify": 15.0,
}
#: SIGTERM → SIGKILL grace when a call is stopped.
KILL_GRACE_S = bounded.KILL_GRACE_S
#: A reply larger than this is refused (a generous bound for one JSON object).
MAX_STDOUT_BYTES = 1024 * 1024
#: Only the tail of stderr is kept.
MAX_STDERR_BYTES = 64 * 1024


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
    try:
        run = run_bounded(argv, env=child_env(base=env), cwd=cwd, timeout=timeout, stdin=data,
                          stdout_cap=MAX_STDOUT_BYTES, stderr_cap=MAX_STDERR_BYTES, stop_on_overflow=True,
                          grace=KILL_GRACE_S, track=True)
    except OSError as exc:
        return CallResult(verb, argv, None, b"", "", 0.0, spawn_error=f"cannot start: {exc.strerror or exc}")
    result = CallResult(
        verb=verb,
        argv=argv,
        returncode=run.returncode,
        stdout=run.stdout,
        stderr=run.stderr.decode("utf-8", "replace"),
        duration_s=run.duration_s,
        timed_out=run.timed_out,
        stdout_overflow=run.stdout_overflow,
        stderr_truncated=run.stderr_truncated,
        leftovers=run.leftovers,
    )
    if run.leftovers:
        result.notes.append(f"left {run.leftovers} process(es) running after exit; they were stopped")
    if run.returncode is not None:
        result.reply, result.parse_error = parse_document(result.stdout)
    elif run.stdout_overflow:
        result.parse_error = f"stdout exceeded {MAX_STDOUT_BYTES} bytes; the plugin was stopped"
    return result


def stop_active(grace: float = KILL_GRACE_S) -> int:
    """Stop every call still running in this process (by group); returns how many there were.
    The calling threads then see their plugin gone and return as failures."""
    return bounded.stop_active(grace)


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
