"""Starting plugins: spawn in their own process group, wait for the handshake, close on any error.

`start_plugin` returns a `PluginClient` only once the plugin's handshake is valid; every other
outcome (cannot spawn, no handshake in time, junk before the handshake, crash) stops the whole
process group and raises one `PluginError` with the plugin's last stderr lines.
"""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio

from devctl.errors import PluginError
from devctl.plugins.client import PluginClient, SpecLike
from devctl.plugins.codes import E_HANDSHAKE_TIMEOUT, E_SPAWN, Failure
from devctl.plugins.early import EarlyStart, EarlyStarts, plugin_env
from devctl.plugins.router import OnWarning
from devctl.plugins.stdin import StdinWriter
from devctl.plugins.streams import MAX_BUFFERED_EVENTS
from devctl.procs.groups import stop_group
from devctl.procs.popen_async import AsyncPopen
from devctl.procs.start import open_process
from devctl.procs.tails import OnStderr

log = logging.getLogger("devctl.plugins")

#: The first stdout frame must be a handshake within this many seconds (spec default).
HANDSHAKE_TIMEOUT = 2.0
#: SIGTERM → SIGKILL grace when stopping a plugin's process group.
STOP_GRACE = 2.0


__all__ = ["HANDSHAKE_TIMEOUT", "STOP_GRACE", "open_plugins", "plugin_env", "report_left_over",
           "start_plugin"]


def _spawn_error(spec: SpecLike, exc: OSError) -> PluginError:
    argv0 = spec.argv()[0] if spec.argv() else "?"
    workdir = Path(spec.workdir)
    if not workdir.is_dir():
        why = f"its workdir {str(workdir)!r} does not exist or is not a directory"
    else:
        why = f"{argv0!r}: {exc.strerror or exc}"
    return PluginError(spec.id, f"cannot start the plugin: {why}", code=E_SPAWN)


async def start_plugin(
    spec: SpecLike,
    repo_root: Path | str,
    *,
    handshake_timeout: float = HANDSHAKE_TIMEOUT,
    on_stderr: OnStderr | None = None,
    on_warning: OnWarning | None = None,
    stop_grace: float = STOP_GRACE,
    stream_buffer: int = MAX_BUFFERED_EVENTS,
    strict: bool = False,
    early: EarlyStart | None = None,
) -> PluginClient:
    """Spawn `spec.argv()` in a new session (own process group) with cwd = spec.workdir and
    env = os.environ + spec.env + PYTHONUNBUFFERED=1, and wait for a valid handshake.

    `on_stderr(plugin_id, line)` gets every stderr line; `on_warning(plugin_id, message)` gets
    non-fatal protocol warnings (logged when not given). `stop_grace` is the SIGTERM→SIGKILL
    grace; `stream_buffer` bounds events queued per stream. `strict` (--strict) turns the
    deviations the Go devctl tolerates (a handshake without ops, a blank stdout line) from
    warnings into failures. `early`: the process `devctl.plugins.early` already started for
    `spec`, adopted instead of spawning one (the caller hands over its ownership).
    """
    process: Any
    if early is not None:
        stdin_write = early.stdin_fd
        try:
            process = await AsyncPopen.adopt(early.popen)
        except BaseException:
            early.kill()
            raise
    else:
        # devctl owns the stdin pipe (see stdin.py); the child gets its read end.
        stdin_read, stdin_write = os.pipe()
        try:
            process = await open_process(spec.argv(), stdin=stdin_read, cwd=str(spec.workdir),
                                         env=plugin_env(dict(spec.env)))
        except OSError as exc:
            os.close(stdin_write)
            raise _spawn_error(spec, exc) from None
        finally:
            os.close(stdin_read)
    try:
        stdin = await StdinWriter.open(stdin_write)
    except BaseException:
        with anyio.CancelScope(shield=True):  # it has not even been spoken to: no grace
            await stop_group(process.pid, sig=signal.SIGKILL, grace=0)
            await process.aclose()
        raise
    client = PluginClient(spec, repo_root, process, stdin, on_stderr=on_stderr, on_warning=on_warning,
                          stop_grace=stop_grace, stream_buffer=stream_buffer, strict=strict)
    client._start()
    try:
        failure: Failure | None = None
        with anyio.move_on_after(handshake_timeout) as scope:
            failure = await client._wait_handshake()
        if scope.cancelled_caught and failure is None:
            failure = Failure(E_HANDSHAKE_TIMEOUT, f"sent no handshake within {handshake_timeout:g} s (the "
                              "first stdout line must be the handshake frame; print it before any slow work)")
            client._fail(failure)
    except BaseException:
        await client.close()
        raise
    if failure is not None:
        await client.close()
        from devctl.plugins.hints import missing_sdk_hint

        hint = missing_sdk_hint(spec.argv(), client.stderr_tail())
        raise failure.error(spec.id, details=[*client._details(), *hint])
    return client


