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
    from devctl.cli.up_run import run_up

    # The same function as the fast path for a bare `devctl up` (cli/fastpath.py).
    run_up(app_context(ctx), services or [], no_wait=no_wait, attach=attach, force=force, dry_run=dry_run,
           json_out=json_out, skip_build=skip_build, skip_prepare=skip_prepare,
           skip_validate=skip_validate, step=step or [], progress=progress)


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
    from devctl.pipeline import PipelineOptions, run_pipeline
    from devctl.supervisor import client

    with contextlib.suppress(Exception):  # best effort: never fails the restart
        app = app_context(ctx)
        cfg = app.load_config()
        paths = _paths(ctx, from_config=True)
        if not client.is_running(paths):
            return
        opts = PipelineOptions(phases=("config.mutate", "launch.plan"), strict=False,
                               timeout=min(app.timeout, 10.0))
        result = run_pipeline(cfg, opts)
        from devctl.supervisor.plan import in_start_order  # the pipeline checked each service

        reply = client.request(paths, "apply", timeout=30, services=in_start_order(result.services),
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
    from devctl.cli.output import err, spinner
    from devctl.supervisor import client
    from devctl.supervisor.render import progress_line
    from devctl.supervisor.service_states import UP_STATES

    paths = _paths(ctx)
    args: dict[str, Any] = {"services": names}
    if wait is not None:
        args["wait_s"] = wait
    t0 = time.time()
    with spinner(f"{op} {', '.join(names) or 'all services'}…"):
        reply = client.request(paths, op, timeout=(wait or 0) + 600, **args)
    bad = 0
    for svc in reply.get("services", []):
        ok = svc["state"] == "stopped" if op == "stop" else svc["state"] in UP_STATES
        bad += not ok
        line = progress_line(svc, t0) if op != "stop" else svc["state"]
        err().print(f"{'[green]✔[/green]' if ok else '[red]✖[/red]'} {svc['name']}  {line}")
    if bad:
        raise typer.Exit(1)
