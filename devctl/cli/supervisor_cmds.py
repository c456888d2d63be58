"""`devctl up | down | status | logs | restart | stop | start`: the services the plan describes.

Thin layer over devctl.supervisor: parse options, call the core, render. Only typer and the
standard library are imported at module level; `status`, `logs` and `down` never import
anyio or httpx (they read `.devctl/` directly), so they stay fast.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import typer

from devctl.cli.durations import DURATION, duration
from devctl.cli.progress import PROGRESS_HELP
from devctl.cli.progress import check as check_progress

SERVICES_ARG = typer.Argument(None, metavar="[SERVICE]...", help="Service names (default: all).",
                              show_default=False)


def _paths(ctx: typer.Context, *, from_config: bool = False) -> Any:
    from devctl.cli.context import app_context
    from devctl.supervisor.paths import Paths

    app = app_context(ctx)
    return Paths(app.load_config().repo_root if from_config else app.repo_root())


def up(
    ctx: typer.Context,
    services: list[str] | None = typer.Argument(
        None, metavar="[SERVICE]...", show_default=False,
        help="Only these services and what they depend on (default: the whole plan).",
    ),
    no_wait: bool = typer.Option(False, "--no-wait", help="Return once the services are started."),
    attach: bool = typer.Option(
        False, "--attach", "-a",
        help="Stay in the foreground, streaming every service's output; Ctrl-C stops all (twice: kill).",
    ),
    force: bool = typer.Option(False, "--force", help="If already up: stop everything first, then start."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Print what would start (or, if already up, what would change); do nothing."
    ),
    json_out: bool = typer.Option(
        False, "--json", help="Print what was done per service as JSON on stdout (progress stays on stderr)."
    ),
    skip_build: bool = typer.Option(False, "--skip-build", help="Skip the build.run phase."),
    skip_prepare: bool = typer.Option(False, "--skip-prepare", help="Skip the prepare.run phase."),
    skip_validate: bool = typer.Option(False, "--skip-validate", help="Skip the validate.run phase."),
    step: list[str] | None = typer.Option(
        None, "--step", help="Run only this build/prepare step (repeatable)."
    ),
    progress: str = typer.Option("auto", "--progress", help=PROGRESS_HELP, callback=check_progress),
) -> None:
    """Run the pipeline, start every planned service, wait until all are ready.

    A service is ready when its health check passes, or (without one) when it stayed up
    0.5 s. If one fails, up names it, prints the last 20 lines of its stderr, stops what it
    started and exits 1.

    Already up: the new plan is compared with the running one and only what changed is
    applied. Each service is `unchanged` (same process), `recreated` (its spec changed, or a
    service it depends on was recreated), `started` (new) or `removed` (no longer planned).
    A failing recreated service is reported (exit 1); the others keep running.
    --force recreates everything. Validation errors: exit 1. Bad depends_on, a dependency
    cycle or an unknown SERVICE: exit 2.
    """
    from devctl.cli.context import app_context
    from devctl.cli.output import err, info
    from devctl.supervisor import client
    from devctl.supervisor import up as up_core

    app = app_context(ctx)
    cfg = app.load_config()
    paths = _paths(ctx, from_config=True)
    from devctl.supervisor.control import AlreadyRunning

    only = list(dict.fromkeys(services or []))
    pre = up_core.preflight(paths, dry=dry_run or app.dry_run, force=force)
    planned = _plan(app, cfg, skip_build, skip_prepare, skip_validate, step or [], pre.dry,
                    progress=progress, record_as="up")
    selected = up_core.select(planned, only)  # an unknown SERVICE: exit 2, before anything
    if pre.apply:
        _apply(paths, planned, only, force=force, dry=pre.dry, no_wait=no_wait, attach=attach,
               json_out=json_out, progress=progress)
        return
    planned = selected
    next_step = up_core.next_step(pre, planned)
    if next_step is up_core.Next.NOTHING:
        info("the plan has no services: nothing to start")
        if json_out:
            _print_changes([], dry=pre.dry)
        return
    if next_step is up_core.Next.SHOW:
        from devctl.supervisor.render import plan_lines

        if json_out:
            _print_changes([{"service": s["name"], "action": "started"} for s in planned], dry=True)
        else:
            for line in plan_lines(planned):
                typer.echo(line)
        err().print(f"dry run: {len(planned)} service(s) would start; nothing was started")
        return
    # A broken new plan (a command typo, a missing cwd) must leave what runs alone: those
    # checks come before anything is stopped. Ports are checked after the old services are
    # down, since they may hold the very ports the new ones need.
    up_core.check_before_stopping(planned)
    if pre.clear_first:
        info(client.down(paths))  # also clears what a dead supervisor left behind
    prepared = up_core.prepare(planned, cfg.repo_root)
    try:
        _launch_and_wait(paths, cfg, prepared, no_wait=no_wait, attach=attach, progress=progress)
    except AlreadyRunning:
        # Another `up` started a supervisor since we looked: apply our plan to it, as if we
        # had come second (two `up` at once both succeed, with one set of services).
        _apply(paths, planned, only, force=False, dry=False, no_wait=no_wait, attach=attach,
               json_out=json_out, progress=progress)
        return
    if json_out:
        _print_changes([{"service": s["name"], "action": "started"} for s in prepared], dry=False)


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

    from devctl.cli.output import err, error, info, out
    from devctl.cli.up_progress import UpProgress
    from devctl.supervisor import client
    from devctl.supervisor import up as up_core

    t0 = time.time()
    with err().status("comparing with the running plan…" if dry else "applying the new plan…"):
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
        raise typer.Exit(1)
    info(f"{summary} in {time.time() - t0:.1f} s" if waiting else
         f"already up to date: {len(changes)} service(s) unchanged")


def _plan(app: Any, cfg: Any, skip_build: bool, skip_prepare: bool, skip_validate: bool,
          steps: list[str], dry: bool, *, on_result: Any = None,
          progress: str = "auto", record_as: str | None = None) -> list[dict[str, Any]]:
    """Run the pipeline; fail on invalid validation (grouped by plugin); return checked services.

    `on_result(result)` sees the whole PipelineResult (`devctl run` needs its merged config).
    `progress` is how the pipeline's progress shows (`devctl.cli.progress.resolve`); `record_as`
    names the command in `.devctl/pipeline.json` (None: the run leaves no record)."""
    from devctl.cli.output import err, warn
    from devctl.errors import OperationFailed
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
    from devctl.cli.progress import PipelineProgress, resolve
    from devctl.plugins.early import spawn_early

    # The plugins start while the pipeline and the plugin host are imported (plugins/early.py).
    with spawn_early(cfg.plugins) as early, PipelineProgress(resolve(progress)) as shown:
        from devctl.pipeline.runner import run_pipeline_sync

        result = run_pipeline_sync(cfg, opts, on_stderr=on_stderr, on_phase=shown.phase, on_event=shown.event,
                                   early=early)
    if on_result is not None:
        on_result(result)
    for note in result.notes:
        warn(note)
    for warning in result.warnings:
        warn(f"{warning.get('plugin', '?')}: {warning.get('message', '')}")
    if not result.valid:
        raise OperationFailed(f"validation failed ({len(result.errors)} error(s)); nothing was started",
                              details=_grouped(result.errors))
    from devctl.supervisor.plan import normalize

    return normalize(result.services, cfg.repo_root)


def _grouped(errors: list[dict[str, Any]]) -> list[str]:
    from devctl.cli.pipeline_cmds import finding_lines

    return finding_lines(errors)


def _launch_and_wait(paths: Any, cfg: Any, services: list[dict[str, Any]], *, no_wait: bool,
                     attach: bool, progress: str = "auto") -> None:
    from devctl.cli.output import err, error, info
    from devctl.cli.up_progress import UpProgress
    from devctl.supervisor import client, daemon
    from devctl.supervisor import up as up_core

    names = [s["name"] for s in services]
    t0 = time.time()
    daemon.launch(services, cfg.repo_root, list(getattr(cfg, "notifiers", []) or []))
    shown = UpProgress(names, t0, mode=progress)
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
        raise typer.Exit(130) from None
    if failed is not None:
        message, details = up_core.failure(paths, failed)
        shown.finish("failed", service=failed["name"], message=message, details=details)
        error(message, details)
        err().print("stopping everything that was started…")
        client.down(paths)
        raise typer.Exit(1)
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
        raise typer.Exit(130) from None
    if "thread" in stopping:
        info(stopping.get("summary") or "stopped")
        raise typer.Exit(130)
    if outcome.get("failed"):
        message, details = up_core.failure(paths, outcome["failed"])
        error(message, details)
        info(client.down(paths))
        raise typer.Exit(1)
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
    from devctl.supervisor.spawn import RUN_ENV

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
    raise typer.Exit(1)


def down(
    ctx: typer.Context,
    timeout: float | None = typer.Option(
        None, "--timeout", parser=duration(0.0), metavar=DURATION,
        help="Time each service gets after its stop signal before SIGKILL (seconds or 10s, 500ms; "
             "default: its stop_timeout_ms).",
    ),
) -> None:
    """Stop every service, dependents first, and remove the supervisor's socket, lock and state.

    Works after the supervisor crashed (from the state file). Logs are kept.
    With nothing running it says so and exits 0.
    """
    from devctl.cli.fastpath import down as down_all

    raise typer.Exit(down_all(_paths(ctx).root, timeout))  # the same function as the fast path


def status(
    ctx: typer.Context,
    json_out: bool = typer.Option(False, "--json", help="Print the snapshot as JSON on stdout."),
) -> None:
    """What runs and how it is doing: state, pid, uptime, restarts, health, log file.

    States: waiting, starting, running, healthy, unhealthy, backoff, stopping, exited, failed,
    stopped. Works without a live supervisor (then every pid is judged by its start time).
    Exit 0 when every service is running or healthy, 3 otherwise (also when nothing runs).
    """
    from devctl.cli.fastpath import status_json, status_table

    # The same functions as the fast paths (cli/fastpath.py), which answer both shapes without typer.
    raise typer.Exit((status_json if json_out else status_table)(_paths(ctx).root))


def logs(
    ctx: typer.Context,
    services: list[str] | None = SERVICES_ARG,
    service: list[str] | None = typer.Option(None, "--service", "-s", help="Service name (repeatable)."),
    lines: int = typer.Option(50, "-n", "--lines", min=0,
                              help="How many last lines to show per service and stream (older files "
                                   "`.log.1`, `.log.2`… fill in when the current one has fewer)."),
    follow: bool = typer.Option(
        False, "-f", "--follow", help="Keep printing new lines (across restarts) until Ctrl-C."
    ),
    stdout: bool = typer.Option(False, "--stdout", help="Only stdout."),
    stderr: bool = typer.Option(False, "--stderr", help="Only stderr."),
    # The Go devctl's spelling of --lines, where 0 means every line (docs/coming-from-go-devctl.md).
    tail: int | None = typer.Option(None, "--tail", min=0, hidden=True),
) -> None:
    """Show service output from .devctl/logs/ (works after the supervisor stopped or died).

    With no service named, all services are shown, each line prefixed with `name |`.
    When every line shown carries a timestamp (services with `logs: {timestamps: true}`), the
    services are interleaved by time; otherwise they are shown one after the other.
    A line longer than 64 KiB is shown cut, ending in `…[line cut]`.
    """
    from devctl.errors import DevctlError
    from devctl.supervisor import logs as logmod

    every_line = tail == 0  # Go: --tail 0 = the whole log
    if tail:
        lines = tail
    paths = _paths(ctx)
    known = _known_services(paths)
    names = list(dict.fromkeys([*(services or []), *(service or [])]))
    unknown = [n for n in names if n not in known]
    if unknown:
        raise DevctlError(f"no logs for {', '.join(unknown)} (known: {', '.join(known) or 'none'})",
                          exit_code=2)
    if not known:
        raise DevctlError("no service logs in .devctl/logs yet; start services with `devctl up`")
    chosen = names or known
    streams = [s for s, on in (("stdout", stdout), ("stderr", stderr)) if on] or ["stdout", "stderr"]
    prefix_on = len(chosen) > 1 or not names
    colour = logmod.use_colour(sys.stdout)
    prefixes = logmod.make_prefixes(chosen, colour) if prefix_on else dict.fromkeys(chosen, "")
    out = sys.stdout
    shown = [(name, paths.log(name, stream)) for name in chosen for stream in streams]
    texts = [list(logmod.all_lines(path)) if every_line else logmod.tail_generations(path, lines)
             for _name, path in shown]
    if logmod.all_stamped(texts):  # every line has its time: one stream, in time order
        for name, line in logmod.merge_by_time([(n, t) for (n, _p), t in zip(shown, texts, strict=True)]):
            out.write(prefixes[name] + line + "\n")
    else:  # service by service, stdout then stderr (docs/supervisor.md, `logs`)
        for (name, _path), text in zip(shown, texts, strict=True):
            for line in text:
                out.write(prefixes[name] + line + "\n")
    out.flush()
    if follow:
        sources = [(n, paths.log(n, s)) for n in chosen for s in streams]
        try:
            logmod.follow(sources, lambda key, line: logmod.write_line(prefixes[key], line))
        except KeyboardInterrupt:
            raise typer.Exit(0) from None


def _known_services(paths: Any) -> list[str]:
    """Services in state.json order, then any others that have log files."""
    from devctl.supervisor.logs import services_with_logs
    from devctl.supervisor.state_store import read_state

    state = read_state(paths.state) or {}
    return services_with_logs(paths.logs, [s["name"] for s in state.get("services", [])])


def restart(
    ctx: typer.Context,
    services: list[str] | None = SERVICES_ARG,
    wait: float = typer.Option(60.0, "--wait", parser=duration(0.0), metavar=DURATION,
                               help="How long to wait for readiness (seconds, or 90s, 2m)."),
) -> None:
    """Restart services (default: all) through the supervisor and wait until they are ready.

    A restart keeps the spec the service runs with (from the last `up`); when the plan on disk
    has changed since, it says so: `devctl up` applies the new plan.
    """
    try:
        _steer(ctx, "restart", services or [], wait)
    except typer.Exit:  # some service did not come back: the note may be why
        _note_plan_changed(ctx, services or [])
        raise
    _note_plan_changed(ctx, services or [])


def _note_plan_changed(ctx: typer.Context, names: list[str]) -> None:
    """Tell `restart` users that the plan on disk differs from what runs (for these services).

    Plans with the planning phases only (config.mutate, launch.plan: no build, prepare or
    validate) and asks the supervisor for the diff without its checks. Best effort: whatever
    goes wrong here (a plugin failing, no supervisor) says nothing, the restart stands."""
    import contextlib

    from devctl.cli.context import app_context
    from devctl.cli.output import warn
    from devctl.pipeline import PipelineOptions, run_pipeline_sync
    from devctl.supervisor import client

    with contextlib.suppress(Exception):  # best effort: never fails the restart
        app = app_context(ctx)
        cfg = app.load_config()
        paths = _paths(ctx, from_config=True)
        if not client.is_running(paths):
            return
        opts = PipelineOptions(phases=("config.mutate", "launch.plan"), strict=False,
                               timeout=min(app.timeout, 10.0))
        result = run_pipeline_sync(cfg, opts)
        from devctl.supervisor.plan import normalize

        reply = client.request(paths, "apply", timeout=30, services=normalize(result.services, cfg.repo_root),
                               dry_run=True, check=False)
        changed = [c for c in reply.get("changes", [])
                   if c["action"] != "unchanged" and not c.get("was")  # `was`: merely not running
                   and (not names or c["service"] in names)]
        if changed:
            what = ", ".join(
                f"{c['service']}: {', '.join(c['changed'])}" if c.get("changed") else
                f"{c['service']}: {c['action']}" for c in changed)
            warn(f"plan changed since up ({what}): the restart kept the running spec; "
                 "`devctl up` applies it")


def stop(
    ctx: typer.Context,
    services: list[str] = typer.Argument(..., metavar="SERVICE...", help="Service names."),
) -> None:
    """Stop these services (dependents of them keep running); `devctl start` brings them back."""
    _steer(ctx, "stop", services, None)


def start(
    ctx: typer.Context,
    services: list[str] = typer.Argument(..., metavar="SERVICE...", help="Service names."),
    wait: float = typer.Option(60.0, "--wait", parser=duration(0.0), metavar=DURATION,
                               help="How long to wait for readiness (seconds, or 90s, 2m)."),
) -> None:
    """Start stopped (or exited, failed) services, and whatever they depend on, and wait until ready."""
    _steer(ctx, "start", services, wait)


def _steer(ctx: typer.Context, op: str, names: list[str], wait: float | None) -> None:
    from devctl.cli.output import err
    from devctl.supervisor import client
    from devctl.supervisor.render import progress_line
    from devctl.supervisor.service_states import UP_STATES

    paths = _paths(ctx)
    args: dict[str, Any] = {"services": names}
    if wait is not None:
        args["wait_s"] = wait
    t0 = time.time()
    with err().status(f"{op} {', '.join(names) or 'all services'}…"):
        reply = client.request(paths, op, timeout=(wait or 0) + 600, **args)
    bad = 0
    for svc in reply.get("services", []):
        ok = svc["state"] == "stopped" if op == "stop" else svc["state"] in UP_STATES
        bad += not ok
        line = progress_line(svc, t0) if op != "stop" else svc["state"]
        err().print(f"{'[green]✔[/green]' if ok else '[red]✖[/red]'} {svc['name']}  {line}")
    if bad:
        raise typer.Exit(1)
