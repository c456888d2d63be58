"""One blocking I/O loop for the children a command talks to: pipes, exits and timers.

Why not asyncio: a devctl command that talks to plugins (`plan`, `up`, a plugin command) is a
short synchronous program, and importing asyncio and anyio's asyncio backend costs it 90-140 ms
of CPU before the first byte is read — more than the plugin's whole start-up. What the plugin
host needs from a loop is small: wait until one of several pipes is readable or writable, until
a child exits, or until a deadline, and call a function for each. `Reactor` is that, on
`selectors` (epoll on Linux), with a pidfd per child for its exit (Linux >= 5.3; elsewhere a
20 ms poll of `Popen.poll`) and a heap of timers.

Nothing runs unless someone waits: `run_until(done, deadline)` pumps every registered pipe,
exit watch and timer until `done()` is true or the deadline passes. So waiting for one plugin's
answer also reads every other plugin's stdout and stderr: no pipe fills up while devctl looks
elsewhere, and stderr lines are passed on as they arrive.

One reactor per thread (`current()`): callbacks run on the thread that waits, so nothing here
needs a lock. `shielded()` defers Ctrl-C while children are being stopped, so an impatient
second Ctrl-C never leaves a plugin behind.
"""

from __future__ import annotations

import heapq
import itertools
import os
import selectors
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: `up` loads this module (docs/performance.md, "T2")
if TYPE_CHECKING:
    import subprocess

Callback = Callable[[], None]
#: How often a child's exit is polled where there is no pidfd.
EXIT_POLL_S = 0.02


