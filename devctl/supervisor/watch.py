"""`watch:` — restart a service when its files change (one restart per burst of changes).

Runs inside the supervisor, one task per watching service, on watchfiles (inotify on Linux,
through a Rust thread; no polling), whose blocking `watch` runs in a thread of its own per
service and hands each batch of changes to the loop. A burst — changes that follow each other within
`debounce_ms` — is one restart, done through the supervisor's own stop/start path (the one
`devctl restart` uses), after a `watch_restart` event naming what changed. Changes that come
while the service restarts make one more restart once it is done, never a queue of them.

What counts as a change (`matcher`): a path under the service's cwd that a `paths` entry
matches and no `ignore` entry does. Paths are relative to the service's cwd; `**` crosses
directories; a directory covers everything below it; a glob without '/' (`*.py`) matches at
any depth. An `ignore` entry without '/' matches a name at any depth (`node_modules`,
`*.tmp`), as in .gitignore. Always ignored: devctl's own `.devctl/` (the logs are there),
and what watchfiles ignores by default (`.git`, `__pycache__`, editor swap and backup files).

A service the user stopped (`devctl stop`) is not restarted by a change; one that failed or
gave up is, so fixing the code is enough to bring it back. A watcher that fails (the inotify
watch limit, say) is reported with a `watch_failed` event; the supervisor and the service go on.
"""

from __future__ import annotations

import functools
import os
import re
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from devctl.pipeline.log_spec import WatchSpec
from devctl.procs import tasks

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: imported while `up` plans (docs/performance.md, "T2")
if TYPE_CHECKING:
    from typing import Any

    from devctl.supervisor.runtime import Supervisor

#: At most this many changed paths are named in a `watch_restart` event.
EVENT_PATHS = 5
_GLOB_CHARS = re.compile(r"[*?\[]")


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A regex for an absolute glob: `**` spans directories, `*` and `?` do not, `[...]` is a
    class; a match also covers everything below the matched path."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and (end := pattern.find("]", i + 2)) > 0:
            body = pattern[i + 1:end]
            if body.startswith("!"):
                body = "^" + body[1:]
            out.append("[" + body.replace("\\", "\\\\") + "]")
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + "(?:/.*)?")


def _absolute(pattern: str, cwd: str) -> str:
    if "/" not in pattern and _GLOB_CHARS.search(pattern):
        pattern = "**/" + pattern  # `*.py`: at any depth below cwd
    return os.path.normpath(os.path.join(cwd, pattern))


def matcher(spec: WatchSpec, cwd: str, state_dir: Path) -> Callable[[str], bool]:
    """Whether a changed (absolute) path should restart the service."""
    wanted = [glob_regex(_absolute(p, cwd)) for p in spec["paths"]]
    names = [glob_regex(p) for p in spec["ignore"] if "/" not in p]
    ignored = [glob_regex(_absolute(p, cwd)) for p in spec["ignore"] if "/" in p]
    own = glob_regex(os.path.normpath(state_dir))

    def matches(path: str) -> bool:
        path = os.path.normpath(path)
        if own.fullmatch(path) or not any(r.fullmatch(path) for r in wanted):
            return False
        if any(r.fullmatch(path) for r in ignored):
            return False
        parts = Path(path).parts
        return not any(r.fullmatch(part) for r in names for part in parts)

    return matches


def roots(spec: WatchSpec, cwd: str) -> list[str]:
    """The directories to watch: each pattern's part before its first glob, or the parent of a
    file, or the nearest existing ancestor of what does not exist yet; nested ones dropped."""
    found: set[str] = set()
    for pattern in spec["paths"]:
        path = _absolute(pattern, cwd)
        parts = Path(path).parts
        fixed = next((i for i, part in enumerate(parts) if _GLOB_CHARS.search(part)), len(parts))
        root = Path(*parts[:fixed])
        if fixed == len(parts) and not root.is_dir():
            root = root.parent  # a file: editors replace it, so watch its directory
        while not root.is_dir() and root != root.parent:
            root = root.parent
        found.add(str(root))
    ordered = sorted(found)
    return [r for r in ordered if not any(r != o and r.startswith(o.rstrip("/") + "/") for o in ordered)]


async def run_watchers(sup: Supervisor) -> None:
    """One watcher per service with `watch:`, until the supervisor shuts down.

    Re-synced whenever `up` applies a changed plan (`Supervisor.plan_replaced`): a watcher whose
    service lost or changed its `watch:` (or its cwd) stops, and services that gained one get
    theirs; an unchanged watcher keeps running across a recreate of its service."""
    running: dict[str, tuple[tuple[Any, str], threading.Event]] = {}  # name -> ((watch, cwd), stop)
    async with tasks.create_task_group() as tg:
        while not sup.shutdown_requested.is_set():
            wanted = {name: (svc.spec["watch"], svc.spec["cwd"])
                      for name, svc in sup.services.items() if svc.spec.get("watch")}
            for name in [n for n, (key, _stop) in running.items() if wanted.get(n) != key]:
                running.pop(name)[1].set()
            for name, key in wanted.items():
                if name not in running:
                    stop = threading.Event()
                    running[name] = (key, stop)
                    tg.start_soon(_watch_one, sup, name, key[0], key[1], stop)
            await _first_of(sup.shutdown_requested, sup.plan_replaced)
        for _key, stop in running.values():
            stop.set()  # the watcher threads see it within one step
        tg.cancel_scope.cancel()


