"""`PluginClient`: one running plugin — its pipes, requests, timeouts and shutdown.

The protocol rules (what a stdout line means) live in `router.FrameRouter`, which this class
extends with the I/O. The I/O is blocking and single-threaded: the plugin's stdout, stderr and
exit are registered with the thread's `procs.reactor.Reactor`, and whoever waits (for a
handshake, an answer, a stream event, a stop) runs it, which reads every plugin's pipes:

* stdout: split into lines (1 MiB cap) and handed to the router, which answers the waiting
  request or queues a stream event. Reading never waits for a consumer, so stdin and stdout
  flow together and a plugin cannot deadlock devctl.
* stderr: drained into a `procs.tails.StderrTail` (an undrained stderr pipe freezes the plugin).
* the exit (a pidfd): notices a plugin that died while a grandchild still holds its stdout open
  (stdout then never reaches EOF), so the crash is reported at once instead of at the timeout.

Failure policy: a protocol violation, a crash or a timeout marks the plugin failed (`_fail`),
answers everything waiting with that failure and starts stopping the plugin's whole process
group (SIGTERM now, SIGKILL after the grace, done when the group is empty — driven by timers).
Later requests get the same failure and nothing is sent.

Why blocking rather than asyncio: see `procs.reactor` (the import alone cost more than the work).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from devctl.errors import PluginError
from devctl.plugins.codes import (
    E_CLOSED,
    E_CRASHED,
    E_LINE_TOO_LONG,
    E_NOT_A_STREAM,
    E_PLUGIN_ERROR,
    E_TIMEOUT,
    E_UNDECLARED_OP,
    Failure,
)
from devctl.plugins.early import MARK_ENV
from devctl.plugins.router import FrameRouter, OnWarning, Pending
from devctl.plugins.stdin import StdinWriter
from devctl.plugins.streams import MAX_BUFFERED_EVENTS, PluginStream
from devctl.procs import reactor as reactors
from devctl.procs.exits import describe_exit
from devctl.procs.groups import group_alive, signal_group, signal_pids
from devctl.procs.lines import CHUNK, LineReader
from devctl.procs.pids import any_alive, descendants, with_env
from devctl.procs.tails import OnStderr, StderrTail
from devctl.protocol import frames
from devctl.protocol.ndjson import FrameError, LineTooLong, decode, encode, quote
from devctl.util.lazylog import LazyLogger

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: `up` loads this module (docs/performance.md, "T2")
if TYPE_CHECKING:
    import subprocess
    from typing import Any, Protocol

log = LazyLogger("devctl.plugins")

#: After stdin is closed, how long a plugin may take to exit by itself before SIGTERM.
EOF_EXIT_WAIT = 0.25
#: How many stderr lines an error shows.
DETAIL_LINES = 20
#: After SIGKILL, how long to wait for the group to empty before giving up (and saying so).
KILL_WAIT = 5.0
#: How often a stopping group is checked for members (its leader's exit is noticed at once).
STOP_POLL_S = 0.01
#: A plugin that exited is called crashed if its stdout has not ended this long after (a
#: grandchild holds it open); one whose stdout ended, if it has not exited this long after.
EXIT_WITHOUT_EOF = 0.5
EOF_WITHOUT_EXIT = 1.0
#: What a request's result is when its deadline passed first.
_EXPIRED = object()


if TYPE_CHECKING:
    class SpecLike(Protocol):
        """What the host needs from a `devctl.config.PluginSpec`.

        Read-only properties, not plain attributes: PluginSpec is frozen, and a protocol attribute
        would have to be settable for it to match.
        """

        @property
        def id(self) -> str: ...
        @property
        def env(self) -> dict[str, str]: ...
        @property
        def workdir(self) -> Path: ...

        def argv(self) -> list[str]: ...


def _read(fd: int) -> bytes | None:
    """What a non-blocking pipe holds now: None when nothing is waiting, b"" at its end (or when
    it broke: for a reader the two mean the same)."""
    try:
        return os.read(fd, CHUNK)
    except BlockingIOError:
        return None
    except OSError:
        return b""


def _complete_frame(line: bytes) -> bool:
    """Whether an unterminated last stdout line is still a whole JSON object."""
    try:
        decode(line)
    except FrameError:
        return False
    return True


class Call:
    """A request sent to a plugin; `result()` waits for its answer. Several calls to several
    plugins can be outstanding at once: waiting for one reads all of them."""

    def __init__(self, client: PluginClient, rid: str, pending: Pending, timeout: float):
        self.client = client
        self.rid = rid
        self.pending = pending
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout

    def response(self) -> frames.Response:
        """Wait for the answer; raise PluginError for a failure, a timeout or an ok:false."""
        client, pending = self.client, self.pending
        result: Any = _EXPIRED
        try:
            client._reactor.run_until(lambda: pending.done, self.deadline)
            if pending.done:
                result = pending.result
        finally:
            if client._pending.get(self.rid) is pending:
                del client._pending[self.rid]
            if result is _EXPIRED:  # timed out, or Ctrl-C: a late answer is fine
                client._abandoned.add(self.rid)
        if result is _EXPIRED:
            client._timed_out(pending.op, self.timeout)
        if isinstance(result, Failure):
            client._failure_told = True
            client._settle()
            raise result.error(client.spec.id, op=pending.op, details=client._details())
        resp: frames.Response = result
        if not resp.ok:
            code, message = resp.error or ("E_UNKNOWN", "")
            raise PluginError(client.spec.id, f"op {pending.op!r} failed: {code}: {message}",
                              code=E_PLUGIN_ERROR, op=pending.op, details=client._details())
        return resp

    def result(self) -> dict[str, Any]:
        """The response's `output` ({} if absent); see `response`."""
        return self.response().output