class Timer:
    """A call scheduled with `Reactor.call_at`; `cancel()` drops it."""

    __slots__ = ("callback", "cancelled", "when")

    def __init__(self, when: float, callback: Callback):
        self.when = when
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class Reactor:
    """Readiness callbacks for file descriptors, exit callbacks for children, and timers."""

    def __init__(self) -> None:
        self._selector = selectors.DefaultSelector()
        # fd -> [on_readable, on_writable]; the selector's mask follows which are set.
        self._handlers: dict[int, list[Callback | None]] = {}
        self._timers: list[tuple[float, int, Timer]] = []
        self._order = itertools.count()

    # ---- registration -------------------------------------------------------------------

    def add_reader(self, fd: int, callback: Callback) -> None:
        self._set(fd, 0, callback)

    def remove_reader(self, fd: int) -> None:
        self._set(fd, 0, None)

    def add_writer(self, fd: int, callback: Callback) -> None:
        self._set(fd, 1, callback)

    def remove_writer(self, fd: int) -> None:
        self._set(fd, 1, None)

    def _set(self, fd: int, slot: int, callback: Callback | None) -> None:
        handlers = self._handlers.get(fd)
        if handlers is None:
            if callback is None:
                return
            handlers = self._handlers[fd] = [None, None]
            handlers[slot] = callback
            self._selector.register(fd, self._mask(handlers))
            return
        handlers[slot] = callback
        mask = self._mask(handlers)
        if mask:
            self._selector.modify(fd, mask)
        else:
            del self._handlers[fd]
            self._selector.unregister(fd)

    @staticmethod
    def _mask(handlers: list[Callback | None]) -> int:
        return (selectors.EVENT_READ if handlers[0] else 0) | (selectors.EVENT_WRITE if handlers[1] else 0)

    def call_at(self, when: float, callback: Callback) -> Timer:
        """Call `callback` once `time.monotonic()` reaches `when` (while someone waits)."""
        timer = Timer(when, callback)
        heapq.heappush(self._timers, (when, next(self._order), timer))
        return timer

    def call_later(self, delay: float, callback: Callback) -> Timer:
        return self.call_at(time.monotonic() + delay, callback)

    def watch_exit(self, popen: subprocess.Popen[bytes], callback: Callback) -> Callback:
        """Call `callback` once `popen` has exited and been reaped (`popen.returncode` is set).
        Returns a function that stops watching (idempotent)."""
        try:
            pidfd = os.pidfd_open(popen.pid)
        except (AttributeError, OSError):  # no pidfd here, or already reaped: poll
            return self._poll_exit(popen, callback)
        state = {"open": True}

        def stop() -> None:
            if state["open"]:
                state["open"] = False
                self.remove_reader(pidfd)
                os.close(pidfd)

        def readable() -> None:
            if popen.poll() is not None:
                stop()
                callback()

        self.add_reader(pidfd, readable)
        return stop

    def _poll_exit(self, popen: subprocess.Popen[bytes], callback: Callback) -> Callback:
        timer: list[Timer] = []

        def check() -> None:
            if popen.poll() is not None:
                callback()
            else:
                timer[0] = self.call_later(EXIT_POLL_S, check)

        timer.append(self.call_later(0, check))
        return lambda: timer[0].cancel()

    # ---- waiting ------------------------------------------------------------------------

    def run_until(self, done: Callable[[], bool], deadline: float | None = None) -> bool:
        """Dispatch readiness, exits and timers until `done()` is true (True) or `time.monotonic()`
        passes `deadline` (False). Without a deadline and with nothing left to wait for, raises
        RuntimeError rather than block forever.

        Past the deadline the pipes get one last look (no waiting) before giving up: an answer or
        a handshake that arrived in time counts, even when this thread got the CPU only after the
        deadline (several plugins starting on a busy box)."""
        while not done():
            now = time.monotonic()
            if self._fire_timers(now):
                continue  # a timer may have made done() true
            if deadline is not None and now >= deadline:
                self._dispatch(0)
                return done()
            timeout = None if deadline is None else deadline - now
            if self._timers:
                until_timer = max(0.0, self._timers[0][0] - now)
                timeout = until_timer if timeout is None else min(timeout, until_timer)
            if timeout is None and not self._handlers:
                raise RuntimeError("Reactor.run_until: nothing left to wait for, and no deadline")
            self._dispatch(timeout)
        return True

    def poll(self) -> None:
        """Run the timers that are due and the callbacks of what is ready now, without waiting:
        one look between two turns of a task loop that still has work (`procs/tasks.py`)."""
        self._fire_timers(time.monotonic())
        self._dispatch(0)

    def _dispatch(self, timeout: float | None) -> None:
        """Wait up to `timeout` for readiness and call the callbacks of what is ready."""
        for key, mask in self._selector.select(timeout):
            handlers = self._handlers.get(key.fd)  # an earlier callback may have removed it
            if handlers is None:
                continue
            reader, writer = handlers
            if mask & selectors.EVENT_READ and reader is not None:
                reader()
            if mask & selectors.EVENT_WRITE and writer is not None and self._handlers.get(key.fd):
                writer()

    def _fire_timers(self, now: float) -> bool:
        """Run every timer that is due; True when any ran."""
        fired = False
        while self._timers and self._timers[0][0] <= now:
            _, _, timer = heapq.heappop(self._timers)
            if not timer.cancelled:
                fired = True
                timer.callback()
        return fired

    def sleep(self, seconds: float) -> None:
        """Wait `seconds` while still serving every pipe and timer."""
        self.run_until(lambda: False, time.monotonic() + seconds)

    def close(self) -> None:
        """Let go of the epoll instance (what is registered is the owner's to close)."""
        self._selector.close()
        self._handlers.clear()
        self._timers.clear()


_local = threading.local()
#: Reactors a forked child inherited from its parent, kept and never used: their epoll instance
#: is the parent's (a fork shares it), and the child may have pointed that descriptor elsewhere
#: already (`daemon.drop_inherited_fds`), so closing it is not theirs to do either.
_inherited: list[Reactor] = []


def _forget_after_fork() -> None:
    reactor = getattr(_local, "reactor", None)
    if reactor is not None:
        _inherited.append(reactor)
        _local.reactor = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)


def current() -> Reactor:
    """This thread's reactor (created on first use)."""
    reactor: Reactor | None = getattr(_local, "reactor", None)
    if reactor is None:
        reactor = _local.reactor = Reactor()
    return reactor


@contextmanager
def shielded() -> Iterator[None]:
    """Defer Ctrl-C (SIGINT) until the block ends, then raise it: children being stopped are
    stopped completely. Only the main thread receives signals; elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    if previous is not signal.default_int_handler:  # someone else handles Ctrl-C: leave it to them
        yield
        return
    pressed: list[int] = []
    signal.signal(signal.SIGINT, lambda signum, frame: pressed.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if pressed:
            raise KeyboardInterrupt
