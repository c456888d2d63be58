"""One Dofek plugin process: spawn it, feed it polls, match its replies, drain stderr, stop it.

Matching replies without ids: the protocol has no request id, so the runner keeps at most
ONE poll line outstanding per plugin and pairs stdout lines with it in order.
- A line while the current poll waits: the reply.
- A line after that poll timed out: its late reply; discarded. Only then is the plugin
  polled again, so a late line can never be taken for the answer to a later poll.
- A line when no poll is outstanding: an extra line; drained and counted as an error.
While a timed-out poll is unanswered the plugin is skipped, and each skipped tick counts as
one more timeout: a hung plugin turns `unhealthy` after five, and its stdin never fills
up with polls it does not read. `timed_out_since` records when the current run of
unanswered polls began, so the dashboard can say "timed out since" instead of showing the
last panel as if it were fresh; the next in-time reply (or a restart) clears it.

Every wait is bounded and nothing here blocks the tick loop: the host awaits `poll()` in a
task per plugin, writes go through a per-process writer task, stderr has its own drain task.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio

from devctl.dofek import frames
from devctl.dofek.config import PluginConf
from devctl.dofek.lifecycle import Lifecycle
from devctl.procs.exits import describe_exit
from devctl.procs.groups import stop_group as _stop_group
from devctl.procs.lines import LineReader
from devctl.procs.pids import pid_alive
from devctl.procs.start import child_env, open_process
from devctl.procs.tails import StderrTail
from devctl.protocol.ndjson import FrameError, LineTooLong, decode, encode, quote

#: Host protocol timings (spec: kill 2 s after `shutdown`).
SHUTDOWN_GRACE_S = 2.0
#: After the process exits, how long trailing stdout/stderr may take to arrive.
DRAIN_GRACE_S = 0.5
#: stderr lines kept in memory for the dashboard and `dofek check`.
TAIL_LINES = 50
#: stderr logs are rotated to `<name>.log.1` beyond this size.
LOG_ROTATE_BYTES = 8 * 1024 * 1024

Observer = Callable[..., None]


async def stop_group(pgid: int, **options: Any) -> bool:
    """`procs.groups.stop_group` waiting on anyio's clock: its own default sleep belongs to the
    supervisor's runner (`procs.tasks`), which the dofek host does not run on."""
    return await _stop_group(pgid, sleep=anyio.sleep, **options)


@dataclass
class _Poll:
    sent_at: float
    done: anyio.Event = field(default_factory=anyio.Event)
    line: bytes | None = None
    reply_at: float = 0.0
    timed_out: bool = False
    gone: bool = False


@dataclass
class Counters:
    polls: int = 0
    replies: int = 0
    timeouts: int = 0
    stuck: int = 0
    late: int = 0
    extra_lines: int = 0
    invalid: int = 0
    reported_errors: int = 0


class _StderrLog:
    """stderr bytes to `.devctl/logs/dofek/<name>.log` (rotated), plus the last lines in memory."""

    def __init__(self, path: Path | None):
        self.path = path
        self._fh: Any = None
        self._written = 0
        self._tail = StderrTail(keep=TAIL_LINES)

    def open(self) -> None:
        if self.path is None:
            return
        if self.path.exists() and self.path.stat().st_size > LOG_ROTATE_BYTES:
            os.replace(self.path, self.path.with_name(self.path.name + ".1"))
        self._fh = open(self.path, "ab", buffering=0)  # noqa: SIM115 - lives as long as the process
        self._written = self._fh.tell()

    def write(self, data: bytes) -> None:
        self._tail.feed(data)
        if self._fh is None:
            return
        self._fh.write(data)
        self._written += len(data)
        if self._written > LOG_ROTATE_BYTES:
            self.close()
            self.open()

    def note(self, text: str) -> None:
        """A host marker line (start, exit), so restarts are visible in the log."""
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        if self._fh is not None:
            self._fh.write(f"--- dofek {stamp}: {text}\n".encode())

    def ended(self) -> None:
        """The process's stderr reached EOF: its unterminated last line counts too."""
        self._tail.flush()

    def tail(self, n: int = 20) -> list[str]:
        return self._tail.tail(n, skip_blank=True)

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


