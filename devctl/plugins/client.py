"""`PluginClient`: one running plugin — its pipes, background tasks, requests, timeouts, shutdown.

The protocol rules (what a stdout line means) live in `router.FrameRouter`, which this class
extends with the I/O. Three background tasks per plugin, started by `launch.start_plugin`:

* the stdout reader: the only reader of stdout. It splits lines (1 MiB cap) and hands them to
  the router, which answers the waiting request or queues a stream event. It never waits for a
  consumer, so stdin and stdout flow concurrently and a plugin cannot deadlock devctl.
* the stderr drain (`procs.tails`): an undrained stderr pipe would freeze the plugin.
* the exit watcher: notices a plugin that died while a grandchild still holds its stdout open
  (stdout then never reaches EOF), so the crash is reported at once instead of at the timeout.

These are plain asyncio tasks owned by the client rather than children of a caller's task
group, so clients can be started and closed in any order by any task without tripping over
cancel-scope nesting. devctl always runs anyio on its asyncio backend.

Failure policy: a protocol violation, a crash or a timeout marks the plugin failed (`_fail`),
answers everything waiting with that failure and stops the plugin's whole process group. Later
requests get the same failure and nothing is sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, Protocol

import anyio
from anyio import BrokenResourceError, ClosedResourceError
from anyio.abc import Process

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
from devctl.plugins.router import FrameRouter, OnWarning, Pending
from devctl.plugins.stdin import StdinWriter
from devctl.plugins.streams import MAX_BUFFERED_EVENTS, PluginStream
from devctl.procs.exits import describe_exit
from devctl.procs.groups import stop_group
from devctl.procs.lines import LineReader
from devctl.procs.pids import descendants
from devctl.procs.tails import OnStderr, StderrTail, drain
from devctl.protocol import frames
from devctl.protocol.ndjson import FrameError, LineTooLong, decode, encode, quote

log = logging.getLogger("devctl.plugins")

#: After stdin is closed, how long a plugin may take to exit by itself before SIGTERM.
EOF_EXIT_WAIT = 0.25
#: How many stderr lines an error shows.
DETAIL_LINES = 20
_PIPE_ERRORS = (OSError, BrokenResourceError, ClosedResourceError)
#: What a request's future resolves to when its timer fires first.
_EXPIRED = object()


class SpecLike(Protocol):
    """What the host needs from a `devctl.config.PluginSpec`.

    Read-only properties, not plain attributes: PluginSpec is a frozen dataclass, and a
    protocol attribute would have to be settable for it to match.
    """

    @property
    def id(self) -> str: ...
    @property
    def env(self) -> dict[str, str]: ...
    @property
    def workdir(self) -> Path: ...

    def argv(self) -> list[str]: ...


def _complete_frame(line: bytes) -> bool:
    """Whether an unterminated last stdout line is still a whole JSON object."""
    try:
        decode(line)
    except FrameError:
        return False
    return True


class PluginClient(FrameRouter):
    """A started plugin whose handshake was valid. Create with `start_plugin`, end with `close()`.

    Public: `spec`, `pid`, `handshake`, `ops`, `streams`, `commands`, `warnings`, `failure`,
    `supports()`, `request()`, `open_stream()`, `stderr_tail()`, `close()`.
    """

    def __init__(self, spec: SpecLike, repo_root: Path | str, process: Process, stdin: StdinWriter, *,
                 on_stderr: OnStderr | None = None, on_warning: OnWarning | None = None,
                 stop_grace: float = 2.0, stream_buffer: int = MAX_BUFFERED_EVENTS, strict: bool = False):
        super().__init__(spec.id, asyncio.get_running_loop(), on_warning=on_warning,
                         stream_buffer=stream_buffer, strict=strict)
        self.spec = spec
        self.pid: int = process.pid
        self._proc = process
        self._stdin = stdin
        self._repo_root = str(repo_root)
        self._grace = stop_grace
        self._seq = itertools.count(1)
        self._stderr = StderrTail(spec.id, on_stderr)
        self._closing = False
        self._stdout_done = anyio.Event()
        self._stderr_done = anyio.Event()
        self._exited = anyio.Event()
        self._stopped = anyio.Event()
        self._closed = anyio.Event()
        self._stop_lock = anyio.Lock()
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def returncode(self) -> int | None:
        return self._proc.returncode

    def stderr_tail(self, n: int = DETAIL_LINES) -> list[str]:
        """The plugin's last `n` stderr lines (raw, without the plugin-id prefix)."""
        return self._stderr.tail(n)

    async def request(self, op: str, input: dict[str, Any] | None = None, *, timeout: float,
                      dry_run: bool = False, cwd: str = "") -> dict[str, Any]:
        """Send one request and return the response's `output` ({} if absent).

        A response's `output.stream_id` is ignored here; use `open_stream` for stream ops.
        """
        resp, _ = await self._call(op, input, timeout=timeout, dry_run=dry_run, cwd=cwd, stream=False)
        return resp.output

    async def open_stream(self, op: str, input: dict[str, Any] | None = None, *, timeout: float,
                          dry_run: bool = False, cwd: str = "") -> PluginStream:
        """Send a request whose response opens a stream; `timeout` bounds the response only."""
        _, pending = await self._call(op, input, timeout=timeout, dry_run=dry_run, cwd=cwd, stream=True)
        if pending.buffer is None:
            raise PluginError(self.spec.id, f"op {op!r} was expected to open a stream, but its response "
                              "has no output.stream_id", code=E_NOT_A_STREAM, op=op)
        return PluginStream(self.spec.id, pending.buffer, self._details)

    async def close(self) -> None:
        """Close stdin, give the plugin a moment to exit, then stop its process group (SIGTERM,
        grace, SIGKILL, wait until empty — grandchildren included). Idempotent, and shielded
        from cancellation so Ctrl-C never leaves a plugin behind."""
        if self._closing:
            with anyio.CancelScope(shield=True):
                await self._closed.wait()
            return
        self._closing = True
        with anyio.CancelScope(shield=True):
            try:
                extra = [] if self._stopped.is_set() else descendants(self.pid)
                self._stdin.close()
                with anyio.move_on_after(EOF_EXIT_WAIT):
                    await self._exited.wait()
                await self._terminate(extra)
                with anyio.move_on_after(1.0):  # the last stdout/stderr lines are read, not lost
                    await self._stdout_done.wait()
                    await self._stderr_done.wait()
                self._fail(Failure(E_CLOSED, "was already closed by devctl"))
                for task in self._tasks:
                    task.cancel()
                await asyncio.gather(*self._tasks, return_exceptions=True)
                self._stdin.abort()
                with contextlib.suppress(*_PIPE_ERRORS):
                    await self._proc.aclose()
            finally:
                self._closed.set()

    # ---- requests ---------------------------------------------------------------------------

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

    async def _call(self, op: str, input: dict[str, Any] | None, *, timeout: float, dry_run: bool,
                    cwd: str, stream: bool) -> tuple[frames.Response, Pending]:
        self._check_usable(op)
        rid = f"{self.spec.id}-{next(self._seq)}"
        data = encode(frames.build_request(rid, op, repo_root=self._repo_root, cwd=cwd,
                                           deadline_ms=int(timeout * 1000), dry_run=dry_run, input=input))
        pending = Pending(op, self._loop.create_future(), stream)
        self._pending[rid] = pending
        # A timer rather than a cancel scope per request: measurably cheaper on the hot path.
        timer = self._loop.call_later(timeout, self._expire, pending)
        result: Any = _EXPIRED
        try:
            pending.sending = True
            # False means the plugin is gone: the reader or exit watcher reports how it ended.
            await self._stdin.send(data)
            pending.sending = False
            result = await pending.future
        finally:
            timer.cancel()
            if self._pending.get(rid) is pending:
                del self._pending[rid]
            if result is _EXPIRED:  # timed out or the caller was cancelled: a late answer is fine
                self._abandoned.add(rid)
        if result is _EXPIRED:
            await self._timed_out(op, timeout)
        if isinstance(result, Failure):
            self._failure_told = True
            await self._settle()
            raise result.error(self.spec.id, op=op, details=self._details())
        resp: frames.Response = result
        if not resp.ok:
            code, message = resp.error or ("E_UNKNOWN", "")
            raise PluginError(self.spec.id, f"op {op!r} failed: {code}: {message}",
                              code=E_PLUGIN_ERROR, op=op, details=self._details())
        return resp, pending

    def _expire(self, pending: Pending) -> None:
        if pending.future.done():
            return
        pending.future.set_result(_EXPIRED)
        if pending.sending:  # stuck on a full stdin pipe: stopping the plugin unblocks the write
            self._tasks.append(self._loop.create_task(self._terminate()))

    async def _timed_out(self, op: str, timeout: float) -> None:
        failure = Failure(E_TIMEOUT, f"op {op!r} got no response within {_secs(timeout)} s; devctl stopped "
                          f"the plugin's process group (SIGTERM, then SIGKILL after {self._grace:g} s)")
        self._fail(failure)
        await self._terminate()
        await self._settle()
        raise PluginError(self.spec.id, failure.message, code=E_TIMEOUT, op=op, details=self._details())

    async def _settle(self) -> None:
        """After a fatal failure: wait until the plugin is stopped and its stderr fully read, so
        the error shows the last lines and nothing runs any more when it reaches the user."""
        with anyio.CancelScope(shield=True):
            with anyio.move_on_after(self._grace + 10):
                await self._stopped.wait()
            with anyio.move_on_after(1.0):
                await self._stderr_done.wait()

    # ---- shutdown ---------------------------------------------------------------------------

    def _crash_failure(self) -> Failure:
        code = self._proc.returncode
        how = "closed its stdout while still running" if code is None else describe_exit(code)
        if not self._handshake_fut.done():
            return Failure(E_CRASHED, f"{how} before sending its handshake")
        return Failure(E_CRASHED, how)

    async def _terminate(self, extra: list[int] | None = None) -> None:
        """Stop the process group (once): SIGTERM, grace, SIGKILL, wait until empty; reap."""
        with anyio.CancelScope(shield=True):
            async with self._stop_lock:
                if self._stopped.is_set():
                    return
                # Look again now: a child forked after an earlier look (e.g. right after the
                # plugin's last response) may have left the group already.
                extra = sorted({*(extra or []), *descendants(self.pid)})
                await stop_group(self.pid, grace=self._grace, extra_pids=extra)
                with anyio.move_on_after(5.0):
                    await self._proc.wait()
                self._stopped.set()

    # ---- background tasks -------------------------------------------------------------------

    def _start(self) -> None:
        for coro in (self._read_stdout(), self._drain_stderr(), self._watch_exit()):
            self._tasks.append(self._loop.create_task(self._guard(coro)))

    async def _wait_handshake(self) -> Failure | None:
        return await self._handshake_fut

    async def _guard(self, coro: Coroutine[Any, Any, None]) -> None:
        try:
            await coro
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug in the host must still end in a clear plugin failure
            log.exception("plugin host task failed for %r", self.spec.id)
            self._fail(Failure(E_CRASHED, f"internal error in devctl's plugin host: {exc!r}"))
            await self._terminate()

    async def _drain_stderr(self) -> None:
        try:
            await drain(self._proc.stderr, self._stderr)  # type: ignore[arg-type]
        finally:
            self._stderr_done.set()

    async def _watch_exit(self) -> None:
        await self._proc.wait()
        self._exited.set()
        if self._closing or self._failure is not None:
            return
        # Let the reader take the last lines (a final response) before calling it a crash.
        with anyio.move_on_after(0.5):
            await self._stdout_done.wait()
        if self._closing or self._failure is not None:
            return
        self._fail(self._crash_failure())
        await self._terminate()

    async def _read_stdout(self) -> None:
        reader = LineReader()
        try:
            try:
                at_eof = await reader.pump(self._proc.stdout.receive, self.on_line,  # type: ignore[union-attr]
                                           stop=lambda: self._failure is not None)
            except LineTooLong as exc:
                self._fail(Failure(E_LINE_TOO_LONG, f"wrote a stdout line longer than "
                                   f"{reader.max_len} bytes (the limit); it starts: {exc.line!r}"))
            else:
                tail = reader.tail
                if at_eof and tail is not None and tail.strip() and self._failure is None:
                    if _complete_frame(tail):
                        self.on_line(tail)  # an unterminated last line still counts
                    else:  # it died (or hung up) while writing: a crash, not contamination
                        self._fail(Failure(E_CRASHED, "closed its stdout in the middle of a line "
                                           f"(no newline after {len(tail)} bytes): {quote(tail)!r}"))
        finally:
            self._stdout_done.set()
        if self._closing:
            return
        if self._failure is None:  # EOF while devctl still holds the plugin
            with anyio.move_on_after(1.0):
                await self._exited.wait()
            self._fail(self._crash_failure())
        await self._terminate()


def _secs(seconds: float) -> str:
    """A deadline as people read it: the phase's remaining budget 0.999997 is shown as "1"."""
    return f"{round(seconds, 2):g}"
