"""`devctl up` without typer: the pipeline, then the supervisor, then waiting until ready.

The typer command (`devctl.cli.supervisor_cmds.up`) and the fast path for a bare `devctl up`
(`devctl.cli.fastpath`) both call `run_up`, so the two cannot disagree; `up` is the command
with a speed goal (issue 17), and importing typer and building the command tree is ~45 ms of it.
`devctl run` reuses `_plan` and `_launch_and_wait`. Exit codes other than 0 leave as SystemExit
(typer lets it through unchanged), errors as DevctlError, as in every command.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: this module runs before the plugins start
if TYPE_CHECKING:
    from typing import Any

    from devctl.cli.context import AppContext


def run_up(app: AppContext, services: list[str] | None = None, *, no_wait: bool = False, attach: bool = False,
           force: bool = False, dry_run: bool = False, json_out: bool = False, skip_build: bool = False,
           skip_prepare: bool = False, skip_validate: bool = False, step: list[str] | None = None,
           progress: str = "auto") -> int:
    """`devctl up` with the command's options (see its help); returns 0, other exits raise."""
    from devctl.plugins.early import spawn_early
    from devctl.supervisor.paths import Paths

    services = services or []
    step = step or []
    only = list(dict.fromkeys(services))
    dry = dry_run or app.dry_run
    # The supervisor-to-be first, before the config is read: it imports on the other core while
    # this one parses the config and starts the plugins, and its imports are none of the CLI's
    # (docs/performance.md, "U2"). With `--config FILE` the repo root comes from the config, so
    # it is forked once that is read.
    root_known = app.config_opt is None
    early = _fork_supervisor_early(Paths(app.repo_root()), dry) if root_known else None
    try:
        cfg = app.load_config()
        # The plugins next: their start is the longest step before the plan exists, and every
        # `up` runs the pipeline. What is not adopted by the pipeline is killed on the way out
        # (plugins/early.py).
        with spawn_early(cfg.plugins) as plugins:
            paths = Paths(cfg.repo_root)
            if not root_known or (early is not None and early.paths != paths):
                if early is not None:
                    early.abandon()
                early = _fork_supervisor_early(paths, dry)  # (it lets go of the plugins' pipes)
            return _up(app, cfg, paths, only, early, plugins, no_wait=no_wait, attach=attach, force=force,
                       dry=dry, json_out=json_out, skip_build=skip_build, skip_prepare=skip_prepare,
                       skip_validate=skip_validate, step=step, progress=progress)
    finally:
        if early is not None:
            early.abandon()  # `up` started no supervisor (or handed it the plan: closes a pipe)


def _fork_supervisor_early(paths: Any, dry: bool) -> Any:
    """The supervisor, forked now to import while the config is read and the pipeline runs
    (supervisor/early.py); None when `up` will not start one anyway (a dry run, one already
    runs, exec mode)."""
    import os

    from devctl.supervisor.paths import supervisor_alive

    if dry or os.environ.get("DEVCTL_SUPERVISOR_MODE", "fork") != "fork" or supervisor_alive(paths.lock):
        return None
    from devctl.supervisor.early import fork_early

    return fork_early(paths.root)


def _up(app: AppContext, cfg: Any, paths: Any, only: list[str], early: Any, plugins: Any, *,
        no_wait: bool, attach: bool, force: bool, dry: bool, json_out: bool, skip_build: bool,
        skip_prepare: bool, skip_validate: bool, step: list[str], progress: str) -> int:
    from devctl.cli.output import err, info
    from devctl.supervisor import client
    from devctl.supervisor import up as up_core
    from devctl.supervisor.control import AlreadyRunning

    # The go / no-go reads /proc/locks, whose first read waits 5-18 ms in the kernel: it runs
    # while the plugins start and the plugin host is imported, and is awaited before the
    # pipeline's first phase (a no-go still stops `up` before any plugin did any work).
    from devctl.util.background import in_background

    preflight = in_background(lambda: up_core.preflight(paths, dry=dry, force=force),
                              name="devctl-up-preflight")
    planned = _plan(app, cfg, skip_build, skip_prepare, skip_validate, step, dry,
                    progress=progress, record_as="up", before_phases=preflight, started=plugins,
                    then=_import_launch)
    pre = preflight()
    selected = up_core.select(planned, only)  # an unknown SERVICE: exit 2, before anything
    if pre.apply:
        _apply(paths, planned, only, force=force, dry=pre.dry, no_wait=no_wait, attach=attach,
               json_out=json_out, progress=progress)
        return 0
    planned = selected
    next_step = up_core.next_step(pre, planned)
    if next_step is up_core.Next.NOTHING:
        info("the plan has no services: nothing to start")
        if json_out:
            _print_changes([], dry=pre.dry)
        return 0
    if next_step is up_core.Next.SHOW:
        from devctl.supervisor.render import plan_lines

        if json_out:
            _print_changes([{"service": s["name"], "action": "started"} for s in planned], dry=True)
        else:
            for line in plan_lines(planned):
                print(line, flush=True)
        err().print(f"dry run: {len(planned)} service(s) would start; nothing was started")
        return 0
    # A broken new plan (a command typo, a missing cwd) must leave what runs alone: those
    # checks come before anything is stopped. Ports are checked after the old services are
    # down, since they may hold the very ports the new ones need.
    up_core.check_before_stopping(planned)
    if pre.clear_first:
        info(client.down(paths))  # also clears what a dead supervisor left behind
    prepared = up_core.check_before_start(planned)  # `_plan` normalized it
    try:
        _launch_and_wait(paths, cfg, prepared, no_wait=no_wait, attach=attach, progress=progress, early=early)
    except AlreadyRunning:
        # Another `up` started a supervisor since we looked: apply our plan to it, as if we
        # had come second (two `up` at once both succeed, with one set of services).
        _apply(paths, planned, only, force=False, dry=False, no_wait=no_wait, attach=attach,
               json_out=json_out, progress=progress)
        return 0
    if json_out:
        _print_changes([{"service": s["name"], "action": "started"} for s in prepared], dry=False)
    return 0


