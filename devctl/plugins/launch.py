"""Starting plugins: spawn in their own process group, wait for the handshake, close on any error.

`start_plugins` spawns several plugins at once and waits for all their handshakes together;
each comes back as a `PluginClient` (its handshake was valid) or as the `PluginError` that says
why not (cannot spawn, no handshake in time, junk before the handshake, crash) — a failed one is
already stopped, whole process group, with its last stderr lines in the error. `start_plugin`
is the one-plugin form that raises; `open_plugins` the context manager a pipeline run uses.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from devctl.errors import PluginError
from devctl.plugins.client import PluginClient, close_all
from devctl.plugins.codes import E_HANDSHAKE_TIMEOUT, E_SPAWN, Failure
from devctl.plugins.early import EarlyStart, EarlyStarts, plugin_env, spawn
from devctl.plugins.router import OnWarning
from devctl.plugins.streams import MAX_BUFFERED_EVENTS
from devctl.procs.reactor import shielded
from devctl.procs.tails import OnStderr
from devctl.util.lazylog import LazyLogger

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: `up` loads this module (docs/performance.md, "T2")
if TYPE_CHECKING:
    from devctl.plugins.client import SpecLike

log = LazyLogger("devctl.plugins")

#: The first stdout frame must be a handshake within this many seconds (spec default).
HANDSHAKE_TIMEOUT = 2.0
#: SIGTERM → SIGKILL grace when stopping a plugin's process group.
STOP_GRACE = 2.0


__all__ = ["HANDSHAKE_TIMEOUT", "STOP_GRACE", "close_all", "open_plugins", "plugin_env",
           "report_left_over", "start_plugin", "start_plugins"]


def _spawn_error(spec: SpecLike, exc: OSError) -> PluginError:
    argv0 = spec.argv()[0] if spec.argv() else "?"
    workdir = Path(spec.workdir)
    if not workdir.is_dir():
        why = f"its workdir {str(workdir)!r} does not exist or is not a directory"
    else:
        why = f"{argv0!r}: {exc.strerror or exc}"
    return PluginError(spec.id, f"cannot start the plugin: {why}", code=E_SPAWN)


def start_plugins(
    specs: Sequence[SpecLike],
    repo_root: Path | str,
    *,
    handshake_timeout: float = HANDSHAKE_TIMEOUT,
    on_stderr: OnStderr | None = None,
    on_warning: OnWarning | None = None,
    stop_grace: float = STOP_GRACE,
    stream_buffer: int = MAX_BUFFERED_EVENTS,
    strict: bool = False,
    early: EarlyStarts | None = None,
) -> list[PluginClient | PluginError]:
    """Spawn every spec (argv in a new session, so its own process group; cwd = spec.workdir;
    env = os.environ + spec.env + PYTHONUNBUFFERED=1) and wait for their handshakes together.
    One result per spec, in order: a `PluginClient`, or the `PluginError` for a plugin that did
    not start (it is stopped already). The caller closes the clients (`close_all`).

    `on_stderr(plugin_id, line)` gets every stderr line; `on_warning(plugin_id, message)` gets
    non-fatal protocol warnings (logged when not given). `stop_grace` is the SIGTERM→SIGKILL
    grace; `stream_buffer` bounds events queued per stream. `strict` (--strict) turns the
    deviations the Go devctl tolerates (a handshake without ops, a blank stdout line) from
    warnings into failures. `early`: processes `devctl.plugins.early` already started for some
    specs, adopted instead of spawning (the caller hands over their ownership). The handshake
    deadline counts from now, when devctl starts listening, so an early start never shortens it.
    """
    results: list[PluginClient | PluginError] = []
    clients: list[PluginClient] = []
    try:
        for spec in specs:
            # From spawn (or take) to `clients` nothing owns the process: a Ctrl-C waits until
            # it is in the list, which the except below closes.
            with shielded():
                started = early.take(spec) if early is not None else None
                if started is None:
                    try:
                        started = spawn(spec)
                    except OSError as exc:
                        results.append(_spawn_error(spec, exc))
                        continue
                client = _client(spec, repo_root, started, on_stderr=on_stderr, on_warning=on_warning,
                                 stop_grace=stop_grace, stream_buffer=stream_buffer, strict=strict)
                results.append(client)
                clients.append(client)
        deadline = time.monotonic() + handshake_timeout
        if clients:
            clients[0]._reactor.run_until(lambda: all(c.handshake_settled for c in clients), deadline)
        failed: list[PluginClient] = []
        for client in clients:
            if not client.handshake_settled:
                client._fail(Failure(E_HANDSHAKE_TIMEOUT, f"sent no handshake within {handshake_timeout:g} s "
                                     "(the first stdout line must be the handshake frame; print it before "
                                     "any slow work)"))
            if client.handshake_failure is not None:
                failed.append(client)
        close_all(failed)
    except BaseException:
        close_all(clients)
        raise
    for i, result in enumerate(results):
        if isinstance(result, PluginClient) and result.handshake_failure is not None:
            results[i] = _start_error(result)
    return results


def _client(spec: SpecLike, repo_root: Path | str, started: EarlyStart, **options: object) -> PluginClient:
    """The client of a spawned plugin, its pipes registered with this thread's reactor."""
    try:
        client = PluginClient(spec, repo_root, started.popen, started.stdin_fd, mark=started.mark,
                              **options)  # type: ignore[arg-type]
        client._start()
    except BaseException:
        started.kill()  # it has not even been spoken to: no grace
        raise
    return client


