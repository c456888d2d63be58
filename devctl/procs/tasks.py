"""Structured concurrency on the blocking reactor: the supervisor's event loop without asyncio.

Why not anyio: the supervisor is forked as `devctl up` starts, and it must be ready to spawn
the moment the plan arrives, ~150-200 ms later. Importing anyio with its asyncio backend cost
it 100-150 ms of CPU in exactly that window, while the CLI imported and the plugins planned on
the same two cores, so the plan waited for it (docs/performance.md, "The supervisor's loop").
What the supervisor needs from a loop is small and is what this module gives, on
`procs/reactor.py` (epoll, pidfds, a timer heap) and native coroutines:

- tasks in task groups: a group's `async with` ends once every child has; a child that raises
  cancels its siblings, and the errors come out as one `BaseExceptionGroup`;
- cancel scopes with deadlines and shields (`move_on_after`, `fail_after`): cancelling a scope
  throws `Cancelled` into every task inside it at the point where it waits, or at its next
  checkpoint; a shielded scope keeps what is inside it running while an outer one is cancelled;
- waiting for a time, an fd, a child's exit, an `Event`, a `Lock`, a `Queue`, a signal, or a
  function run in a thread.

The names and the rules follow anyio's (and trio's), so the supervisor's code reads the same.
One loop per thread; only `Loop.call_soon_threadsafe` may be called from another thread.
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import threading
import time
import types
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from contextlib import contextmanager

from devctl.procs import reactor as _reactor
from devctl.util.generic import Generic

# Not `typing.TYPE_CHECKING`: the early supervisor imports this module while `up` plans, and
# its imports must be done when the plan arrives (docs/performance.md, "T2").
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TypeVar

    T = TypeVar("T")
    Item = TypeVar("Item")
else:
    Item = object  # read by type checkers only (util/generic.py)
Abort = Callable[[], None]


class Cancelled(BaseException):  # noqa: N818 - the name anyio and trio use for the same thing
    """Thrown into a task at an await when a cancel scope around it is cancelled. Never catch it
    without re-raising: the scope that was cancelled catches it on its way out."""


class WouldBlock(Exception):  # noqa: N818 - anyio's name
    """`Queue.get_nowait` on an empty queue."""


class EndOfStream(Exception):  # noqa: N818 - anyio's name
    """`Queue.get` on a queue that is closed and empty."""


# ---- tasks and the loop ----------------------------------------------------------------------


class Task:
    """A coroutine being run, with the cancel scopes it runs inside (outermost first)."""

    __slots__ = ("abort", "coro", "done", "error", "loop", "on_done", "result", "scopes")

    def __init__(self, coro: Coroutine[Any, Any, Any], loop: Loop, scopes: list[CancelScope]):
        self.coro = coro
        self.loop = loop
        self.scopes = scopes
        self.done = False
        self.result: Any = None
        self.error: BaseException | None = None
        #: While it waits: how to undo what would wake it (None: the wait cannot be cancelled).
        self.abort: Abort | None = None
        self.on_done: Callable[[Task], None] | None = None

    def cancelled(self) -> bool:
        """Whether a cancelled scope reaches this task: the innermost cancelled scope with no
        shield between it and the task."""
        for scope in reversed(self.scopes):
            if scope.cancel_called:
                return True
            if scope.shield:
                return False
        return False


class Loop:
    """The run queue of one `run`: tasks ready to step, tasks waiting, and a wake-up pipe for
    other threads and signal handlers."""

    def __init__(self, reactor: _reactor.Reactor):
        self.reactor = reactor
        self.ready: deque[tuple[Task, Any, BaseException | None]] = deque()
        self.current: Task | None = None
        #: Tasks waiting in a cancellable wait (their `abort` set).
        self.waiting: set[Task] = set()
        self._calls: deque[Callable[[], None]] = deque()
        self.signals: deque[int] = deque()
        self.receivers: dict[int, list[Queue[int]]] = {}
        #: Held while the wake-up pipe is written or closed: a thread that hands something
        #: over after the loop ended must not write into a descriptor number reused by then.
        self._wake_lock = threading.Lock()
        self._closed = False
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        reactor.add_reader(self._wake_r, self._drain)

    def spawn(self, coro: Coroutine[Any, Any, Any], scopes: list[CancelScope]) -> Task:
        task = Task(coro, self, scopes)
        self.ready.append((task, None, None))
        return task

    def reschedule(self, task: Task, value: Any = None, error: BaseException | None = None) -> None:
        """Make a waiting task ready (with what its await returns, or raises)."""
        task.abort = None
        self.waiting.discard(task)
        self.ready.append((task, value, error))

    def cancel_waiting(self, scope: CancelScope) -> None:
        """`scope` was cancelled: every task waiting inside it that the cancel reaches is woken
        with `Cancelled` (what it waited on is undone first)."""
        for task in [t for t in self.waiting if scope in t.scopes]:
            if task.cancelled() and task.abort is not None:
                abort = task.abort
                abort()
                self.reschedule(task, error=Cancelled())

    def step(self, task: Task, value: Any, error: BaseException | None) -> None:
        self.current = task
        try:
            abort = task.coro.throw(error) if error is not None else task.coro.send(value)
        except StopIteration as stop:
            self._finish(task, stop.value, None)
        except BaseException as exc:  # noqa: BLE001 - handed to the task's group (or `run`)
            self._finish(task, None, exc)
        else:  # it waits: `_wait` yielded how to undo what will wake it
            task.abort = abort
            if abort is not None:
                self.waiting.add(task)
        finally:
            self.current = None

    def _finish(self, task: Task, result: Any, error: BaseException | None) -> None:
        task.done, task.result, task.error = True, result, error
        if task.on_done is not None:
            task.on_done(task)

    # ---- from other threads and signal handlers -------------------------------------------

    def call_soon_threadsafe(self, callback: Callable[[], None]) -> None:
        self._calls.append(callback)  # deque.append is atomic
        self._poke()

    def _poke(self, *, blocking: bool = True) -> None:
        """Wake the loop. `blocking=False` (the signal handler, which runs on the loop's own
        thread between any two bytecodes, maybe inside `close`): skip rather than wait."""
        if not self._wake_lock.acquire(blocking):
            return
        try:
            if not self._closed:
                with contextlib.suppress(BlockingIOError):  # full: a wake-up is pending already
                    os.write(self._wake_w, b"\0")
        finally:
            self._wake_lock.release()

    def _drain(self) -> None:
        try:
            while os.read(self._wake_r, 4096):
                pass
        except BlockingIOError:
            pass
        while self._calls:
            self._calls.popleft()()
        while self.signals:
            signum = self.signals.popleft()
            for queue in self.receivers.get(signum, ()):
                queue.put_nowait(signum)

    def close(self) -> None:
        self.reactor.remove_reader(self._wake_r)
        with self._wake_lock:
            self._closed = True
            os.close(self._wake_r)
            os.close(self._wake_w)


_local = threading.local()


def _loop() -> Loop:
    loop: Loop | None = getattr(_local, "loop", None)
    if loop is None:
        raise RuntimeError("not inside devctl.procs.tasks.run()")
    return loop


def current_task() -> Task:
    task = _loop().current
    if task is None:
        raise RuntimeError("not inside a task")
    return task


def run(fn: Callable[..., Awaitable[T]], *args: Any) -> T:
    """Run `fn(*args)` to its end on a reactor of its own and return what it returns (or raise
    what it raises), like `anyio.run`. Every task it starts has ended when this returns."""
    if getattr(_local, "loop", None) is not None:
        raise RuntimeError("tasks.run() is already running in this thread")
    # A reactor of its own, not the thread's: nothing another user of this thread registered
    # (a plugin host's pipes) is dispatched by it, and a forked child's inherited one (the
    # parent's epoll instance) is never touched.
    loop = Loop(_reactor.Reactor())
    coro = fn(*args)
    root = loop.spawn(coro, [])  # type: ignore[arg-type]
    _local.loop = loop
    try:
        ready = loop.ready
        while not root.done:
            # One turn: the tasks that are ready now, each stepped once; a task made ready
            # meanwhile (a checkpoint, a lock handed on) waits for the next turn, after the due
            # timers and the ready fds have had their look. Draining the queue instead let a
            # task that checkpoints in a loop (the supervisor spawning 50 services, one per
            # turn) starve every timer: no probe ran until the last spawn (asyncio's rule too).
            for _ in range(len(ready)):
                if root.done:
                    break
                loop.step(*ready.popleft())
            if root.done:
                break
            if ready:
                loop.reactor.poll()
            else:
                loop.reactor.run_until(lambda: bool(ready))
    finally:
        _local.loop = None
        loop.close()
        loop.reactor.close()
    if root.error is not None:
        raise root.error
    return root.result  # type: ignore[no-any-return]


def current_loop() -> Loop:
    """The loop of the current `run`. A worker thread is handed it, to call
    `loop.call_soon_threadsafe(callback)`: the one thing it may do with it."""
    return _loop()


def current_time() -> float:
    return time.monotonic()


@types.coroutine
def _wait(abort: Abort | None) -> Any:
    """Suspend the current task until something reschedules it; `abort` undoes the wake-up
    arrangement if the wait is cancelled (None: it cannot be)."""
    return (yield abort)


def _checkpoint_if_cancelled(task: Task) -> None:
    if task.cancelled():
        raise Cancelled()


async def checkpoint() -> None:
    """Let every other ready task run first; raises `Cancelled` if a cancel reaches us."""
    task = current_task()
    _checkpoint_if_cancelled(task)
    task.loop.ready.append((task, None, None))
    await _wait(None)


async def sleep_until(when: float) -> None:
    task = current_task()
    _checkpoint_if_cancelled(task)
    loop = task.loop
    timer = loop.reactor.call_at(when, lambda: loop.reschedule(task))
    await _wait(timer.cancel)


async def sleep(seconds: float) -> None:
    if seconds <= 0:
        await checkpoint()
    else:
        await sleep_until(time.monotonic() + seconds)


# ---- cancel scopes ---------------------------------------------------------------------------


class CancelScope:
    """A `with` block that can be cancelled (or times out at `deadline`): the tasks inside it
    get `Cancelled` where they wait, and the scope swallows it on the way out."""

    __slots__ = ("_deadline", "_host", "_timer", "cancel_called", "cancelled_caught", "shield")

    def __init__(self, *, deadline: float = math.inf, shield: bool = False):
        self._deadline = deadline
        self.shield = shield
        self.cancel_called = False
        self.cancelled_caught = False
        self._host: Task | None = None
        self._timer: _reactor.Timer | None = None

    @property
    def deadline(self) -> float:
        return self._deadline

    @deadline.setter
    def deadline(self, value: float) -> None:
        self._deadline = value
        if self._host is not None:
            self._arm()

    def cancel(self) -> None:
        if self.cancel_called:
            return
        self.cancel_called = True
        self._disarm()
        if self._host is not None:
            self._host.loop.cancel_waiting(self)

    def _arm(self) -> None:
        self._disarm()
        if self.cancel_called or self._deadline == math.inf or self._host is None:
            return
        if self._deadline <= time.monotonic():
            self.cancel()
        else:
            self._timer = self._host.loop.reactor.call_at(self._deadline, self.cancel)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def __enter__(self) -> CancelScope:
        if self._host is not None:
            raise RuntimeError("a cancel scope can be entered only once")
        task = current_task()
        self._host = task
        task.scopes.append(self)
        self._arm()
        return self

    def __exit__(self, etype: type[BaseException] | None, exc: BaseException | None, tb: Any) -> bool:
        task = self._host
        assert task is not None and task.scopes and task.scopes[-1] is self, "cancel scopes must nest"
        task.scopes.pop()
        self._disarm()
        self._host = None
        if isinstance(exc, Cancelled) and self.cancel_called:
            self.cancelled_caught = True
            return True
        return False


def move_on_after(seconds: float | None, *, shield: bool = False) -> CancelScope:
    """A scope cancelled `seconds` from now (None: never); the block just ends when it is."""
    deadline = math.inf if seconds is None else time.monotonic() + seconds
    return CancelScope(deadline=deadline, shield=shield)


@contextmanager
def fail_after(seconds: float | None, *, shield: bool = False) -> Iterator[CancelScope]:
    """`move_on_after`, but reaching the deadline raises TimeoutError."""
    with move_on_after(seconds, shield=shield) as scope:
        yield scope
    if scope.cancelled_caught:
        raise TimeoutError


# ---- task groups -----------------------------------------------------------------------------


class TaskGroup:
    """`async with create_task_group() as tg: tg.start_soon(fn, ...)`: the block ends once every
    child has ended. The first child that raises cancels the rest (and the block); every error
    is raised together as a `BaseExceptionGroup`."""

    def __init__(self) -> None:
        self.cancel_scope = CancelScope()
        self._host: Task | None = None
        self._scopes: list[CancelScope] = []
        self._children: set[Task] = set()
        self._errors: list[BaseException] = []
        self._host_waiting = False
        self._active = False

    async def __aenter__(self) -> TaskGroup:
        self.cancel_scope.__enter__()
        self._host = current_task()
        self._scopes = list(self._host.scopes)
        self._active = True
        return self

    def start_soon(self, fn: Callable[..., Awaitable[Any]], *args: Any) -> None:
        if not self._active or self._host is None:
            raise RuntimeError("this task group is not active")
        child = self._host.loop.spawn(fn(*args), list(self._scopes))  # type: ignore[arg-type]
        child.on_done = self._child_done
        self._children.add(child)

    def _child_done(self, child: Task) -> None:
        self._children.discard(child)
        if child.error is not None and not isinstance(child.error, Cancelled):
            self._errors.append(child.error)
            self.cancel_scope.cancel()
        if not self._children and self._host_waiting and self._host is not None:
            self._host_waiting = False
            self._host.loop.reschedule(self._host)

    async def __aexit__(self, etype: type[BaseException] | None, exc: BaseException | None, tb: Any) -> bool:
        if exc is not None and not isinstance(exc, Cancelled):
            self._errors.append(exc)
            self.cancel_scope.cancel()
        while self._children:  # not cancellable: the children are cancelled with us, if we are
            self._host_waiting = True
            await _wait(None)
        self._active = False
        if self._errors:
            self.cancel_scope.__exit__(None, None, None)
            errors, self._errors = self._errors, []
            raise BaseExceptionGroup("errors in a task group", errors)
        swallowed = self.cancel_scope.__exit__(etype, exc, tb)
        if (exc is None or swallowed) and self._host is not None and self._host.cancelled():
            raise Cancelled()  # its end is a cancel point (as anyio's): an outer cancel goes on
        return swallowed


def create_task_group() -> TaskGroup:
    return TaskGroup()


# ---- waiting on things -----------------------------------------------------------------------


class Event:
    """Set once; every task waiting for it (and every later `wait`) goes on."""

    __slots__ = ("_set", "_waiters")

    def __init__(self) -> None:
        self._set = False
        self._waiters: dict[Task, None] = {}

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        if self._set:
            return
        self._set = True
        waiters, self._waiters = self._waiters, {}
        for task in waiters:
            task.loop.reschedule(task)

    async def wait(self) -> None:
        if self._set:
            await checkpoint()
            return
        task = current_task()
        _checkpoint_if_cancelled(task)
        self._waiters[task] = None
        await _wait(lambda: self._waiters.pop(task, None))


class Lock:
    """One holder at a time, the others served in the order they asked (not reentrant)."""

    def __init__(self) -> None:
        self._owner: Task | None = None
        self._waiters: dict[Task, None] = {}

    def locked(self) -> bool:
        return self._owner is not None

    async def acquire(self) -> None:
        task = current_task()
        _checkpoint_if_cancelled(task)
        if self._owner is None:
            self._owner = task
            return
        self._waiters[task] = None
        await _wait(lambda: self._waiters.pop(task, None))  # woken as the owner (`release`)

    def release(self) -> None:
        if self._waiters:
            task = next(iter(self._waiters))
            del self._waiters[task]
            self._owner = task
            task.loop.reschedule(task)
        else:
            self._owner = None

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(self, *exc: object) -> None:
        self.release()


class Queue(Generic[Item]):
    """Unbounded, first in first out, for tasks of one loop; `close` ends it for readers."""

    def __init__(self) -> None:
        self._items: deque[Item] = deque()
        self._getters: dict[Task, None] = {}
        self._closed = False

    def __len__(self) -> int:
        return len(self._items)

    def put_nowait(self, item: Item) -> None:
        if self._closed:
            raise RuntimeError("put on a closed queue")
        self._items.append(item)
        self._wake_one()

    def get_nowait(self) -> Item:
        if self._items:
            return self._items.popleft()
        if self._closed:
            raise EndOfStream
        raise WouldBlock

    async def get(self) -> Item:
        task = current_task()
        while True:
            try:
                return self.get_nowait()
            except WouldBlock:
                _checkpoint_if_cancelled(task)
                self._getters[task] = None
                await _wait(lambda: self._getters.pop(task, None))

    def close(self) -> None:
        self._closed = True
        getters, self._getters = self._getters, {}
        for task in getters:
            task.loop.reschedule(task)

    def _wake_one(self) -> None:
        if self._getters:
            task = next(iter(self._getters))
            del self._getters[task]
            task.loop.reschedule(task)

    def __aiter__(self) -> Queue[Item]:
        return self

    async def __anext__(self) -> Item:
        try:
            return await self.get()
        except EndOfStream:
            raise StopAsyncIteration from None


def _fileno(obj: int | Any) -> int:
    return obj if isinstance(obj, int) else int(obj.fileno())


async def wait_readable(obj: int | Any) -> None:
    """Until the fd (or socket) can be read without blocking (or is at end of file)."""
    await _wait_fd(_fileno(obj), writable=False)


async def wait_writable(obj: int | Any) -> None:
    """Until the fd (or socket) can be written without blocking (a connect has finished)."""
    await _wait_fd(_fileno(obj), writable=True)


async def _wait_fd(fd: int, *, writable: bool) -> None:
    task = current_task()
    _checkpoint_if_cancelled(task)
    loop = task.loop
    reactor = loop.reactor
    add, remove = (reactor.add_writer, reactor.remove_writer) if writable else (reactor.add_reader,
                                                                                 reactor.remove_reader)

    def ready() -> None:
        remove(fd)
        loop.reschedule(task)

    add(fd, ready)
    await _wait(lambda: remove(fd))


async def wait_exit(popen: Any) -> None:
    """Until our child `popen` has exited and been reaped (`popen.returncode` is then set):
    woken by its pidfd, exactly when it happens (a 20 ms poll where there is no pidfd)."""
    if popen.poll() is not None:
        await checkpoint()
        return
    task = current_task()
    _checkpoint_if_cancelled(task)
    loop = task.loop
    stop = loop.reactor.watch_exit(popen, lambda: loop.reschedule(task))
    await _wait(stop)


async def run_sync_in_thread(fn: Callable[..., T], *args: Any, abandon_on_cancel: bool = False,
                             on_abandon: Callable[[], None] | None = None, name: str | None = None) -> T:
    """`fn(*args)` in a new thread, without blocking the loop; returns what it returns (or
    raises what it raised).

    Not cancellable by default (as anyio's `to_thread.run_sync`): the task waits for the
    function whatever happens meanwhile. With `abandon_on_cancel` (anyio's name too), a cancel
    ends the wait at once (a probe's deadline holds while its HTTP request or name lookup still
    runs): `on_abandon` runs on the loop's thread (to make the function give up, say), the
    thread finishes on its own, and what it returns then is dropped without touching the loop
    (the hand-over is posted under a lock only while the call is not abandoned, so it never
    reaches a loop that has ended since)."""
    task = current_task()
    _checkpoint_if_cancelled(task)
    loop = task.loop
    outcome: list[tuple[bool, Any]] = []
    lock = threading.Lock()
    abandoned = False

    def hand_over(result: tuple[bool, Any]) -> None:  # on the loop's thread
        if not abandoned:
            outcome.append(result)
            loop.reschedule(task)

    def work() -> None:  # in the worker thread
        result: tuple[bool, Any]
        try:
            result = (True, fn(*args))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the waiting task
            result = (False, exc)
        with lock:
            if not abandoned:
                loop.call_soon_threadsafe(lambda: hand_over(result))

    def abandon() -> None:  # on the loop's thread, when the wait is cancelled
        nonlocal abandoned
        with lock:
            abandoned = True
        if on_abandon is not None:
            on_abandon()

    thread_name = name or f"devctl-{getattr(fn, '__name__', 'thread')}"
    threading.Thread(target=work, name=thread_name, daemon=True).start()
    await _wait(abandon if abandon_on_cancel else None)
    ok, value = outcome[0]
    if not ok:
        raise value
    return value  # type: ignore[no-any-return]


class SignalReceiver:
    """What `open_signal_receiver` yields: `async for signum in receiver`."""

    def __init__(self, queue: Queue[int]):
        self._queue = queue

    def __aiter__(self) -> SignalReceiver:
        return self

    async def __anext__(self) -> int:
        return await self._queue.get()


@contextmanager
def open_signal_receiver(*signums: int) -> Iterator[SignalReceiver]:
    """Receive these signals in a task instead of their default action (main thread only).

    The handler only notes the signal and writes to the loop's wake-up pipe (it may run between
    any two bytecodes of the loop); the loop hands it to the receiver on its next turn."""
    loop = _loop()
    queue: Queue[int] = Queue()

    def handler(signum: int, frame: Any) -> None:
        loop.signals.append(signum)
        loop._poke(blocking=False)

    previous = {}
    for signum in signums:
        loop.receivers.setdefault(signum, []).append(queue)
        previous[signum] = signal.signal(signum, handler)
    try:
        yield SignalReceiver(queue)
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)
            loop.receivers[signum].remove(queue)