def _print_changes(changes: list[dict[str, Any]], *, dry: bool, failed: str | None = None) -> None:
    from devctl.cli.output import print_json

    print_json({"dry_run": dry, "changes": changes, "failed": failed})


def _change_line(change: dict[str, Any], width: int) -> str:
    """`api  recreated  (env changed)` — what `up` did to one service, and why."""
    why = ""
    if change.get("changed"):
        why = f"  ({', '.join(change['changed'])} changed)"
    elif change.get("because"):
        why = f"  (depends on {', '.join(change['because'])})"
    elif change["action"] == "recreated":
        why = "  (--force)"
    elif change.get("was"):
        why = f"  (was {change['was']})"
    return f"{change['service']:<{width}}  {change['action']}{why}"


_ACTION_STYLE = {"unchanged": "dim", "recreated": "yellow", "started": "green", "removed": "red"}


def _apply(paths: Any, services: list[Any], only: list[str], *, force: bool, dry: bool, no_wait: bool,
           attach: bool, json_out: bool, progress: str = "auto") -> None:
    """`up` on a running environment: the supervisor compares and applies; we report and wait."""
    from rich.markup import escape

    from devctl.cli.output import err, error, info, out, spinner
    from devctl.cli.up_progress import UpProgress
    from devctl.supervisor import client
    from devctl.supervisor import up as up_core

    t0 = time.time()
    with spinner("comparing with the running plan…" if dry else "applying the new plan…"):
        up_core.await_supervisor(paths)
        reply = client.request(paths, "apply", timeout=900, services=services, only=only, force=force,
                               dry_run=dry)
    changes: list[dict[str, Any]] = reply.get("changes", [])
    if not json_out:
        width = max((len(c["service"]) for c in changes), default=0)
        for change in changes:
            style = _ACTION_STYLE.get(change["action"], "")
            out().print(f"[{style}]{escape(_change_line(change, width))}[/{style}]", highlight=False)
    counts = {a: sum(c["action"] == a for c in changes) for a in ("recreated", "started", "removed")}
    summary = ", ".join(f"{n} {a}" for a, n in counts.items() if n) or "nothing changed"
    if dry:
        if json_out:
            _print_changes(changes, dry=True)
        err().print(f"dry run: {summary}; nothing was done")
        return
    waiting = [c["service"] for c in changes if c["action"] in ("recreated", "started")]
    if attach:
        _attach(paths, [c["service"] for c in changes if c["action"] != "removed"], t0)
        return
    failed = None
    if waiting:
        with UpProgress(waiting, t0, mode=progress) as shown:
            failed = up_core.wait(paths, waiting, shown.update, started_only=no_wait)
    if json_out:
        _print_changes(changes, dry=False, failed=failed["name"] if failed else None)
    if failed is not None:
        message, details = up_core.failure(paths, failed)
        error(message, details)
        err().print("the other services keep running; fix it and run `devctl up` again "
                    "(`devctl down` stops everything)")
        raise SystemExit(1)
    info(f"{summary} in {time.time() - t0:.1f} s" if waiting else
         f"already up to date: {len(changes)} service(s) unchanged")