async def _first_of(*events: tasks.Event) -> None:
    """Return once any of `events` is set."""
    async with tasks.create_task_group() as tg:
        async def wait(event: tasks.Event) -> None:
            await event.wait()
            tg.cancel_scope.cancel()

        for event in events:
            tg.start_soon(wait, event)


async def _watch_one(sup: Supervisor, name: str, spec: Any, cwd: str, stop: threading.Event) -> None:
    """Watch one service's files until `stop`. A watcher that cannot work (inotify limit reached,
    a directory gone) is reported — `watch_failed` event, supervisor log — and the service runs
    on unwatched: the supervisor never dies of it."""
    try:
        await _watch(sup, name, spec, cwd, stop)
    except Exception as exc:  # noqa: BLE001 - anything the watcher raises; reported, not fatal
        while isinstance(exc, ExceptionGroup) and len(exc.exceptions) == 1:
            exc = exc.exceptions[0]  # raised inside the task group: name the error itself
        sys.stderr.write(f"watch of service {name!r} stopped: {exc!r}\n")
        sys.stderr.flush()
        sup.events.emit(name, "watch_failed", error=str(exc) or type(exc).__name__)


#: How long a watcher's task waits, at most, for its thread to end once told to stop. The
#: thread looks at `stop` once per `step` (`debounce_ms`: 300 ms unless configured), and not at
#: all during watchfiles' set-up (adding inotify watches to a large tree): the supervisor's
#: shutdown must not wait for either. A thread that overruns this (a `debounce_ms` near 2 s or
#: more) is a daemon thread: it ends within its step, or with the process.
THREAD_STOP_S = 2.0


async def _watch(sup: Supervisor, name: str, spec: Any, cwd: str, stop: threading.Event) -> None:
    """Run `watchfiles.watch` in a thread of its own (`awatch` needs anyio) and restart the
    service for each burst it reports. The thread hands each batch to the loop
    (`call_soon_threadsafe`) and ends within one `step` once `stop` is set; so does this task,
    which sets `stop` itself on any way out (cancelled: the supervisor shuts down)."""
    wanted = matcher(spec, cwd, sup.paths.state_dir)
    batches: tasks.Queue[set[tuple[Any, str]]] = tasks.Queue()  # closed when the thread ends
    ended = tasks.Event()
    failed: list[BaseException] = []
    loop = tasks.current_loop()  # the thread hands over to it (a hand-over after it ended: no-op)
    pending: list[str] = []
    burst = tasks.Event()

    def finish() -> None:
        batches.close()
        ended.set()

    def in_thread(paths: list[str], step: int) -> None:
        try:
            from watchfiles import DefaultFilter, watch

            default = DefaultFilter()
            for changes in watch(*paths, watch_filter=lambda c, p: default(c, p) and wanted(p),
                                 step=step, debounce=max(1600, 4 * step), stop_event=stop,
                                 ignore_permission_denied=True):
                loop.call_soon_threadsafe(functools.partial(batches.put_nowait, changes))
        except BaseException as exc:  # noqa: BLE001 - raised again in the task (`_watch_one` reports it)
            failed.append(exc)
        finally:
            loop.call_soon_threadsafe(finish)

    async def restarter() -> None:
        nonlocal burst
        while True:
            await burst.wait()
            burst = tasks.Event()
            changed = sorted(set(pending))
            pending.clear()
            await _restart(sup, name, changed, cwd)

    thread = threading.Thread(target=in_thread, args=(roots(spec, cwd), spec["debounce_ms"]),
                              name=f"devctl-watch-{name}", daemon=True)
    try:
        async with tasks.create_task_group() as tg:
            tg.start_soon(restarter)
            thread.start()
            async for changes in batches:
                pending.extend(path for _change, path in changes)
                burst.set()
            tg.cancel_scope.cancel()
    finally:
        stop.set()
        if thread.ident is not None:  # started: `finish` will come
            with tasks.move_on_after(THREAD_STOP_S, shield=True):
                await ended.wait()
                while thread.is_alive():  # past `finish`: only its return is left
                    await tasks.sleep(0.001)
    if failed:
        raise failed[0]


async def _restart(sup: Supervisor, name: str, changed: list[str], cwd: str) -> None:
    svc = sup.services.get(name)  # None: a changed plan removed it while this burst settled
    if svc is None or not svc.wanted or sup.shutdown_requested.is_set():
        return  # stopped by the user (or by `down`): a change does not bring it back
    shown = [os.path.relpath(p, cwd) for p in changed[:EVENT_PATHS]]
    sup.events.emit(name, "watch_restart", paths=shown, changes=len(changed))
    await sup.stop([name])
    if not sup.shutdown_requested.is_set():
        sup.start([name])