class PluginClient(FrameRouter):
    """A started plugin. Create with `launch.start_plugin` (which returns it once its handshake
    is valid), end with `close()`.

    Public: `spec`, `pid`, `handshake`, `ops`, `streams`, `commands`, `warnings`, `failure`,
    `supports()`, `request()`, `send()`, `open_stream()`, `stderr_tail()`, `close()`.
    """

    def __init__(self, spec: SpecLike, repo_root: Path | str, popen: subprocess.Popen[bytes], stdin_fd: int,
                 *, on_stderr: OnStderr | None = None, on_warning: OnWarning | None = None,
                 stop_grace: float = 2.0, stream_buffer: int = MAX_BUFFERED_EVENTS, strict: bool = False,
                 reactor: reactors.Reactor | None = None, mark: str = ""):
        super().__init__(spec.id, on_warning=on_warning, stream_buffer=stream_buffer, strict=strict)
        self.spec = spec
        self.pid: int = popen.pid
        self._proc = popen
        self._reactor = reactor or reactors.current()
        self._stdin = StdinWriter(stdin_fd, self._reactor, on_lost=self._on_stdin_lost)
        self._repo_root = str(repo_root)
        self._grace = stop_grace
        self._seq = itertools.count(1)
        self._stderr = StderrTail(spec.id, on_stderr)
        self._lines = LineReader()
        assert popen.stdout is not None and popen.stderr is not None
        self._out_fd = popen.stdout.fileno()
        self._err_fd = popen.stderr.fileno()
        self._closing = False
        self._closed = False
        self._stdout_done = False
        self._stderr_done = False
        self._exited = False
        self._unwatch_exit: Callable[[], None] | None = None
        self._timers: list[reactors.Timer] = []
        # Stopping the group: started once, done when it is empty (or given up on after SIGKILL).
        self._stop_started = False
        self.stopped = False
        self._extra: list[int] = []
        self._run_mark = mark  # its MARK_ENV value (`early.spawn`): finds children that left its tree
        self._kill_at = 0.0
        self._killed_at: float | None = None

    @property
    def returncode(self) -> int | None:
        return self._proc.returncode

    def stderr_tail(self, n: int = DETAIL_LINES) -> list[str]:
        """The plugin's last `n` stderr lines (raw, without the plugin-id prefix)."""
        return self._stderr.tail(n)

    # ---- requests ---------------------------------------------------------------------------

    def request(self, op: str, input: dict[str, Any] | None = None, *, timeout: float,
                dry_run: bool = False, cwd: str = "") -> dict[str, Any]:
        """Send one request and return the response's `output` ({} if absent).

        A response's `output.stream_id` is ignored here; use `open_stream` for stream ops.
        """
        return self.send(op, input, timeout=timeout, dry_run=dry_run, cwd=cwd).result()

    def send(self, op: str, input: dict[str, Any] | None = None, *, timeout: float, dry_run: bool = False,
             cwd: str = "", stream: bool = False) -> Call:
        """Send one request now and return its `Call` (wait with `.result()`): how devctl asks
        several plugins at once. Raises PluginError if the plugin cannot take it."""
        self._check_usable(op)
        rid = f"{self.spec.id}-{next(self._seq)}"
        data = encode(frames.build_request(rid, op, repo_root=self._repo_root, cwd=cwd,
                                           deadline_ms=int(timeout * 1000), dry_run=dry_run, input=input))
        pending = Pending(op, stream)
        self._pending[rid] = pending
        # False means the plugin's stdin is gone: `_on_stdin_lost` or the exit watch says how.
        self._stdin.send(data)
        return Call(self, rid, pending, timeout)

    def open_stream(self, op: str, input: dict[str, Any] | None = None, *, timeout: float,
                    dry_run: bool = False, cwd: str = "") -> PluginStream:
        """Send a request whose response opens a stream; `timeout` bounds the response only."""
        call = self.send(op, input, timeout=timeout, dry_run=dry_run, cwd=cwd, stream=True)
        call.response()
        if call.pending.buffer is None:
            raise PluginError(self.spec.id, f"op {op!r} was expected to open a stream, but its response "
                              "has no output.stream_id", code=E_NOT_A_STREAM, op=op)
        return PluginStream(self.spec.id, call.pending.buffer, self._details, self._reactor.run_until)

    def close(self) -> None:
        """Close stdin, give the plugin a moment to exit, then stop its process group (SIGTERM,
        grace, SIGKILL, wait until empty — grandchildren included). Idempotent; Ctrl-C waits
        until it is done, so it never leaves a plugin behind. See `close_all` for several."""
        close_all([self])

    def _details(self) -> list[str]:
        return [f"{self.spec.id} | {line}" for line in self._stderr.tail(DETAIL_LINES)]

    def _listening(self) -> bool:
        return not self._closing

    def _check_usable(self, op: str) -> None:
        if self._failure is not None:
            self._failure_told = True
            raise PluginError(self.spec.id, f"{self._failure.message}; op {op!r} was not sent",
                              code=self._failure.code, op=op, details=self._details())
        if self._closing:
            raise PluginError(self.spec.id, f"was already closed by devctl; op {op!r} was not "
                              "sent", code=E_CLOSED, op=op)
        if not self.supports(op):
            declared = ", ".join(sorted(self.ops | self.streams)) or "none"
            raise PluginError(self.spec.id, f"op {op!r} was not declared in the plugin's handshake, so "
                              f"devctl did not send it (declared ops: {declared})",
                              code=E_UNDECLARED_OP, op=op)

    def _timed_out(self, op: str, timeout: float) -> None:
        failure = Failure(E_TIMEOUT, f"op {op!r} got no response within {_secs(timeout)} s; devctl stopped "
                          f"the plugin's process group (SIGTERM, then SIGKILL after {self._grace:g} s)")
        self._fail(failure)
        self._settle()
        raise PluginError(self.spec.id, failure.message, code=E_TIMEOUT, op=op, details=self._details())

    def _settle(self) -> None:
        """After a fatal failure: wait until the plugin is stopped and its stderr fully read, so
        the error shows the last lines and nothing runs any more when it reaches the user."""
        with reactors.shielded():
            self._begin_stop()
            now = time.monotonic()
            self._reactor.run_until(lambda: self.stopped, now + self._grace + KILL_WAIT + 1)
            self._reactor.run_until(lambda: self._stderr_done, time.monotonic() + 1.0)

    def _fail(self, failure: Failure) -> None:
        """The router's failure, plus: a failed plugin is stopped (unless devctl is closing it,
        which stops it in its own order)."""
        first = self._failure is None
        super()._fail(failure)
        if first and not self._closing:
            self._begin_stop()

    # ---- the pipes and the exit -------------------------------------------------------------

    def _start(self) -> None:
        """Register the plugin's stdout, stderr and exit with the reactor."""
        for fd in (self._out_fd, self._err_fd):
            os.set_blocking(fd, False)
        self._reactor.add_reader(self._out_fd, self._on_stdout)
        self._reactor.add_reader(self._err_fd, self._on_stderr)
        self._unwatch_exit = self._reactor.watch_exit(self._proc, self._on_exit)

    def _later(self, delay: float, callback: Callable[[], None]) -> None:
        self._timers.append(self._reactor.call_later(delay, callback))

    def _on_stdout(self) -> None:
        chunk = _read(self._out_fd)
        if chunk is None:
            return
        if not chunk:
            self._stdout_eof()
            return
        if self._failure is not None:
            return  # being stopped: keep the pipe empty, the lines no longer mean anything
        try:
            for line in self._lines.splitter.feed(chunk):
                self.on_line(line)
                if self._failure is not None:
                    break
        except LineTooLong as exc:
            self._fail(Failure(E_LINE_TOO_LONG, f"wrote a stdout line longer than "
                               f"{self._lines.max_len} bytes (the limit); it starts: {exc.line!r}"))

    def _stdout_eof(self) -> None:
        self._reactor.remove_reader(self._out_fd)
        self._stdout_done = True
        tail = self._lines.splitter.flush()
        if tail is not None and tail.strip() and self._failure is None:
            if _complete_frame(tail) or not tail.lstrip().startswith(b"{"):
                self.on_line(tail)  # a whole frame still counts; junk is contamination, newline or not
            else:  # it died (or hung up) while writing a frame: a crash, not contamination
                self._fail(Failure(E_CRASHED, "closed its stdout in the middle of a line "
                                   f"(no newline after {len(tail)} bytes): {quote(tail)!r}"))
        if self._closing or self._failure is not None:
            return
        if self._exited:
            self._fail(self._crash_failure())
        else:  # EOF while devctl still holds the plugin: wait a moment for its exit status
            self._later(EOF_WITHOUT_EXIT, self._crash_if_idle)

    def _on_stderr(self) -> None:
        chunk = _read(self._err_fd)
        if chunk is None:
            return
        if chunk:
            self._stderr.feed(chunk)
            return
        self._reactor.remove_reader(self._err_fd)
        self._stderr_done = True
        self._stderr.flush()

    def _on_stdin_lost(self) -> None:
        """A write found the plugin's stdin closed. Usually the plugin is exiting and the exit
        watch reports how; one that runs on can never read a request, so rather than let every
        request wait for its timeout, it fails if it has not exited a moment later."""
        if not self._closing and self._failure is None:
            self._later(EXIT_WITHOUT_EOF, self._deaf_if_running)

    def _deaf_if_running(self) -> None:
        if self._closing or self._failure is not None or self._proc.poll() is not None:
            return  # exited: the exit watch (or the reader) reports it in its own words
        self._fail(Failure(E_CRASHED, "closed its stdin while still running, so it cannot read requests"))

    def _on_exit(self) -> None:
        self._exited = True
        self._unwatch_exit = None
        if self._stop_started:
            self._check_stopped()
        if self._closing or self._failure is not None:
            return
        if self._stdout_done:
            self._fail(self._crash_failure())
        else:  # let the reader take the last lines (a final response) before calling it a crash
            self._later(EXIT_WITHOUT_EOF, self._crash_if_idle)

    def _crash_if_idle(self) -> None:
        if not self._closing and self._failure is None:
            self._fail(self._crash_failure())

    def _crash_failure(self) -> Failure:
        code = self._proc.returncode
        how = "closed its stdout while still running" if code is None else describe_exit(code)
        if not self.handshake_settled:
            return Failure(E_CRASHED, f"{how} before sending its handshake")
        return Failure(E_CRASHED, how)

    # ---- stopping ---------------------------------------------------------------------------

    def _begin_stop(self) -> None:
        """Start stopping the process group (once): SIGTERM now; timers check until it is empty
        and SIGKILL it after the grace. `stopped` says when it is done.

        Shielded from Ctrl-C (it often runs outside `close`, when a request fails): interrupted
        halfway, the stop would be marked started but never signalled nor driven, and `close`
        would wait for it in vain and leave the plugin running."""
        if self._stop_started:
            return
        with reactors.shielded():
            self._stop_started = True
            # Look again now: a child forked after an earlier look (e.g. right after the plugin's
            # last response) may have left the group already.
            self._extra = sorted({*self._extra, *descendants(self.pid), *self._escaped()})
            if not group_alive(self.pid) and not any_alive(self._extra):
                self._mark_stopped()
                return
            signal_group(self.pid, signal.SIGTERM)
            signal_pids(self._extra, signal.SIGTERM)
            self._kill_at = time.monotonic() + self._grace
            self._later(STOP_POLL_S, self._check_stopped)

    def _escaped(self) -> list[int]:
        """Children that left the plugin's group (`setsid`) and, the plugin being dead, its tree,
        yet still hold its stdout or stderr: found by the mark they inherited. Looked for only
        then (it reads every process's environment): a live plugin's tree is `descendants`."""
        if not self._run_mark or self._proc.poll() is None or (self._stdout_done and self._stderr_done):
            return []
        return with_env(MARK_ENV, self._run_mark)

    def _check_stopped(self) -> None:
        """One step of the stop; it schedules the next, so it is shielded like `_begin_stop`."""
        with reactors.shielded():
            self._check_stopped_once()

    def _check_stopped_once(self) -> None:
        if self.stopped:
            return
        self._proc.poll()  # reap the leader, so it does not count as a live member
        if not group_alive(self.pid) and not any_alive(self._extra):
            self._mark_stopped()
            return
        now = time.monotonic()
        if self._killed_at is None and now >= self._kill_at:
            signal_group(self.pid, signal.SIGKILL)
            signal_pids(self._extra, signal.SIGKILL)
            self._killed_at = now
        elif self._killed_at is not None and now - self._killed_at >= KILL_WAIT:
            log.warning("plugin %r: process group %d still has members %.0f s after SIGKILL",
                        self.spec.id, self.pid, KILL_WAIT)
            self._mark_stopped()
            return
        self._later(STOP_POLL_S, self._check_stopped)

    def _mark_stopped(self) -> None:
        self.stopped = True
        self._proc.poll()

    def _finish(self) -> None:
        """After the stop: forget the pipes, timers and exit watch; reap."""
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        for fd, done in ((self._out_fd, self._stdout_done), (self._err_fd, self._stderr_done)):
            if not done:
                self._reactor.remove_reader(fd)
        self._stdin.abort()
        if self._unwatch_exit is not None:
            self._unwatch_exit()
            self._unwatch_exit = None
        for pipe in (self._proc.stdout, self._proc.stderr):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()
        with contextlib.suppress(Exception):
            self._proc.wait(timeout=1.0)