class PluginRunner:
    """Owns one plugin's process across restarts. `supervise()` runs until `shutdown()`."""

    def __init__(self, conf: PluginConf, *, log_dir: Path | None = None,
                 clock: Callable[[], float] = time.monotonic, observer: Observer | None = None):
        self.conf = conf
        self.clock = clock
        self.life = Lifecycle(clock)
        self.counters = Counters()
        self.observer: Observer = observer or (lambda kind, **info: None)
        self.log = _StderrLog(log_dir / f"{conf.name}.log" if log_dir else None)
        self.manifest: dict[str, str] | None = None
        #: The last good response (stays visible while unhealthy or crashed).
        self.data: frames.PollResponse | None = None
        self.data_at: float | None = None
        self.last_reply_ms: float | None = None
        self.last_outcome = "none"
        #: Clock time of the first poll in the current run of timeouts, None when answering.
        self.timed_out_since: float | None = None
        #: One line per distinct warning (unknown enum values, un-namespaced metric ids).
        self.warnings: list[str] = []
        self._warned: set[tuple[str, ...]] = set()
        self.pid: int | None = None
        self.shutdown_clean: bool | None = None
        self._proc: Any = None
        self._outbox: Any = None
        self._pending: _Poll | None = None
        self._answered = False
        self._fatal = ""
        self._stopping = False
        self._wake = anyio.Event()
        self._exited = anyio.Event()
        self._done = anyio.Event()

    # ---- what the dashboard reads --------------------------------------------------------------

    @property
    def name(self) -> str:
        """The manifest's name once the first response gave one, else the configured name."""
        return (self.manifest or {}).get("name") or self.conf.name

    @property
    def running(self) -> bool:
        return self._outbox is not None

    def stderr_tail(self, n: int = 20) -> list[str]:
        return self.log.tail(n)

    # ---- process lifetime ----------------------------------------------------------------------

    async def supervise(self, *, task_status: Any = anyio.TASK_STATUS_IGNORED) -> None:
        """Spawn, run until the process ends, wait the backoff, respawn; until `shutdown()`."""
        started = False
        try:
            while not self._stopping:
                proc = await self._spawn()
                if not started:
                    started = True
                    task_status.started()
                if proc is not None and self._stopping:  # shutdown() came while spawning
                    with anyio.CancelScope(shield=True):
                        await stop_group(proc.pid, grace=0.5)
                        await proc.aclose()
                    break
                reason = await self._run(proc) if proc is not None else self._fatal
                if self._stopping:
                    break
                delay = self.life.exited(reason)
                with anyio.move_on_after(delay):
                    await self._wake.wait()
        finally:
            if not started:
                task_status.started()
            self.life.stopped()
            self._done.set()

    async def _spawn(self) -> Any:
        self._fatal = ""
        try:
            proc = await open_process(
                self.conf.argv(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, cwd=self.conf.cwd, env=child_env(),
            )
        except OSError as exc:
            self._fatal = f"cannot start {self.conf.argv()[0]!r}: {exc.strerror or exc}"
            self.life.spawned()
            self.observer("exit", reason=self._fatal)
            return None
        self.pid = proc.pid
        self.life.spawned()
        self._answered = False
        self.timed_out_since = None
        self.log.open()
        self.log.note(f"started pid {proc.pid}: {' '.join(self.conf.argv())}")
        self.observer("spawned", pid=proc.pid)
        return proc

    async def _run(self, proc: Any) -> str:
        """Serve one process until it is gone; return why it ended."""
        self._proc = proc
        self._exited = anyio.Event()
        send, recv = anyio.create_memory_object_stream[bytes](8)
        self._outbox = send
        stdout_done, stderr_done = anyio.Event(), anyio.Event()
        unasked = False
        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(self._writer, recv, proc.stdin)
                tg.start_soon(self._drain_stderr, proc.stderr, stderr_done)
                tg.start_soon(self._read_stdout, proc, stdout_done)
                await proc.wait()
                unasked = not self._stopping
                # Let trailing output in, then sweep the group: children that kept the
                # pipes open would otherwise hold them (and us) forever.
                with anyio.move_on_after(DRAIN_GRACE_S):
                    await stdout_done.wait()
                await stop_group(proc.pid, grace=0.5)
                with anyio.move_on_after(DRAIN_GRACE_S):
                    await stdout_done.wait()
                    await stderr_done.wait()
                tg.cancel_scope.cancel()
        finally:
            with anyio.CancelScope(shield=True):
                self._outbox = None
                self.timed_out_since = None  # it crashed or stopped: that is the news now
                send.close()
                if self._pending is not None:
                    self._pending.gone = True
                    self._pending.done.set()
                    self._pending = None
                await stop_group(proc.pid, grace=0.5)
                await proc.aclose()
                self._proc = None
                self._exited.set()
        code = proc.returncode
        reason = self._fatal or describe_exit(code)
        self.log.note(reason)
        self.log.close()
        if unasked:
            self.observer("exit", reason=reason)
        return reason

    async def _writer(self, recv: Any, stdin: Any) -> None:
        """Writes whole lines in order; a plugin that stops reading blocks only this task."""
        try:
            async with recv:
                async for data in recv:
                    await stdin.send(data)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
            pass
        with contextlib.suppress(anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
            await stdin.aclose()

    async def _drain_stderr(self, stream: Any, done: anyio.Event) -> None:
        try:
            async for chunk in stream:
                self.log.write(chunk)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
            pass
        finally:
            self.log.ended()
            done.set()

    async def _read_stdout(self, proc: Any, done: anyio.Event) -> None:
        reader = LineReader()
        try:
            try:
                await reader.pump(proc.stdout.receive, self._on_line)
            except LineTooLong as exc:
                self._fatal = (f"stdout line longer than {reader.max_len} bytes refused; "
                               f"the plugin was stopped (starts with: {exc.line[:80]})")
                self.observer("too_long", message=self._fatal)
                await stop_group(proc.pid, sig=signal.SIGKILL, grace=0.5)
                return
            if reader.tail is not None:
                self._on_line(reader.tail)
            # stdout closed: a plugin that keeps running without it can never answer again.
            with anyio.move_on_after(1.0):
                await proc.wait()
            if proc.returncode is None:
                self._fatal = "closed its stdout but kept running; stopped"
                await stop_group(proc.pid, grace=0.5)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
            pass
        finally:
            done.set()

    # ---- polling ------------------------------------------------------------------------------

    def _on_line(self, line: bytes) -> None:
        rec = self._pending
        if rec is None:
            self.counters.extra_lines += 1
            self._error(f"extra stdout line (stdout is for one reply per poll): {quote(line, 120)}")
            self.observer("extra_line", line=quote(line))
            return
        self._pending = None
        if rec.timed_out:
            self.counters.late += 1
            self.observer("late", after_ms=(self.clock() - rec.sent_at) * 1000)
            return
        rec.line, rec.reply_at = line, self.clock()
        rec.done.set()

    async def poll(self, request: bytes, live_pids: set[int] | None = None) -> str:
        """Send one poll and take its reply within `timeout_ms`. Returns the outcome:
        ok | error (plugin said so) | invalid | timeout | stuck | busy | down."""
        outcome = await self._poll(request, live_pids)
        if outcome != "busy":
            self.last_outcome = outcome
        return outcome

    async def _poll(self, request: bytes, live_pids: set[int] | None) -> str:
        if self._outbox is None:
            return "down"
        now = self.clock()
        rec = self._pending
        if rec is not None:
            if not rec.timed_out:
                return "busy"  # still within its timeout (timeout_ms > refresh_ms)
            self.counters.stuck += 1
            self._error(f"still no reply to the poll sent {now - rec.sent_at:.1f}s ago; "
                        "not polling again until it answers")
            return "stuck"
        rec = _Poll(sent_at=now)
        self._pending = rec
        try:
            self._outbox.send_nowait(request)
        except (anyio.WouldBlock, anyio.BrokenResourceError, anyio.ClosedResourceError):
            self._pending = None
            return "down"
        self.counters.polls += 1
        with anyio.move_on_after(self.conf.timeout_ms / 1000):
            await rec.done.wait()
        if rec.line is None:
            if rec.gone:
                return "down"
            rec.timed_out = True
            if self.timed_out_since is None:
                self.timed_out_since = rec.sent_at
            self.counters.timeouts += 1
            self._error(f"no reply within {self.conf.timeout_ms} ms")
            self.observer("timeout", timeout_ms=self.conf.timeout_ms)
            return "timeout"
        self.counters.replies += 1
        self.timed_out_since = None
        self.last_reply_ms = (rec.reply_at - rec.sent_at) * 1000
        self.observer("reply", ms=self.last_reply_ms)
        return self._accept(rec.line, live_pids)

    def _accept(self, line: bytes, live_pids: set[int] | None) -> str:
        first = not self._answered
        self._answered = True
        try:
            obj = decode(line)
        except FrameError as exc:
            self.counters.invalid += 1
            self._error(f"reply is not a JSON object ({exc.message}): {exc.line[:120]}")
            self.observer("not_json", message=exc.message, line=exc.line)
            return "invalid"
        result = frames.validate(obj)
        self.observer("validated", result=result, first=first, raw=obj)
        for issue in result.warnings:
            if issue.key not in self._warned:
                self._warned.add(issue.key)
                self.warnings.append(str(issue))
        if not result.ok:
            self.counters.invalid += 1
            more = f" (and {len(result.errors) - 1} more)" if len(result.errors) > 1 else ""
            self._error(f"invalid reply: {result.errors[0]}{more}")
            return "invalid"
        resp = result.response
        assert resp is not None
        # Like Dofek: the first manifest the plugin sends names it, in whichever reply it comes.
        if self.manifest is None and resp.manifest and resp.manifest.get("name"):
            self.manifest = resp.manifest
        kept = [a for a in resp.annotations if _running(a["pid"], live_pids)]
        dropped = [a["pid"] for a in resp.annotations if a not in kept]
        if dropped:
            self.observer("dropped_pids", pids=dropped)
        resp.annotations = kept
        # Every reply Dofek renders is rendered, a status "error" one included (its panels
        # replace the last ones, as in Dofek); the error shows on the panel and counts.
        self.data, self.data_at = resp, self.clock()
        if resp.status == "error":
            self.counters.reported_errors += 1
            self._error(f"plugin reported an error: {resp.message or 'status error'}")
            return "error"
        self.life.poll_ok()
        return "ok"

    def _error(self, message: str) -> None:
        self.life.poll_error(message)

    # ---- shutdown -----------------------------------------------------------------------------

    async def shutdown(self, grace: float = SHUTDOWN_GRACE_S) -> None:
        """`{"type":"shutdown"}`, close stdin, wait `grace`, then kill the process group."""
        self._stopping = True
        self._wake.set()
        outbox, proc = self._outbox, self._proc
        if outbox is not None and proc is not None:
            with contextlib.suppress(anyio.WouldBlock, anyio.BrokenResourceError, anyio.ClosedResourceError):
                outbox.send_nowait(encode(frames.SHUTDOWN))
            outbox.close()  # the writer sends what is queued, then closes stdin
            with anyio.move_on_after(grace):
                await self._exited.wait()
            self.shutdown_clean = self._exited.is_set()
            if not self.shutdown_clean:
                self.observer("shutdown_ignored", grace=grace)
                await stop_group(proc.pid, sig=signal.SIGKILL, grace=1.0)
        with anyio.move_on_after(10):
            await self._done.wait()


def _running(pid: int, live_pids: set[int] | None) -> bool:
    if live_pids is not None and pid in live_pids:
        return True
    return pid_alive(pid)