def _plan(app: Any, cfg: Any, skip_build: bool, skip_prepare: bool, skip_validate: bool,
          steps: list[str], dry: bool, *, on_result: Any = None,
          progress: str = "auto", record_as: str | None = None,
          before_phases: Callable[[], object] | None = None, started: Any = None,
          then: Callable[[], object] | None = None) -> list[dict[str, Any]]:
    """Run the pipeline; fail on invalid validation (grouped by plugin); return checked services.

    `on_result(result)` sees the whole PipelineResult (`devctl run` needs its merged config).
    `progress` is how the pipeline's progress shows (`devctl.cli.progress.resolve`); `record_as`
    names the command in `.devctl/pipeline.json` (None: the run leaves no record).
    `before_phases()` is called once the plugins are starting and the host is imported, before
    the first phase; what it raises ends the run there (the plugins are closed). `started`: the
    plugins the caller spawned already (`plugins.early.EarlyStarts`, which it closes); else
    they are spawned here. The plan is checked, and `then()` (the caller's imports for what
    comes next) is called, while the plugins exit (`run_pipeline`'s `while_closing`)."""
    from devctl.cli.output import err, warn
    from devctl.errors import DevctlError, OperationFailed
    from devctl.pipeline import PHASES, PipelineOptions

    skipped = {"build.run": skip_build, "prepare.run": skip_prepare, "validate.run": skip_validate}
    opts = PipelineOptions(
        phases=tuple(p for p in PHASES if not skipped.get(p)), steps=steps,
        strict=app.effective_strict(), dry_run=dry, timeout=app.timeout, verbose=app.verbose,
        record_as=record_as,
    )
    on_stderr = None
    if app.verbose:
        def on_stderr(plugin: str, line: str) -> None:
            from rich.text import Text

            err().print(Text(f"{plugin} | {line}", style="dim"))
    from contextlib import nullcontext

    from devctl.cli.progress import PipelineProgress, resolve
    from devctl.plugins.early import spawn_early

    checked: dict[str, Any] = {}

    def while_closing(result: Any) -> None:
        # The same check as after the run, made while the plugins exit; an error it finds is
        # raised where it always was (below, after the warnings and the validation).
        if result.valid:
            from devctl.supervisor.plan import in_start_order

            try:
                checked["services"] = in_start_order(result.services)
            except DevctlError as exc:
                checked["error"] = exc
        if then is not None:
            then()

    # The plugins start while the pipeline and the plugin host are imported (plugins/early.py).
    spawned = nullcontext(started) if started is not None else spawn_early(cfg.plugins)
    with spawned as early, PipelineProgress(resolve(progress)) as shown:
        from devctl.pipeline.runner import run_pipeline

        if before_phases is not None:
            before_phases()
        result = run_pipeline(cfg, opts, on_stderr=on_stderr, on_phase=shown.phase, on_event=shown.event,
                              early=early, while_closing=while_closing)
    if on_result is not None:
        on_result(result)
    for note in result.notes:
        warn(note)
    for warning in result.warnings:
        warn(f"{warning.get('plugin', '?')}: {warning.get('message', '')}")
    if not result.valid:
        raise OperationFailed(f"validation failed ({len(result.errors)} error(s)); nothing was started",
                              details=_grouped(result.errors))
    if "error" in checked:
        raise checked["error"]
    return checked["services"]


def _grouped(errors: list[dict[str, Any]]) -> list[str]:
    from devctl.cli.pipeline_cmds import finding_lines

    return finding_lines(errors)


def _import_launch() -> None:
    """What `_launch_and_wait` imports, loaded while the plugins exit (`_plan`'s `then`): that
    wait is ~4 ms of a Python plugin's teardown, which these imports fill. Before the plugins'
    handshakes the CLI has less room than that on a busy box, and work added there made `up`
    slower, not faster (docs/performance.md, "U", tried and not kept)."""
    from devctl.cli import up_progress  # noqa: F401
    from devctl.supervisor import daemon  # noqa: F401


def _launch_and_wait(paths: Any, cfg: Any, services: list[dict[str, Any]], *, no_wait: bool,
                     attach: bool, progress: str = "auto", early: Any = None) -> None:
    from devctl.cli.output import err, error, info
    from devctl.cli.up_progress import UpProgress
    from devctl.supervisor import client, daemon
    from devctl.supervisor import up as up_core

    names = [s["name"] for s in services]
    t0 = time.time()
    daemon.launch(services, cfg.repo_root, list(getattr(cfg, "notifiers", []) or []), early=early)
    shown = UpProgress(names, t0, mode=progress)
    import signal

    # SIGTERM while waiting is Ctrl-C (docs/cli.md): stop what was started, exit 130. Without
    # this, the dashboard stopping its `up` child left everything it started running. (`devctl
    # run` has its own handler, which stays.)
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        if attach:
            _attach(paths, names, t0)
            return
        with shown:
            failed = up_core.wait(paths, names, shown.update, started_only=no_wait)
    except KeyboardInterrupt:
        shown.finish("interrupted")
        err().print("interrupted: stopping what was started…")
        client.down(paths)
        raise SystemExit(130) from None
    if failed is not None:
        message, details = up_core.failure(paths, failed)
        shown.finish("failed", service=failed["name"], message=message, details=details)
        error(message, details)
        err().print("stopping everything that was started…")
        client.down(paths)
        raise SystemExit(1)
    took = time.time() - t0
    shown.finish("started" if no_wait else "ready", services=names, duration_ms=round(took * 1000))
    if no_wait:
        info(f"started {len(names)} service(s); `devctl status` shows how they are doing")
    else:
        info(f"{len(names)} service(s) ready in {took:.1f} s — "
             "`devctl status`, `devctl logs -f`, `devctl down`")


