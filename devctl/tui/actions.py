"""What the dashboard's keys do to services: the same calls the CLI makes, nothing else.

Two kinds, on purpose (docs: "the TUI acts only through the same client calls as the CLI"):

- start / stop / restart are one supervisor request each, `devctl.supervisor.client.request`,
  exactly as `devctl start|stop|restart` send it (`_steer` in the CLI);
- `up` and `down` are whole CLI commands (the pipeline, the wait, the clean-up of a dead
  supervisor): the dashboard runs the CLI itself as a child process (`python -m devctl -C ROOT
  up --progress json`), started through `devctl.procs.start` in its own process group and
  stopped through `devctl.procs.groups`, so nothing it started outlives the dashboard. `up`'s
  JSON progress events (docs/cli.md) become the lines the dashboard shows.

Every function here blocks: the app calls them from worker threads.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from devctl.supervisor.paths import Paths

#: How long start/restart wait for readiness (the CLI's `--wait` default).
WAIT_S = 60.0
#: stderr lines of an `up`/`down` child kept for its failure line: enough to still hold the
#: `error:` line above a long list of details.
STDERR_LINES = 40


def steer(paths: Paths, op: str, names: list[str], wait_s: float | None = WAIT_S) -> list[dict[str, Any]]:
    """`start`, `stop` or `restart` these services (empty: all), as `devctl OP NAMES` does.

    Returns the supervisor's records of the named services once settled. Raises DevctlError
    (no supervisor, an unknown name, a refused request) with the supervisor's message.
    """
    from devctl.supervisor import client

    args: dict[str, Any] = {"services": names}
    if wait_s is not None and op != "stop":
        args["wait_s"] = wait_s
    reply = client.request(paths, op, timeout=(wait_s or 0) + 600, **args)
    return list(reply.get("services", []))


def steer_summary(op: str, records: list[dict[str, Any]], t0: float) -> tuple[bool, str]:
    """(all well, one line) for what `steer` returned: `restart web: starting → healthy in 0.4 s`."""
    from devctl.supervisor.render import progress_line
    from devctl.supervisor.service_states import UP_STATES

    good: list[str] = []
    bad: list[str] = []
    for svc in records:
        ok = svc["state"] == "stopped" if op == "stop" else svc["state"] in UP_STATES
        line = f"{svc['name']}: {svc['state'] if op == 'stop' else progress_line(svc, t0)}"
        (good if ok else bad).append(line)
    if not records:
        return True, f"{op}: nothing to do"
    if len(records) > 3:  # restart all: one line, naming only what did not come back
        head = f"{op} {len(records)} services: {len(good)} {'stopped' if op == 'stop' else 'up'}"
        return not bad, head + ("" if not bad else "; " + "; ".join(bad))
    return not bad, f"{op} " + "; ".join(good + bad)


def progress_text(event: dict[str, Any]) -> str | None:
    """One `up --progress json` event as a line a person reads, or None for the quiet ones."""
    kind = event.get("event")
    if kind == "phase_start":
        return f"{event.get('phase')}…"
    if kind == "phase_end" and event.get("ok") is False:
        return f"{event.get('phase')} failed"
    if kind == "step":
        verdict = "ok" if event.get("ok", True) else "FAILED"
        if event.get("skipped"):
            verdict = "skipped"
        line = f"{event.get('phase')}: {event.get('plugin')}: step {event.get('name')} {verdict}"
        message = event.get("message") or (event.get("error") if not event.get("ok", True) else None)
        if isinstance(message, dict):
            message = message.get("message") or message.get("code")
        return f"{line}: {message}" if message else line
    if kind == "service":
        return f"{event.get('service')}: {event.get('text') or event.get('state')}"
    if kind in ("ready", "started"):
        names = event.get("services") or []
        ms = event.get("duration_ms")
        took = f" in {ms / 1000:.1f} s" if isinstance(ms, int | float) else ""
        return f"{len(names)} service(s) {kind}{took}"
    if kind == "failed":
        return f"up failed: {event.get('service') or ''} {event.get('message') or ''}".strip()
    if kind == "interrupted":
        return "up interrupted"
    return None


class CliRun:
    """One `python -m devctl -C ROOT ARGS...` child: its stdout lines as they come, its stderr
    kept (the last lines say why it failed), stopped by process group when asked."""

    def __init__(self, root: Path, *args: str, env: dict[str, str] | None = None,
                 config_file: Path | None = None, merge_stderr: bool = False):
        from devctl.procs.start import child_env, popen

        self.args = args
        argv = [sys.executable, "-m", "devctl", "-C", str(root)]
        if config_file is not None:  # the dashboard's --config, for a command that loads the config
            argv += ["--config", str(config_file)]
        # The environment is the dashboard's own, unchanged (`unbuffered=False`): the supervisor
        # this `up` starts passes it on to the services, which must see what a `devctl up` typed
        # in the same shell gives them. stdin is /dev/null: no child reads the dashboard's terminal.
        # `merge_stderr`: stderr goes where stdout goes, in order (a plugin command's output is
        # its stderr); nothing is then kept for `stderr_tail`.
        self.proc = popen([*argv, *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT if merge_stderr else subprocess.PIPE,
                          env=child_env(env, unbuffered=False))
        from devctl.procs.tails import StderrTail, drain_sync

        self._stderr = StderrTail(f"devctl {args[0] if args else ''}")
        self._drain: threading.Thread | None = None
        if not merge_stderr:
            assert self.proc.stderr is not None
            read = functools.partial(os.read, self.proc.stderr.fileno())
            self._drain = threading.Thread(target=drain_sync, args=(read, self._stderr), daemon=True)
            self._drain.start()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def lines(self) -> Iterator[str]:
        """stdout, line by line, until the child closes it."""
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            yield raw.decode("utf-8", "replace").rstrip("\n")

    def wait(self) -> int:
        code = self.proc.wait()
        if self._drain is not None:
            self._drain.join(timeout=5.0)
        return code

    def stderr_tail(self, n: int = 20) -> list[str]:
        return self._stderr.tail(n, skip_blank=True)

    def running(self) -> bool:
        return self.proc.poll() is None

    def stop(self, grace: float = 10.0, *, sig: int = signal.SIGTERM, below: bool = False) -> None:
        """SIGTERM its group (`up` then stops what it started, as on Ctrl-C), SIGKILL after `grace`.

        `below`: the same signals to every process under it that left its group (a plugin runs in
        a session of its own), for a command whose own clean-up is not enough once it is killed."""
        from devctl.procs.groups import stop_group_sync
        from devctl.procs.pids import descendants

        extra = descendants(self.proc.pid) if below else None
        stop_group_sync(self.proc.pid, sig=sig, grace=grace, child_pid=self.proc.pid, extra_pids=extra)
        self.proc.poll()


def run_up(run: CliRun, on_line: Callable[[str], None]) -> tuple[int, list[str]]:
    """Follow an `up --progress json` child to its end: each event as a line through `on_line`.

    Returns (exit code, the last lines of its stderr: the error when it failed)."""
    for line in run.lines():
        try:
            event = json.loads(line)
        except ValueError:
            continue  # not an event (a plugin command's output would not be here; be lenient)
        if isinstance(event, dict):
            text = progress_text(event)
            if text:
                on_line(text)
    return run.wait(), run.stderr_tail(STDERR_LINES)


def failure_reason(tail: list[str], code: int) -> str:
    """Why a CLI child failed, in one line: its last `error:` line (what `devctl.cli.output.error`
    prints first) and the hint that ends its stderr — not just the last lines, which are often
    the error's details ("looked for ...") without the error itself."""
    starts = [i for i, line in enumerate(tail) if line.startswith("error:")]
    if not starts:
        return " | ".join(line.strip() for line in tail[-3:]) or f"exit {code}"
    first = tail[starts[-1]]
    last = tail[-1].strip()
    return first if last == first or len(tail) - 1 == starts[-1] else f"{first} | {last}"


def up_args() -> tuple[str, ...]:
    return ("up", "--progress", "json")


def down_args() -> tuple[str, ...]:
    return ("down",)


def elapsed(t0: float) -> str:
    return f"{time.time() - t0:.1f} s"
