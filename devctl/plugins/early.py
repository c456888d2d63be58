"""Starting plugin processes before the plugin host and the pipeline are even imported.

A Python plugin takes 30–60 ms to start its interpreter; importing the pipeline, the plugin
host and the rest of a command takes devctl about as long. `spawn_early(specs)` starts every
plugin as soon as the config is known, with only the standard library loaded, so the two happen
at once (on two cores, the plugin's start-up is then hidden behind devctl's). `launch` later
adopts each process (`take`) and goes on exactly as if it had spawned it itself — `spawn` here
is the one way a plugin is started, early or not: same argv, cwd, environment, own session,
stdin pipe owned by devctl; the handshake deadline counts from the adoption, when devctl starts
listening, so a plugin never gets less time than before.

Use it as a context manager: whatever was not adopted when the block ends — devctl failed or
was interrupted before the plugin host got to it — is killed with its process group (it was
never spoken to, so it gets no grace) and reaped, so nothing is left behind. A spawn that
fails here is simply not recorded: `start_plugin` then tries again and reports the error in
its usual words.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import subprocess
import time
from collections.abc import Iterable

from devctl.procs.start import child_env, popen

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: everything here runs before the plugins start
if TYPE_CHECKING:
    from devctl.plugins.client import SpecLike


#: Set in every plugin's environment to a value unique to that plugin process (see `spawn`).
MARK_ENV = "DEVCTL_PLUGIN_RUN"
_marks = itertools.count(1)


def plugin_env(extra: dict[str, str]) -> dict[str, str]:
    """The plugin's environment: ours, then the spec's `env`, then PYTHONUNBUFFERED=1 (so a Python
    plugin that forgets to flush still answers). See `procs.start.child_env`."""
    return child_env(extra)


class EarlyStart:
    """A spawned plugin process nobody speaks to yet: its Popen and the write end of its stdin."""

    __slots__ = ("argv", "mark", "popen", "started", "stdin_fd")

    def __init__(self, popen: subprocess.Popen[bytes], stdin_fd: int, argv: list[str], started: float,
                 mark: str = ""):
        self.popen = popen
        self.stdin_fd = stdin_fd
        self.argv = argv
        self.started = started  # time.monotonic() at spawn
        self.mark = mark  # the value of MARK_ENV in its environment

    def kill(self) -> None:
        """Kill the process group (SIGKILL: it was never spoken to), close the pipes, reap."""
        import signal

        from devctl.procs.groups import stop_group_sync

        with contextlib.suppress(OSError):
            os.close(self.stdin_fd)
        stop_group_sync(self.popen.pid, sig=signal.SIGKILL, grace=0, child_pid=self.popen.pid)
        for pipe in (self.popen.stdout, self.popen.stderr):
            if pipe is not None:
                pipe.close()
        self.popen.wait()


def spawn(spec: SpecLike) -> EarlyStart:
    """Start `spec`: stdout and stderr piped, stdin a pipe whose write end devctl keeps, its own
    session. Raises OSError if it cannot start.

    Its environment carries MARK_ENV=<this devctl's pid>.<n>: a child that calls `setsid` and
    outlives the plugin is in neither its group nor its tree, and is found by that mark."""
    argv = spec.argv()
    mark = f"{os.getpid()}.{next(_marks)}"
    stdin_read, stdin_write = os.pipe()
    try:
        process = popen(argv, stdin=stdin_read, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                        cwd=str(spec.workdir), env={**plugin_env(dict(spec.env)), MARK_ENV: mark})
    except BaseException:
        os.close(stdin_write)
        raise
    finally:
        os.close(stdin_read)
    return EarlyStart(process, stdin_write, argv, time.monotonic(), mark)


class EarlyStarts:
    """Plugins started ahead of the plugin host, by spec id, until `take`n (see the module)."""

    def __init__(self) -> None:
        self._started: dict[str, EarlyStart] = {}

    def start(self, specs: Iterable[SpecLike]) -> EarlyStarts:
        for spec in specs:
            if spec.id in self._started:
                continue
            try:
                self._started[spec.id] = spawn(spec)
            except OSError:
                continue  # start_plugin spawns it again and reports why it cannot start
        return self

    def take(self, spec: SpecLike) -> EarlyStart | None:
        """The process started for `spec` (the caller owns it from now on), or None. A spec whose
        argv changed since is not served: its early process is left for `close`."""
        early = self._started.get(spec.id)
        if early is None or early.argv != spec.argv():
            return None
        del self._started[spec.id]
        return early

    def close(self) -> None:
        """Kill (SIGKILL, the whole group) and reap every process nobody adopted."""
        left, self._started = list(self._started.values()), {}
        for early in left:
            early.kill()

    def __enter__(self) -> EarlyStarts:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def spawn_early(specs: Iterable[SpecLike]) -> EarlyStarts:
    """Start `specs` now; use the result as a context manager (see the module docstring)."""
    return EarlyStarts().start(specs)
