"""What the CLI does with a supervisor: read its state, steer it, and clean up after it.

`status` and `down` must work whether or not the supervisor is alive, so both start from
the files: the flock says whether it lives, `state.json` says what it started. When it is
dead, every recorded pid is judged by its create time (zombies count as dead) and `down`
stops the recorded process groups itself, after checking they are still ours.

Imports stay light (stdlib + devctl's stdlib-only modules; psutil only when a pid must be
judged), so `devctl status` costs little more than reading a small JSON file.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable, Iterator

from devctl.errors import EXIT_NOT_RUNNING, DevctlError
from devctl.supervisor.paths import Paths, supervisor_alive
from devctl.supervisor.service_states import ACTIVE_STATES, LIVE_STATES, UP_STATES
from devctl.supervisor.state_store import CorruptState, read_state

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: `typing` is an import `status` and `down` skip
if TYPE_CHECKING:
    from typing import Any


def is_running(paths: Paths) -> bool:
    """A supervisor runs for this repo: it holds the lock, or (lock file removed) it is found."""
    return supervisor_alive(paths.lock) or find_supervisor(paths) is not None


def find_supervisor(paths: Paths) -> int | None:
    """The live supervisor of this repo whose lock file was removed (alone, or with all of
    `.devctl/`): the process still holding an flock through a descriptor on that path.

    The lock proves who it is (a pid file could name anybody); one read of /proc/locks
    plus the descriptors of the few flock holders, so cheap enough for every `up`/`down`.
    """
    from devctl.procs.pids import lock_holders

    holders = lock_holders(str(paths.lock))
    return holders[0] if holders else None


def repo_processes(paths: Paths) -> dict[int, str]:
    """Live processes started for this repo ({pid: service name}), found by the DEVCTL_REPO
    they inherited: what is left to find when `.devctl/` (state, lock, socket) is gone."""
    from devctl.procs.pids import env_var, with_env
    from devctl.supervisor.markers import REPO_ENV, SERVICE_ENV

    return {pid: env_var(pid, SERVICE_ENV) or "?" for pid in with_env(REPO_ENV, str(paths.root))}


def current_state(paths: Paths, alive: bool) -> dict[str, Any] | None:
    """state.json; when it cannot be read (truncated, edited) and the supervisor lives, the
    supervisor's own snapshot over the socket instead — it knows the truth, and answering the
    request rewrites the file. With no supervisor to ask, a clear error saying what to do."""
    try:
        return read_state(paths.state)
    except CorruptState as exc:
        if alive:
            with contextlib.suppress(DevctlError, KeyError, TypeError):
                from devctl.supervisor import control

                state = control.call(paths.sock, "status", timeout=10.0)["state"]
                if isinstance(state, dict):
                    return state
        raise DevctlError(
            f"{exc.message}. No supervisor {'answers' if alive else 'runs'} for this repo to say what "
            f"runs instead: check for leftover services (`ps -ef`), then remove the file"
        ) from None


def read_status(paths: Paths, now: float | None = None) -> dict[str, Any]:
    """The status snapshot `devctl status` shows, from the files (the supervisor if they are unreadable)."""
    now = time.time() if now is None else now
    alive = supervisor_alive(paths.lock)
    state = current_state(paths, alive)
    sup = (state or {}).get("supervisor") or {}
    services = [dict(s) for s in (state or {}).get("services", [])]
    if state is not None and not alive:
        from devctl.procs.pids import pid_alive

        for svc in services:
            judged = svc.get("state") in ACTIVE_STATES
            if judged and not pid_alive(svc.get("pid"), svc.get("create_time")):
                svc["state"] = "exited"
                svc["error"] = svc.get("error") or "gone (the supervisor was not running to see it exit)"
    for svc in services:
        started = svc.get("started_at")
        svc["uptime_s"] = round(now - started, 3) if started and svc.get("state") in LIVE_STATES else None
    return {
        "repo_root": str(paths.root),
        "supervisor": {"running": alive, "pid": sup.get("pid") if alive else None,
                       "stale_state": state is not None and not alive},
        "services": services,
    }


def orphaned_services(paths: Paths) -> list[str] | None:
    """After a supervisor died: the recorded services still running (create-time checked).

    None when there is no stale state at all (no state file, or the supervisor is alive).
    """
    if is_running(paths):
        return None
    state = current_state(paths, False)
    if state is None:
        # No state at all (`rm -rf .devctl`, `git clean -fdx`): what inherited our repo marker.
        return sorted(set(repo_processes(paths).values())) or None
    from devctl.procs.pids import pid_alive

    return [s["name"] for s in state.get("services", []) if pid_alive(s.get("pid"), s.get("create_time"))]


def status_exit_code(snapshot: dict[str, Any]) -> int:
    """0 when there are services and every one is running or healthy; EXIT_NOT_RUNNING (3) otherwise."""
    services = snapshot["services"]
    return 0 if services and all(s["state"] in UP_STATES for s in services) else EXIT_NOT_RUNNING


def request(paths: Paths, op: str, *, timeout: float | None = 60.0, **args: Any) -> dict[str, Any]:
    """One request to the live supervisor, or a clear error when none runs."""
    if not supervisor_alive(paths.lock):
        raise DevctlError("no supervisor is running for this repo; start one with `devctl up`")
    from devctl.supervisor import control  # the socket client: only when a supervisor answers

    return control.call(paths.sock, op, timeout=timeout, **args)


def watch(paths: Paths, *, records: bool = False) -> Iterator[dict[str, Any]]:
    """The supervisor's event stream: first `{"state": snapshot}`, then `{"event": ...}` lines.

    `records`: each event of a service also carries `"record"`, that service's state.json
    record as it is when the event is sent, so a follower can keep the snapshot current
    without reading state.json again (`up.wait`). A supervisor from before this option sends
    none; the follower then reads the file."""
    from devctl.supervisor import control

    args = {"records": True} if records else {}
    for msg in control.stream(paths.sock, "watch", timeout=None, **args):
        if not msg.get("ok", True):
            raise DevctlError(str(msg.get("error")))
        yield msg


# ---- down ---------------------------------------------------------------------------------


def down(paths: Paths, grace_s: float | None = None, *, on_step: Callable[[str], None] | None = None) -> str:
    """Stop everything: via the supervisor when it answers, else from the state file.

    Returns a one-line summary. Idempotent: with nothing running it says so and does nothing.
    Socket, lock and state are removed at the end; logs and events are kept.
    """
    step = on_step or (lambda _msg: None)
    # The request `devctl down` sent before importing the rest (cli/down_early.py), if it did.
    begun = _take_begun(paths) if grace_s is None else None
    alive = begun is not None or supervisor_alive(paths.lock)
    ghost = None if alive else find_supervisor(paths)
    # With a request out, the supervisor may already have finished and removed state.json:
    # its reply then names the services and the run (below).
    try:
        state = current_state(paths, alive)
    except DevctlError:
        if begun is None:
            raise
        # Unreadable, and the supervisor no longer answers `status` (it is finishing the
        # shutdown already asked of it): its reply says what it stopped.
        state = None
    if not alive and ghost is None and state is None:
        found = stop_repo(paths, grace_s, step)
        _remove_files(paths)
        return f"stopped {found} process(es) left running for this repo" if found else "nothing running"
    names = [s["name"] for s in (state or {}).get("services", [])]
    run_id = _run_id(state)
    if ghost is not None:
        names = names or sorted(set(repo_processes(paths).values()))
        _stop_ghost(paths, ghost, state, grace_s, step)
        state = read_state(paths.state)
        if state is None:
            stop_repo(paths, grace_s, step)
    elif alive:
        step("asking the supervisor to stop every service")
        budget = _stop_budget(state, grace_s)
        from devctl.supervisor import control

        lingered = False
        exiting: list[int] = []  # a pidfd of the supervisor, opened when it replied
        with contextlib.suppress(DevctlError):
            # Returns once the supervisor has exited (end-of-file on its connection): then
            # `_wait_gone` below finds the lock free at its first look. If it replied but is
            # still there 10 s later, that was the wait: no second one before the SIGKILL.
            reply, closed = control.call_until_closed(
                paths.sock, "shutdown", timeout=budget, linger=10.0, sent=begun,
                on_reply=lambda reply: _open_pidfd(reply.get("pid"), exiting),
                **({"grace_s": grace_s} if grace_s is not None else {}))
            lingered = not closed
            names = names or _str_list(reply.get("stopped"))
            run_id = run_id or (reply.get("run_id") if isinstance(reply.get("run_id"), str) else None)
        if not _wait_gone(paths, 0.0 if lingered else 10.0):
            step("the supervisor does not answer; stopping it and its services directly")
            _kill_supervisor(state)
        with contextlib.suppress(CorruptState):  # still unreadable: keep the supervisor's own snapshot
            state = read_state(paths.state)  # a clean shutdown removed it
    if state is not None:
        stop_recorded(state, grace_s, step)
    elif run_id:
        # A clean shutdown: the supervisor (a subreaper) stopped its whole tree; one look
        # for stragglers is enough.
        stop_run(run_id, grace_s, step, first_looks=1)
    _remove_files(paths)
    if alive and not ghost:
        _wait_exited(exiting, 10.0)
    if names:
        return f"stopped {len(names)} service{'s' if len(names) != 1 else ''}"
    if ghost is not None:
        return "stopped the supervisor (its .devctl/ had been removed)"
    return "nothing running"


def _open_pidfd(pid: object, into: list[int]) -> None:
    """A pidfd of the supervisor that just replied, appended to `into` (Linux 5.3+; else nothing).

    Opened while its connection is still open, so the pid is still that supervisor's."""
    if isinstance(pid, int) and not isinstance(pid, bool) and pid > 0:
        with contextlib.suppress(AttributeError, OSError):
            into.append(os.pidfd_open(pid))


