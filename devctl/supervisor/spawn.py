"""Start one service: its own process group, argv without a shell, logs straight to files.

devctl is not on the log path: the two log files are opened here and handed to the child as
its fds 1 and 2, so the kernel writes every byte even if the supervisor dies, and throughput
is that of `cmd > file`. The previous run's files are rotated to `.1` first (one generation).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path
from typing import Any

from devctl.pipeline.services import ServiceSpec
from devctl.procs import identity, start
from devctl.supervisor.paths import Paths

STREAMS = ("stdout", "stderr")


def rotate(path: Path) -> None:
    """Move `path` to `path.1` (replacing an older `.1`); a missing file is fine."""
    with contextlib.suppress(FileNotFoundError):
        os.replace(path, path.with_name(path.name + ".1"))


def open_log(path: Path) -> int:
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND | os.O_CLOEXEC, 0o600)


#: Env var naming the supervisor run a process belongs to (see `child_env`).
RUN_ENV = "DEVCTL_RUN"
#: Env var naming the service a process belongs to (see `child_env`).
SERVICE_ENV = "DEVCTL_SERVICE"


def child_env(svc: ServiceSpec, base: dict[str, str] | None = None, run_id: str | None = None,
              ) -> dict[str, str]:
    """The parent's environment, the plan's env over it, `PYTHONUNBUFFERED=1`, and
    `DEVCTL_SERVICE` so the supervisor can attribute descendants that left the group.

    `DEVCTL_RUN=<run_id>` (recorded in state.json before any service starts) lets `down` find
    every process of this run after the supervisor was killed, even one spawned or detached
    after the last state write."""
    user = identity.for_child(svc.get("user"))
    # A `user:` service gets that user's HOME/USER/LOGNAME; the plan's own env still wins.
    env = start.child_env({**(user.env() if user else {}), **svc["env"]}, base=base)
    env[SERVICE_ENV] = svc["name"]
    if run_id:
        env[RUN_ENV] = run_id
    return env


def _as_user(svc: ServiceSpec) -> dict[str, Any]:
    """Popen keywords that switch to the service's `user` before exec (none to stay as we are)."""
    user = identity.for_child(svc.get("user"))
    return user.popen_options() if user else {}


def spawn(svc: ServiceSpec, paths: Paths, run_id: str | None = None) -> subprocess.Popen[bytes]:
    """Rotate the logs and start the service. Raises OSError (e.g. ENOENT) naming nothing:
    the caller adds the service name."""
    fds: list[int] = []
    try:
        for stream in STREAMS:
            log = paths.log(svc["name"], stream)
            rotate(log)
            fds.append(open_log(log))
        return start.popen(  # own session and process group: pgid == pid
            svc["command"],
            cwd=svc["cwd"],
            env=child_env(svc, run_id=run_id),
            stdin=subprocess.DEVNULL,
            stdout=fds[0],
            stderr=fds[1],
            close_fds=True,
            **_as_user(svc),
        )
    finally:
        for fd in fds:
            os.close(fd)
