"""Becoming the supervisor: detach, take the lock, serve the socket, run the plan, clean up.

`launch()` is called by `devctl up` once the pipeline is done. By default it forks the CLI
(no event loop alive at that point) instead of starting a new interpreter: measured in
bench/bench_supervisor.py, this saves the interpreter start and the imports. A double fork
plus `setsid` detaches the supervisor from the terminal and the CLI; its own stdout/stderr go
to `.devctl/supervisor.log`. A pipe tells the CLI "listening" or the error that stopped it.
`DEVCTL_SUPERVISOR_MODE=exec` starts `python -m devctl.supervisor.daemon` instead (the
baseline the benchmark compares against, and an escape hatch).
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import select
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from devctl.errors import DevctlError
from devctl.procs.forked import run_child
from devctl.procs.start import popen
from devctl.supervisor.control import AlreadyRunning, acquire_lock, release_held
from devctl.supervisor.paths import Paths
from devctl.util.background import in_background

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: `up` loads this module (docs/performance.md, "T2")
if TYPE_CHECKING:  # types only: `up` imports this module in the CLI, events.py loads threads
    from typing import Any

    from devctl.pipeline.services import ServiceSpec
    from devctl.supervisor.early import EarlySupervisor
    from devctl.supervisor.events import Listener

#: How long `up` waits for the supervisor to say it is listening.
READY_TIMEOUT_S = 15.0


def build_listeners(notifiers: list[dict[str, Any]], repo_root: Path) -> list[Listener]:
    """The event listeners this supervisor feeds. Extend here (one place) to add more.

    A `NotifierBridge` (dotagent notifiers, issue 6) is added when the config has notifiers.
    """
    listeners: list[Listener] = []
    if notifiers:
        try:
            from devctl.dotagent.notify import NotifierBridge
        except ImportError as exc:
            sys.stderr.write(f"notifiers configured but unavailable: {exc}\n")
        else:
            listeners.append(NotifierBridge(notifiers, repo_root))
    return listeners


def launch(
    services: list[ServiceSpec], repo_root: Path, notifiers: list[dict[str, Any]] | None = None,
    *, mode: str | None = None, early: EarlySupervisor | None = None,
) -> int:
    """Start the detached supervisor for `services` (normalized, in start order); return its pid.

    `early`: one forked before the pipeline (`supervisor/early.py`), which gets the plan
    instead of a fresh fork; if it is gone, a fresh one is forked as usual.
    Raises AlreadyRunning when another supervisor holds the lock, DevctlError if it fails
    to come up (with the tail of its log).
    """
    from devctl.statedir import ensure_subdir

    ensure_subdir(repo_root, "logs")
    paths = Paths(repo_root)
    if early is not None and early.hand_over(services, notifiers or []):
        try:
            return _await_ready(early.ready_fd, paths)
        finally:
            early.abandon()  # only closes its pipe: the plan was handed over
    mode = mode or os.environ.get("DEVCTL_SUPERVISOR_MODE", "fork")
    read_fd, write_fd = os.pipe()
    try:
        if mode == "exec":
            _launch_exec(paths, services, notifiers or [], write_fd)
        else:
            _launch_fork(paths, services, notifiers or [], read_fd, write_fd)
        os.close(write_fd)
        write_fd = -1
        return _await_ready(read_fd, paths)
    finally:
        os.close(read_fd)
        if write_fd >= 0:
            os.close(write_fd)


def _launch_fork(paths: Paths, services: list[ServiceSpec], notifiers: list[dict[str, Any]],
                 read_fd: int, write_fd: int) -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    # Every object the CLI made so far (the pipeline, the plugin host, rich: ~20,000) goes to
    # the collector's permanent generation, in both processes. Otherwise the supervisor's first
    # collections walk them all between the fork and its first spawns, and each page they touch
    # is copied (copy-on-write); the CLI's own collections while it waits do the same on its
    # side. They are not garbage (a full collection in the supervisor of an `up` found none),
    # and the CLI froze them before it exits anyway. Measured: docs/performance.md, P6.
    gc.freeze()
    pid = os.fork()
    if pid:
        os.waitpid(pid, 0)  # the middle process exits at once
        return

    def child() -> int:
        os.close(read_fd)
        os.setsid()
        if os.fork():
            os._exit(0)
        detach_stdio(paths.daemon_log)
        drop_inherited_fds(keep=write_fd)
        return run_daemon(paths, services, notifiers, write_fd)

    run_child(child)


def _launch_exec(paths: Paths, services: list[ServiceSpec], notifiers: list[dict[str, Any]],
                 write_fd: int) -> None:
    import tempfile  # exec mode only: with shutil and random, ~5 ms of every `up`'s import

    fd, plan_file = tempfile.mkstemp(prefix=".plan.", suffix=".json", dir=paths.state_dir)
    with os.fdopen(fd, "w") as fh:
        json.dump({"services": services, "notifiers": notifiers}, fh)
    with open(paths.daemon_log, "ab") as log:
        popen(
            [sys.executable, "-m", "devctl.supervisor.daemon", str(paths.root), plan_file, str(write_fd)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, pass_fds=(write_fd,), cwd=paths.root,
        )


def detach_stdio(log_path: Path) -> None:
    devnull = os.open(os.devnull, os.O_RDONLY)
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(devnull, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(devnull)
    os.close(log)


def drop_inherited_fds(keep: int | tuple[int, ...]) -> None:
    """Let go of every descriptor 3+ the CLI inherited from its caller, except `keep`.

    A fork keeps them all: `flock L devctl up` would hold L, and `devctl up 7>&1 | cat` would
    keep the pipe open, until `down`. Each is pointed at /dev/null with `dup2` rather than
    closed, so a Python object that still owns the number can never close a file the
    supervisor opens later under that number. (Exec mode needs none of this: `close_fds`.)
    """
    try:
        fds = [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:  # not Linux: every plausible number
        fds = list(range(3, min(os.sysconf("SC_OPEN_MAX"), 4096)))
    kept = {keep} if isinstance(keep, int) else set(keep)
    devnull = os.open(os.devnull, os.O_RDWR | os.O_CLOEXEC)
    kept.add(devnull)
    for fd in fds:
        if fd > 2 and fd not in kept:
            with contextlib.suppress(OSError):
                os.dup2(devnull, fd, inheritable=False)
    os.close(devnull)


def _await_ready(read_fd: int, paths: Paths) -> int:
    buf = b""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while b"\n" not in buf:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([read_fd], [], [], left)[0]:
            raise DevctlError("the supervisor did not start in time", details=_log_tail(paths))
        chunk = os.read(read_fd, 4096)
        if not chunk:
            raise DevctlError("the supervisor exited while starting", details=_log_tail(paths))
        buf += chunk
    line = buf.split(b"\n", 1)[0].decode("utf-8", "replace")
    status, _, rest = line.partition(" ")
    if status == "ok":
        return int(rest)
    if status == "running":
        raise AlreadyRunning(rest)
    raise DevctlError(f"the supervisor failed to start: {rest}", details=_log_tail(paths))


def _log_tail(paths: Paths, n: int = 20) -> list[str]:
    """The supervisor log's last lines: read backwards, each cut at 64 KiB (`logs.tail_lines`),
    so a huge log (the supervisor keeps one across runs) costs what its last lines cost."""
    from devctl.supervisor.logs import tail_lines

    try:
        return tail_lines(paths.daemon_log, n)
    except OSError:
        return []


def run_daemon(paths: Paths, services: list[ServiceSpec], notifiers: list[dict[str, Any]],
               ready_fd: int, other_holders: Callable[[], list[int]] | None = None) -> int:
    """The supervisor's whole life, in this (already detached) process. Returns an exit code.

    `other_holders`: the look for another supervisor's lock (`look_for_other_holders`), if it
    was started already (the early supervisor starts it while it waits for the plan)."""
    from devctl.procs import tasks

    def tell(message: str) -> None:
        nonlocal ready_fd
        if ready_fd >= 0:
            with contextlib.suppress(OSError):
                os.write(ready_fd, (message + "\n").encode())
                os.close(ready_fd)
            ready_fd = -1

    try:
        lock_fd = acquire_lock(paths.lock)
    except AlreadyRunning as exc:
        tell(f"running {exc.message}")
        return 1
    # A supervisor whose lock file was removed (`rm -rf .devctl`) still holds the old one:
    # a second set of services must not start next to it. The look reads /proc/locks, which
    # mostly waits in the kernel (5-18 ms of wall time for 0.2 ms of CPU on the development
    # box): it runs in a thread while this one names the process and imports the modules
    # that serve the plan. Nothing is written and nothing starts before its answer.
    if other_holders is None:
        other_holders = look_for_other_holders(paths)
    from devctl.util.proctitle import set_comm

    set_comm("devctl-supervisor")  # the command line follows once it spawned (`_name_process`)
    from devctl.supervisor import handlers, runtime  # noqa: F401 - for _serve_plan, meanwhile

    if other := other_holders():
        tell(f"running a supervisor already runs for this repo (pid {other[0]}; its .devctl/ was removed: "
             "`devctl down` stops it)")
        with contextlib.suppress(OSError):
            paths.lock.unlink()
        os.close(lock_fd)
        return 1
    clean = False
    try:
        os.chdir(paths.root)
        tasks.run(_serve_plan, paths, services, notifiers, lambda: tell(f"ok {os.getpid()}"))
        clean = True
        return 0
    except BaseException as exc:
        tell(f"error {type(exc).__name__}: {exc}")
        raise
    finally:
        # state.json goes only after a clean shutdown (every service stopped). After a crash it is
        # the one record of what still runs: `down` stops those services from it, `up` refuses
        # to start a second set. Deleting it here orphaned them.
        for path in (paths.sock, paths.state, paths.lock) if clean else (paths.sock, paths.lock):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        os.close(lock_fd)
        release_held()  # `down` may go on now: nothing of ours is left but this exit (control.py)


def look_for_other_holders(paths: Paths) -> Callable[[], list[int]]:
    """Start the look for other processes holding this repo's supervisor lock (live, or on a
    removed file) in a thread; the function returned waits for its answer (their pids).

    Our own pid is left out, so it may start before or after we take the lock: a holder that
    is not us is another supervisor either way."""
    return in_background(_other_lock_holders, paths, os.getpid(), name="devctl-lock-look")


def _other_lock_holders(paths: Paths, me: int) -> list[int]:
    from devctl.procs.pids import lock_holders

    return lock_holders(str(paths.lock), exclude=me)


async def _serve_plan(paths: Paths, services: list[ServiceSpec], notifiers: list[dict[str, Any]],
                      announce: Any) -> None:
    from devctl.supervisor.control import serve
    from devctl.supervisor.events import EventLog
    from devctl.supervisor.handlers import make_handler
    from devctl.supervisor.runtime import Supervisor

    events = EventLog(paths.events, build_listeners(notifiers, paths.root))
    try:
        sup = Supervisor(paths, services, events)
        handler = make_handler(sup)

        async def serve_and_name(tg: Any) -> Any:
            tg.start_soon(_name_process, paths.root)
            return await serve(paths.sock, handler, tg)

        await sup.run(announce, serve_and_name)
    finally:
        events.emit(None, "supervisor_stopped", pid=os.getpid())
        events.close()
        # We are a child subreaper: whatever is still below us (a daemon a service started
        # with `env -i setsid -f`, a notifier's child in a session of its own) was started
        # on this run's behalf and has no one else to stop it.
        from devctl.procs.freeze import stop_descendants

        stop_descendants(os.getpid(), grace=1.0)


async def _name_process(root: Path) -> None:
    """Show the supervisor as `devctl supervisor <repo>` in `ps`, not `…/devctl up` (util/
    proctitle.py), from the first turn of its loop after its first spawn: setproctitle imports
    `logging`, ~8 ms of CPU that the plan, once handed over, no longer waits for
    (docs/performance.md, "T2"). `up` returns well after: its services must be ready first."""
    from devctl.procs import tasks
    from devctl.util.proctitle import set_title

    await tasks.sleep(0)
    set_title(f"devctl supervisor {root}", "devctl-supervisor")


def main(argv: list[str] | None = None) -> int:
    """`python -m devctl.supervisor.daemon REPO_ROOT PLAN_FILE READY_FD` (exec mode)."""
    root, plan_file, ready = (argv if argv is not None else sys.argv[1:])[:3]
    with open(plan_file) as fh:
        plan = json.load(fh)
    os.unlink(plan_file)
    return run_daemon(Paths(Path(root)), plan["services"], plan.get("notifiers") or [], int(ready))


if __name__ == "__main__":
    sys.exit(main())