def _wait_exited(pidfds: list[int], timeout: float) -> None:
    """Until the supervisor process has ended (its pidfd turns readable), at most `timeout`.

    It closes its `shutdown` connection once its lock is released and its files are gone,
    just before it exits (`control.release_held`); the kernel then still frees its memory
    for 5-10 ms. `down`'s last steps (the look for stragglers, the file cleanup) run in that
    time, and `down` returns only once the process is gone, as before."""
    import select

    deadline = time.monotonic() + timeout
    for fd in pidfds:
        try:
            poller = select.poll()  # not select(): a caller with 1,024 descriptors open is fine
            poller.register(fd, select.POLLIN)
            poller.poll(max(0, int((deadline - time.monotonic()) * 1000)))
        except OSError:
            pass
        finally:
            os.close(fd)


def _take_begun(paths: Paths) -> Any:
    """The connection on which `early_shutdown.begin_shutdown` already sent this repo's `shutdown`."""
    from devctl.supervisor.early_shutdown import take_begun

    return take_begun(paths.sock)


def _str_list(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _stop_ghost(paths: Paths, pid: int, state: dict[str, Any] | None, grace_s: float | None,
                step: Callable[[str], None]) -> None:
    """Stop a live supervisor found by its lock descriptor (its lock file is gone).

    It is asked, never bypassed: stopping its services behind its back would only make it
    restart them. Through its socket when that is still there (only the lock was removed),
    else with SIGTERM (its signal handler runs the same orderly shutdown); SIGKILL only if
    it does not exit within the stop budget.
    """
    from devctl.procs.groups import signal_pids
    from devctl.procs.pids import create_time, pid_alive
    from devctl.supervisor import control

    created = create_time(pid)
    budget = _stop_budget(state, grace_s)
    step("the supervisor's lock file is gone; asking the supervisor to stop")
    asked = False
    if paths.sock.exists():
        with contextlib.suppress(DevctlError, OSError):
            control.call(paths.sock, "shutdown", timeout=budget,
                         **({"grace_s": grace_s} if grace_s is not None else {}))
            asked = True
    if not asked:
        signal_pids([pid], signal.SIGTERM)
    deadline = time.monotonic() + budget
    while pid_alive(pid, created) and time.monotonic() < deadline:
        time.sleep(0.02)
    if pid_alive(pid, created):
        step("the supervisor does not stop; killing it and stopping its services directly")
        signal_pids([pid], signal.SIGKILL)


def stop_repo(paths: Paths, grace_s: float | None, step: Callable[[str], None]) -> int:
    """Stop every live process that inherited this repo's DEVCTL_REPO marker; returns how many
    there were. For when `.devctl/` is gone and with it the run id (`stop_run`)."""
    from devctl.supervisor.markers import REPO_ENV

    found = len(repo_processes(paths))
    if found:
        step(f"stopping {found} process(es) started for this repo that no record names")
        _stop_marked(REPO_ENV, str(paths.root), grace_s)
    return found


def kill_now(paths: Paths) -> str:
    """The second Ctrl-C: SIGKILL the supervisor, then every recorded group and descendant."""
    state = read_state(paths.state)
    if state is None:
        _remove_files(paths)
        return "nothing running"
    _kill_supervisor(state)
    stop_recorded(state, 0.0, lambda _msg: None)
    _remove_files(paths)
    return "killed"


def _stop_budget(state: dict[str, Any] | None, grace_s: float | None) -> float:
    """Socket timeout for a shutdown: the longest grace, plus SIGKILL and reaping time."""
    graces = [grace_s if grace_s is not None else s.get("stop_timeout_ms", 10_000) / 1000
              for s in (state or {}).get("services", [])]
    return max(graces, default=10.0) * max(1, _depth(state)) + 15.0


def _depth(state: dict[str, Any] | None) -> int:
    """Number of stop waves (longest dependency chain)."""
    deps = {s["name"]: s.get("depends_on", []) for s in (state or {}).get("services", [])}
    memo: dict[str, int] = {}

    def depth(name: str, seen: frozenset[str] = frozenset()) -> int:
        if name in memo:
            return memo[name]
        if name in seen or name not in deps:
            return 0
        memo[name] = 1 + max((depth(d, seen | {name}) for d in deps[name]), default=0)
        return memo[name]

    return max((depth(n) for n in deps), default=0)


def _wait_gone(paths: Paths, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while supervisor_alive(paths.lock):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def _kill_supervisor(state: dict[str, Any] | None) -> None:
    from devctl.procs.groups import signal_pids
    from devctl.procs.pids import proven

    sup = (state or {}).get("supervisor") or {}
    pid, created = sup.get("pid"), sup.get("create_time")
    # Only the recorded create time proves the pid is still that supervisor (a bare pid in an
    # edited or pre-reboot state file may be anybody's).
    if proven(pid, created) and isinstance(pid, int):
        signal_pids([pid], signal.SIGKILL)


def stop_recorded(state: dict[str, Any], grace_s: float | None, step: Callable[[str], None]) -> None:
    """Stop the process groups a (dead) supervisor recorded, dependents first.

    Nothing is signalled on the file's word alone: a pid only when it is proven (its recorded
    create time, or this run's DEVCTL_RUN marker), a group only when one of its live members
    is (a pgid cannot be reused while its group has a member). A forged `[pid, null]`, a
    recycled pid, or a state file from before a reboot names nobody we signal.
    """
    from devctl.procs.groups import stop_group_sync, stop_pids
    from devctl.procs.pids import proven
    from devctl.supervisor.markers import RUN_ENV

    run_id = _run_id(state)
    marker = (RUN_ENV, run_id) if run_id else None
    services = state.get("services", [])
    order = _reverse_dependency_order(services)
    by_name = {s["name"]: s for s in services}
    for name in order:
        svc = by_name[name]
        pgid, created = svc.get("pgid"), svc.get("create_time")
        known = _recorded_pids(svc)
        extra = [pid for pid, ct in known.items() if proven(pid, ct, marker)]
        if isinstance(svc.get("pid"), int):
            known[svc["pid"]] = created
        group_ours = isinstance(pgid, int) and pgid > 0 and _group_is_ours(pgid, known, marker)
        if not group_ours and not extra:
            continue
        step(f"stopping {name}")
        grace = grace_s if grace_s is not None else svc.get("stop_timeout_ms", 10_000) / 1000
        sig = getattr(signal, str(svc.get("stop_signal") or "SIGTERM"), signal.SIGTERM)
        if group_ours:
            stop_group_sync(pgid, sig=sig, grace=grace, extra_pids=extra)
        else:
            stop_pids(extra, sig, grace)
    strays = _recorded_pids({"descendants": (state.get("supervisor") or {}).get("strays")})
    proven_strays = [pid for pid, ct in strays.items() if proven(pid, ct)]
    if proven_strays:
        step(f"stopping {len(proven_strays)} process(es) the supervisor adopted")
        stop_pids(proven_strays, signal.SIGTERM, 2.0 if grace_s is None else min(grace_s, 2.0))
    if run_id:
        stop_run(run_id, grace_s, step)


def _recorded_pids(svc: dict[str, Any]) -> dict[int, Any]:
    """The recorded descendants as {pid: create time}, skipping entries that are not pairs."""
    out: dict[int, Any] = {}
    for item in svc.get("descendants") or []:
        if isinstance(item, list) and len(item) == 2 and isinstance(item[0], int):
            out[item[0]] = item[1]
    return out


def _run_id(state: dict[str, Any] | None) -> str | None:
    return ((state or {}).get("supervisor") or {}).get("run_id") or None


def stop_run(run_id: str, grace_s: float | None, step: Callable[[str], None], *,
             first_looks: int | None = None) -> None:
    """Stop every process that inherited this run's DEVCTL_RUN marker and is still alive.

    The state file can lag behind a supervisor that was SIGKILLed: a service spawned (or a
    grandchild that detached with setsid) after the last write is in no recorded group. Every
    process a service starts inherits the marker, so a scan finds them.
    """
    from devctl.supervisor.markers import RUN_ENV

    killed = _stop_marked(RUN_ENV, run_id, grace_s, first_looks)
    if killed:
        step(f"stopped {killed} process(es) of this run that no record names")


def _stop_marked(name: str, value: str, grace_s: float | None, first_looks: int | None = None) -> int:
    """Stop what carries `name=value` in its environment. A process that forks and exits every
    few ms outruns pid-by-pid signals: the set is frozen first (SIGSTOP, and the whole group
    of each marked process), then killed (`procs.freeze`)."""
    from devctl.procs.freeze import FIRST_LOOKS, marker_group_check, stop_set
    from devctl.procs.pids import with_env

    def look() -> list[int]:
        return with_env(name, value)

    return stop_set(look, grace=2.0 if grace_s is None else min(grace_s, 2.0),
                    group_ok=marker_group_check(name, value),
                    first_looks=first_looks or FIRST_LOOKS)


def _group_is_ours(pgid: int, known: dict[int, Any], marker: tuple[str, str] | None) -> bool:
    """True when a live member of group `pgid` is proven ours: a recorded pid with its exact
    create time (the leader, or a descendant), or a process carrying this run's marker."""
    from devctl.procs.groups import group_members
    from devctl.procs.pids import proven

    return any(proven(pid, known.get(pid), marker) for pid in group_members(pgid))


def _reverse_dependency_order(services: list[dict[str, Any]]) -> list[str]:
    """Dependents before their dependencies (the recorded order is the start order)."""
    return [s["name"] for s in reversed(services)]


def _remove_files(paths: Paths) -> None:
    # A supervisor killed during a state write leaves its temp file (never half a state.json).
    temps = list(paths.state_dir.glob(".state.*.tmp")) if paths.state_dir.is_dir() else []
    for path in (paths.sock, paths.state, paths.lock, *temps):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