def _start_error(client: PluginClient) -> PluginError:
    """The error of a plugin that failed before or at its handshake (it is closed already)."""
    from devctl.plugins.hints import missing_sdk_hint

    failure = client.handshake_failure
    assert failure is not None
    hint = missing_sdk_hint(client.spec.argv(), client.stderr_tail())
    return failure.error(client.spec.id, details=[*client._details(), *hint])


def start_plugin(
    spec: SpecLike,
    repo_root: Path | str,
    *,
    handshake_timeout: float = HANDSHAKE_TIMEOUT,
    on_stderr: OnStderr | None = None,
    on_warning: OnWarning | None = None,
    stop_grace: float = STOP_GRACE,
    stream_buffer: int = MAX_BUFFERED_EVENTS,
    strict: bool = False,
    early: EarlyStarts | None = None,
) -> PluginClient:
    """One plugin, as `start_plugins` starts it; raises its PluginError. `early`: as there (the
    process started ahead for `spec`, if any, is taken from it)."""
    [result] = start_plugins([spec], repo_root, handshake_timeout=handshake_timeout, on_stderr=on_stderr,
                             on_warning=on_warning, stop_grace=stop_grace, stream_buffer=stream_buffer,
                             strict=strict, early=early)
    if isinstance(result, PluginError):
        raise result
    return result


@contextmanager
def open_plugins(
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
) -> Iterator[list[PluginClient]]:
    """Start every plugin (together; the list keeps the order of `specs`), yield the clients, and
    close them all on exit — also on error or Ctrl-C. If any fails to start, the others are
    closed and the failure of the first failing spec (in `specs` order) is raised.

    After a normal exit, a failure no request was told about (a plugin that wrote junk on stdout
    while devctl asked it nothing) is reported, see `report_left_over`. `early`: processes
    already started for some of `specs` (`devctl.plugins.early`), adopted instead of spawned.
    `running`: clients the caller already started, by spec id, used as they are and left open
    (the caller owns and closes them): a plugin command's provider serves its config.mutate."""
    borrowed = dict(running or {})
    fresh = [spec for spec in specs if spec.id not in borrowed]
    started = start_plugins(fresh, repo_root, handshake_timeout=handshake_timeout, on_stderr=on_stderr,
                            on_warning=on_warning, stop_grace=stop_grace, strict=strict, early=early)
    mine = [r for r in started if isinstance(r, PluginClient)]
    try:
        for result in started:
            if isinstance(result, PluginError):
                raise result
        by_id = {client.spec.id: client for client in mine}
        yield [borrowed[spec.id] if spec.id in borrowed else by_id[spec.id] for spec in specs]
    finally:  # what we started; borrowed clients stay open for their owner
        close_all(mine)
    # Only reached after a normal exit: an exception from the body leaves through the yield.
    report_left_over(mine, strict=strict, on_warning=on_warning)


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
