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

from devctl.pipeline.services import ServiceSpec
from devctl.procs import start
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
#: Env var naming the repo root a process was started for: found by it after `rm -rf .devctl`.
REPO_ENV = "DEVCTL_REPO"


def child_env(svc: ServiceSpec, base: dict[str, str] | None = None, run_id: str | None = None,
              repo: str | None = None) -> dict[str, str]:
    """The parent's environment, the plan's env over it, `PYTHONUNBUFFERED=1`, and
    `DEVCTL_SERVICE` so the supervisor can attribute descendants that left the group.

    `DEVCTL_RUN=<run_id>` (recorded in state.json before any service starts) lets `down` find
    every process of this run after the supervisor was killed, even one spawned or detached
    after the last state write; `DEVCTL_REPO=<repo root>` finds them even when `.devctl/`
    (and with it the state file and the run id) is gone."""
    env = start.child_env(svc["env"], base=base)
    env[SERVICE_ENV] = svc["name"]
    if run_id:
        env[RUN_ENV] = run_id
    if repo:
        env[REPO_ENV] = repo
    return env


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
            env=child_env(svc, run_id=run_id, repo=str(paths.root)),
            stdin=subprocess.DEVNULL,
            stdout=fds[0],
            stderr=fds[1],
            close_fds=True,
        )
    finally:
        for fd in fds:
            os.close(fd)