@asynccontextmanager
async def open_plugins(
    specs: Sequence[SpecLike],
    repo_root: Path | str,
    *,
    handshake_timeout: float = HANDSHAKE_TIMEOUT,
    on_stderr: OnStderr | None = None,
    on_warning: OnWarning | None = None,
    stop_grace: float = STOP_GRACE,
    strict: bool = False,
    early: EarlyStarts | None = None,
    running: Mapping[str, PluginClient] | None = None,
) -> AsyncIterator[list[PluginClient]]:
    """Start every plugin (concurrently; the list keeps the order of `specs`), yield the clients,
    and close them all on exit — also on error or cancellation. If any fails to start, the others
    are closed and the failure of the first failing spec (in `specs` order) is raised.

    After a normal exit, a failure no request was told about (a plugin that wrote junk on stdout
    while devctl asked it nothing) is reported, see `report_left_over`. `early`: processes
    already started for some of `specs` (`devctl.plugins.early`), adopted instead of spawned.
    `running`: clients the caller already started, by spec id, used as they are and left open
    (the caller owns and closes them): a plugin command's provider serves its config.mutate."""
    results: list[PluginClient | PluginError | None] = [None] * len(specs)
    borrowed = dict(running or {})

    async def start_one(i: int, spec: SpecLike) -> None:
        if spec.id in borrowed:
            results[i] = borrowed[spec.id]
            return
        try:
            results[i] = await start_plugin(spec, repo_root, handshake_timeout=handshake_timeout,
                                            on_stderr=on_stderr, on_warning=on_warning, stop_grace=stop_grace,
                                            strict=strict, early=early.take(spec) if early else None)
        except PluginError as exc:
            results[i] = exc

    started: list[PluginClient] = []
    try:
        async with anyio.create_task_group() as tg:
            for i, spec in enumerate(specs):
                tg.start_soon(start_one, i, spec)
        for r in results:
            if isinstance(r, PluginError):
                raise r
        yield [r for r in results if isinstance(r, PluginClient)]
    finally:  # what we started; borrowed clients stay open for their owner
        started = [r for r in results if isinstance(r, PluginClient) and r.spec.id not in borrowed]
        with anyio.CancelScope(shield=True):
            async with anyio.create_task_group() as tg:
                for client in started:
                    tg.start_soon(client.close)
    # Only reached after a normal exit: an exception from the body leaves through the yield.
    report_left_over(started, strict=strict, on_warning=on_warning)


def report_left_over(clients: Sequence[PluginClient], *, strict: bool,
                     on_warning: OnWarning | None = None) -> None:
    """Report what went wrong with a plugin without any request being told: contamination
    (or another protocol violation) while devctl asked the plugin nothing.

    An error (raised, the first plugin in `clients` order) when devctl needed the plugin at that
    moment — a request waited, a stream was open, or it had answered a request, so the command's
    result rests on it — or under `strict`; otherwise a warning naming the plugin and quoting the
    line, through `on_warning` (logged when None). Call it after the clients are closed, so every
    line they wrote has been read.
    """
    first: PluginError | None = None
    for client in clients:
        found = client.unreported_failure()
        if found is None:
            continue
        failure, needed = found
        if needed or strict:
            why = ("devctl relied on this plugin for this command" if needed
                   else "it was not needed for this command, but --strict makes this an error")
            error = PluginError(client.spec.id, f"{failure.message} ({why})", code=failure.code,
                                details=client._details())
            first = first or error
            continue
        text = (f"plugin {client.spec.id!r} [{failure.code}]: {failure.message} (the plugin was stopped; "
                "devctl did not need it for this command, so this is a warning; --strict makes it an error)")
        client.warnings.append(text)
        if on_warning is None:
            log.warning("%s", text)
        else:
            on_warning(client.spec.id, text)
    if first is not None:
        raise first
