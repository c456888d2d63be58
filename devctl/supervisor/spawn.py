"""Start one service: its own process group, argv without a shell, logs straight to files.

By default devctl is not on the log path: the two log files are opened here and handed to the
child as its fds 1 and 2, so the kernel writes every byte even if the supervisor dies, and
throughput is that of `cmd > file`. Only a service whose plan asks for line timestamps or size
rotation (`logs:`) gets pipes instead, read by a log writer process of its own
(`supervisor/logwriter.py`, which says why it is a process and not the supervisor).
The previous run's files are rotated first: `.log` → `.log.1` (… up to `logs.keep`).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from devctl.pipeline.log_spec import LogOptions
from devctl.pipeline.services import ServiceSpec
from devctl.procs import identity, start
from devctl.supervisor import logfiles, logwriter
from devctl.supervisor.markers import REPO_ENV as REPO_ENV  # re-exported: where callers found them
from devctl.supervisor.markers import RUN_ENV as RUN_ENV
from devctl.supervisor.markers import SERVICE_ENV as SERVICE_ENV
from devctl.supervisor.paths import Paths

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: imported while `up` plans (docs/performance.md, "T2")
if TYPE_CHECKING:
    from typing import Any

STREAMS = ("stdout", "stderr")


def rotate(path: Path, keep: int = 1) -> None:
    """Shift the generations: `path` → `path.1` …, keeping `keep` old ones; a missing file is fine."""
    logfiles.shift(path, keep)


def open_log(path: Path) -> int:
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND | os.O_CLOEXEC, 0o600)


def child_env(svc: ServiceSpec, base: dict[str, str] | None = None, run_id: str | None = None,
              repo: str | None = None) -> dict[str, str]:
    """The parent's environment, the plan's env over it, `PYTHONUNBUFFERED=1`, and
    `DEVCTL_SERVICE` so the supervisor can attribute descendants that left the group.

    `DEVCTL_RUN=<run_id>` (recorded in state.json before any service starts) lets `down` find
    every process of this run after the supervisor was killed, even one spawned or detached
    after the last state write; `DEVCTL_REPO=<repo root>` finds them even when `.devctl/`
    (and with it the state file and the run id) is gone."""
    user = identity.for_child(svc.get("user"))
    # A `user:` service gets that user's HOME/USER/LOGNAME; the plan's own env still wins.
    env = start.child_env({**(user.env() if user else {}), **svc["env"]}, base=base)
    env[SERVICE_ENV] = svc["name"]
    if run_id:
        env[RUN_ENV] = run_id
    if repo:
        env[REPO_ENV] = repo
    return env


def _as_user(svc: ServiceSpec) -> dict[str, Any]:
    """Popen keywords that switch to the service's `user` before exec (none to stay as we are)."""
    user = identity.for_child(svc.get("user"))
    return user.popen_options() if user else {}


def spawn(svc: ServiceSpec, paths: Paths, run_id: str | None = None) -> subprocess.Popen[bytes]:
    """Rotate the logs and start the service. Raises OSError (e.g. ENOENT) naming nothing:
    the caller adds the service name."""
    options = svc.get("logs")
    fds: list[int] = []
    writer = None
    try:
        for stream in STREAMS:
            log = paths.log(svc["name"], stream)
            rotate(log, options["keep"] if options else 1)
            fds.append(open_log(log))
        if options and (options["timestamps"] or options["max_size"] is not None):
            writer, fds = _start_writer(svc["name"], paths, options, fds)
        proc = start.popen(  # own session and process group: pgid == pid
            svc["command"],
            cwd=svc["cwd"],
            env=child_env(svc, run_id=run_id, repo=str(paths.root)),
            stdin=subprocess.DEVNULL,
            stdout=fds[0],
            stderr=fds[1],
            close_fds=True,
            **_as_user(svc),
        )
        if writer is not None:
            _writers[proc.pid] = writer
        return proc
    finally:
        for fd in fds:
            os.close(fd)
        if writer is not None and writer.pid not in {w.pid for w in _writers.values()}:
            _writers[-writer.pid] = writer  # the service did not start: reaped with the others


#: Log writers by the pid of their service (pruned at every spawn once they have exited; the
#: supervisor's sweep may reap them first: they are its children, Popen then sees ECHILD).
_writers: dict[int, subprocess.Popen[bytes]] = {}


def _start_writer(name: str, paths: Paths, options: LogOptions, files: list[int],
                  ) -> tuple[subprocess.Popen[bytes], list[int]]:
    """Start `name`'s log writer; returns it and the pipe ends the service gets as fds 1 and 2.

    `files` (the freshly created log files) are closed: the writer opens them by name, in
    append mode, and rotates them. Raises OSError when the writer cannot start."""
    for fd in files:
        os.close(fd)
    files.clear()
    for key in [k for k, w in _writers.items() if w.poll() is not None]:
        del _writers[key]
    pipes = [os.pipe() for _ in STREAMS]  # non-inheritable: only pass_fds crosses exec
    try:
        env = {k: v for k, v in os.environ.items() if k not in (RUN_ENV, SERVICE_ENV)}
        writer = start.popen(
            logwriter.argv([(r, paths.log(name, s)) for (r, _w), s in zip(pipes, STREAMS, strict=True)],
                           dict(options)),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, env=env, cwd="/",
            pass_fds=[r for r, _w in pipes], close_fds=True,
        )
    except BaseException:
        for r, w in pipes:
            os.close(w)
            os.close(r)
        raise
    for r, _w in pipes:
        os.close(r)
    return writer, [w for _r, w in pipes]


#: How long the supervisor waits, after a service exited, for its log writer to finish.
WRITER_DRAIN_S = 0.5


async def writer_drained(pid: int, timeout: float = WRITER_DRAIN_S) -> None:
    """After service `pid` exited: wait (bounded) until its log writer, if it has one, wrote
    what the pipes held and exited, so whoever reads the log on the exit event (`up`'s report
    of a failed service) sees its last lines. The writer exits once nothing holds the pipes; if
    a descendant still does, the wait ends at `timeout` and the writer goes on by itself."""
    writer = _writers.get(pid)
    if writer is None:
        return
    from devctl.procs import tasks

    with tasks.move_on_after(timeout):
        await tasks.wait_exit(writer)