def _attach(paths: Any, names: list[str], t0: float) -> None:
    """Stream every service's output until Ctrl-C (graceful down) or a second Ctrl-C (kill).

    SIGTERM and SIGHUP (a closed terminal, a CI runner cancelling the job) count as Ctrl-C: an
    attached session owns its services, so they must not outlive it. While they stop, their
    output keeps streaming (what a service says on its way down is often the useful part), and
    the session ends with `down`'s own summary. A supervisor that dies under the session is
    reported, its services are stopped, and the exit code is 1.
    """
    import signal
    import threading

    from devctl.cli.output import err, error, info
    from devctl.supervisor import client, logs
    from devctl.supervisor import up as up_core

    prefixes = logs.make_prefixes(names, logs.use_colour(sys.stdout))
    outcome: dict[str, Any] = {}
    stopping: dict[str, Any] = {}

    def stop_all() -> None:
        stopping["summary"] = client.down(paths)

    def on_signal(_signum: int, _frame: Any) -> None:
        if "thread" in stopping:
            raise KeyboardInterrupt  # the second one: kill
        err().print("stopping (Ctrl-C again to kill at once)…")
        stopping["thread"] = threading.Thread(target=stop_all, daemon=True)
        stopping["thread"].start()

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)

    def watch() -> None:
        try:
            outcome["failed"] = up_core.wait(paths, names, lambda _r: None)
        except Exception as exc:  # noqa: BLE001 - reported by the main thread
            outcome["error"] = exc
        if outcome.get("failed") is None and "error" not in outcome:
            err().print(f"all {len(names)} service(s) ready in {time.time() - t0:.1f} s (Ctrl-C stops them)")

    def should_stop() -> bool:
        if "thread" in stopping:
            return not stopping["thread"].is_alive()
        if not outcome.get("run_id"):
            outcome["run_id"] = _run_id(paths)
        return bool(outcome.get("failed")) or not client.is_running(paths)

    threading.Thread(target=watch, daemon=True).start()
    sources = [(n, paths.log(n, s)) for n in names for s in ("stdout", "stderr")]
    try:
        logs.follow(sources, lambda key, line: logs.write_line(prefixes[key], line), from_start=True,
                    since=t0, should_stop=should_stop)
    except KeyboardInterrupt:
        err().print("killing…")
        info(client.kill_now(paths))
        raise SystemExit(130) from None
    if "thread" in stopping:
        info(stopping.get("summary") or "stopped")
        raise SystemExit(130)
    if outcome.get("failed"):
        message, details = up_core.failure(paths, outcome["failed"])
        error(message, details)
        info(client.down(paths))
        raise SystemExit(1)
    _supervisor_gone(paths, outcome.get("run_id"))


def _run_id(paths: Any) -> str | None:
    """This supervisor's run marker (DEVCTL_RUN), from state.json; None when unreadable."""
    from devctl.errors import DevctlError
    from devctl.supervisor.state_store import read_state

    try:
        return ((read_state(paths.state) or {}).get("supervisor") or {}).get("run_id") or None
    except DevctlError:
        return None


def _supervisor_gone(paths: Any, run_id: str | None) -> None:
    """The supervisor of an attached session went away without this session stopping it.

    A clean `devctl down` from elsewhere removes state.json and leaves nothing running: say so,
    exit 0. Anything else (state.json left behind, or processes of this run still alive) means
    it died: stop what it left, say so, exit 1 — the services must not outlive the session.
    """
    from devctl.cli.output import error, info
    from devctl.procs.pids import with_env
    from devctl.supervisor import client
    from devctl.supervisor.markers import RUN_ENV

    left = paths.state.exists() or bool(run_id and with_env(RUN_ENV, run_id))
    if not left:
        info("the services were stopped from elsewhere (`devctl down`); nothing is left running")
        return
    error("the supervisor died while attached; stopping the services it left running",
          [f"its log: {paths.daemon_log}"])
    summary = client.down(paths)
    if run_id:
        client.stop_run(run_id, None, lambda _msg: None)  # what no state file recorded
    info(summary)
    raise SystemExit(1)