def begin_close(clients: Sequence[PluginClient]) -> None:
    """Tell each plugin there will be no more requests (its stdin is closed, so it starts to
    exit), without waiting for it: `close_all` later waits. Work in between overlaps the
    plugins' exits (an interpreter's teardown is ~10 ms of a Python plugin's CPU)."""
    for client in clients:
        if not client._closed and not client._closing:
            client._closing = True
            if not client._stop_started:  # before its exit reparents its children
                client._extra = descendants(client.pid)
            client._stdin.close()


def close_all(clients: Sequence[PluginClient]) -> None:
    """Close several plugins together (each as `PluginClient.close` describes): every stdin is
    closed at once and every group stopped at once, so N plugins take the time of one."""
    todo = [c for c in clients if not c._closed]
    if not todo:
        return
    reactor = todo[0]._reactor
    with reactors.shielded():
        begin_close(todo)
        reactor.run_until(lambda: all(c._exited for c in todo), time.monotonic() + EOF_EXIT_WAIT)
        for client in todo:
            client._begin_stop()
        longest = max(c._grace for c in todo) + KILL_WAIT + 1
        reactor.run_until(lambda: all(c.stopped for c in todo), time.monotonic() + longest)
        # The last stdout and stderr lines are read, not lost.
        reactor.run_until(lambda: all(c._stdout_done and c._stderr_done for c in todo),
                          time.monotonic() + 1.0)
        for client in todo:
            client._fail(Failure(E_CLOSED, "was already closed by devctl"))
            client._finish()
            client._closed = True


def _secs(seconds: float) -> str:
    """A deadline as people read it: the phase's remaining budget 0.999997 is shown as "1"."""
    return f"{round(seconds, 2):g}"
