"""The supervisor forked as `up` starts: it imports while the CLI reads the config and the plugins plan.

A supervisor forked after the pipeline did its own imports between the plan and the first
spawn: its start (fork until listening) went from ~40 to ~140 ms at 10 services on the 2-core
box once the CLI stopped importing asyncio and anyio for its pipeline (docs/performance.md,
"Q2"). Forked as `up` starts instead, it imports while the CLI reads the config and runs its
pipeline and the plugins plan, then blocks on a pipe until the plan arrives. (Since then the
supervisor runs on `procs/tasks.py`, without asyncio, and those imports are ~25 ms instead of
~150 ms of CPU.) It is forked before the config is even read, with nothing of the supervisor
imported: the CLI alone uses one core until it starts the plugins, and the supervisor's imports
take the other one (docs/performance.md, "U2").

What it does before the plan arrives is only that: detach (double fork, `setsid`, stdio on
/dev/null, the CLI's other descriptors let go) and import. It takes no lock, opens no log,
writes nothing, starts nothing; with the plan it becomes exactly the supervisor `daemon.launch`
would have forked (`daemon.run_daemon`: lock, the look for another holder, socket, state).
If `up` does not start one after all (a no-go, nothing to start, a failed pipeline, Ctrl-C,
an apply to a running supervisor), `abandon` kills it and waits until it is gone, so nothing
outlives the CLI; a CLI that dies on its own closes the plan pipe, and the waiting child exits
on the end of file.

Two pipes: the plan goes CLI → child (JSON, like the exec mode's plan file); the other is the
one `daemon.launch` reads "ok PID" from, on which the middle process first writes the pid of
the child it forked (so `abandon` knows whom to kill without waiting for it).
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import select
import signal
import sys
import time

from devctl.procs.forked import run_child
from devctl.supervisor.paths import Paths

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: `up` forks this before it reads its config
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

#: How long `abandon` waits for a killed early supervisor to be gone (it dies at once).
GONE_TIMEOUT_S = 2.0


class EarlySupervisor:
    """A detached child waiting for the plan; `hand_over` it once, or `abandon` it."""

    def __init__(self, paths: Paths, middle: int, plan_fd: int, ready_fd: int):
        self.paths = paths
        self._middle = middle  # the first fork, which exits once it has forked the child
        self._plan_fd = plan_fd  # write end: the plan, then end of file
        self.ready_fd = ready_fd  # read end: the child's pid (from the middle), then "ok PID"
        self.pid: int | None = None
        self.used = False

    def _child_pid(self) -> int | None:
        """Reap the middle process and read the pid it wrote (None: no child was forked)."""
        if self._middle:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self._middle, 0)
            self._middle = 0
            line = b""
            while not line.endswith(b"\n"):
                if not select.select([self.ready_fd], [], [], GONE_TIMEOUT_S)[0]:
                    break
                chunk = os.read(self.ready_fd, 1)  # one byte at a time: "ok PID" follows
                if not chunk:
                    break
                line += chunk
            self.pid = int(line) if line.strip().isdigit() else None
        return self.pid

    def hand_over(self, services: list[Any], notifiers: list[dict[str, Any]]) -> bool:
        """Send the plan; False when the child is gone (the caller forks a fresh one).

        After True, `ready_fd` says "ok PID" (or why not) as `daemon.launch` expects."""
        if self.used:
            return False
        self.used = True
        # End of file on the ready pipe: the child is gone. Checked before the write, not left
        # to it: a dead process's descriptors are released one by one (its pipe ends in any
        # order), so the plan pipe's read end may outlive the ready pipe's write end for a
        # moment, the write succeed, and the plan be lost (seen once in CI on a loaded box).
        if self._child_pid() is None or _at_eof(self.ready_fd, 0):
            self._close()
            return False
        data = json.dumps({"services": services, "notifiers": notifiers}).encode()
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(self._plan_fd, view):]
        except OSError:  # BrokenPipeError: it died while waiting
            self._kill_and_wait()
            self._close()
            return False
        os.close(self._plan_fd)
        self._plan_fd = -1
        return True

    def abandon(self) -> None:
        """`up` starts no supervisor after all: kill the child (it did nothing yet), wait until
        it is gone. Once the plan was handed over, it only closes the pipes. Never raises."""
        if not self.used:
            self.used = True
            with contextlib.suppress(OSError):
                self._child_pid()
                self._kill_and_wait()
        self._close()

    def _kill_and_wait(self) -> None:
        if self.pid is None:
            return
        # The child holds the write end of the ready pipe until it dies: end of file there
        # means gone (and, before it, the pid cannot have been reused).
        if not _at_eof(self.ready_fd, 0):
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            _at_eof(self.ready_fd, GONE_TIMEOUT_S)

    def _close(self) -> None:
        for name in ("_plan_fd", "ready_fd"):
            fd = getattr(self, name)
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
                setattr(self, name, -1)


def _at_eof(fd: int, timeout: float) -> bool:
    """Whether the pipe `fd` reaches end of file within `timeout` (what it holds is skipped)."""
    deadline = time.monotonic() + timeout
    while True:
        left = max(0.0, deadline - time.monotonic())
        if not select.select([fd], [], [], left)[0]:
            return False
        if not os.read(fd, 4096):
            return True
        if left <= 0:
            return False


def can_fork_now() -> bool:
    """A fork copies only the calling thread: with another one running (which may hold a lock
    the child would need, an import lock among them) the child could hang. `up` forks first
    thing, before its preflight thread and the plugins start."""
    threading = sys.modules.get("threading")
    return hasattr(os, "fork") and (threading is None or threading.active_count() == 1)


def fork_early(repo_root: Path) -> EarlySupervisor | None:
    """Fork the supervisor-to-be now; None when a fork is not safe here (see `can_fork_now`)."""
    if not can_fork_now():
        return None
    paths = Paths(repo_root)
    plan_r, plan_w = os.pipe()
    ready_r, ready_w = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    gc.freeze()  # as daemon._launch_fork does: the child's collections skip the CLI's objects
    try:
        middle = os.fork()
    except OSError:  # EAGAIN (a process limit): `launch` forks later and says why if it fails
        for fd in (plan_r, plan_w, ready_r, ready_w):
            os.close(fd)
        return None
    if middle:
        os.close(plan_r)
        os.close(ready_w)
        return EarlySupervisor(paths, middle, plan_w, ready_r)

    def child() -> int:
        os.close(plan_w)
        os.close(ready_r)
        os.setsid()
        grandchild = os.fork()
        if grandchild:
            os.write(ready_w, f"{grandchild}\n".encode())
            os._exit(0)
        return _wait_for_plan(paths, plan_r, ready_w)

    run_child(child)


def _wait_for_plan(paths: Paths, plan_fd: int, ready_fd: int) -> int:
    """In the detached child: let go of the CLI's terminal and descriptors, import, wait for
    the plan, then be the supervisor (or exit quietly on end of file)."""
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)
    from devctl.supervisor import daemon

    daemon.drop_inherited_fds(keep=(plan_fd, ready_fd))
    # The look for another supervisor's lock waits 5-18 ms in the kernel (/proc/locks): it runs
    # now, while we wait for the plan, instead of between the plan and the first spawn. It only
    # reads; a supervisor that holds the lock by the time the plan comes is found by
    # `acquire_lock` (the same file) or, if its file was removed meanwhile, not at all, as
    # before (the look never closed that window).
    other_holders = daemon.look_for_other_holders(paths)
    warm_up()
    chunks = []
    while chunk := os.read(plan_fd, 1 << 16):
        chunks.append(chunk)
    os.close(plan_fd)
    if not chunks:
        return 0  # `up` started no supervisor
    plan = json.loads(b"".join(chunks))
    daemon.detach_stdio(paths.daemon_log)
    return daemon.run_daemon(paths, plan["services"], plan.get("notifiers") or [], ready_fd, other_holders)


def warm_up() -> None:
    """Import what the supervisor needs before its services are ready (what it would otherwise
    import between the plan and its first spawn, or while its services start and need the CPU):
    the runtime and its loop, its request handlers, the socket server, the state file's writer,
    the lines of a `watch`, and setproctitle's extension alone, without the package's `logging`
    (util/proctitle.py). The title itself is set after the first spawn (daemon._name_process)."""
    from devctl.procs import lines  # noqa: F401
    from devctl.supervisor import control, events, handlers, runtime  # noqa: F401
    from devctl.util import atomic, proctitle  # noqa: F401

    with contextlib.suppress(Exception):  # a title is for people: `set_title` tries again, or not
        proctitle.title_module()
