"""The work of `devctl plan | build | prepare | validate`, without typer.

Load the config, run the phases with progress on stderr, then print the result (a rich table,
or `--json`). `devctl.cli.pipeline_cmds` (the typer commands) calls these; so can a typer-free
fast path in `devctl.cli.fastpath`, which then prints the same thing. Only the standard library
is imported at module level: the config, the pipeline, the plugin host and rich are imported
when a command runs, and rich only when something is drawn with it (a table, a spinner, a
warning) — `plan --json` into a pipe never needs it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from devctl.cli.context import AppContext
    from devctl.pipeline import PipelineResult


def plan(app: AppContext, *, json_out: bool) -> int:
    """`devctl plan [--json]` for the global options in `app`; the exit code (0).

    Raises DevctlError (ConfigError, PluginError, ...) like every command: the caller prints it.
    """
    result = run_phases(app, ("config.mutate", "launch.plan"), record_as="plan")
    if json_out:
        from devctl.supervisor.state_store import redact_env

        # The one redaction policy (state_store's), as in state.json, status and up --dry-run.
        services = [{**svc, "env": redact_env(svc["env"])} for svc in result.services]
        print_json({"config": result.config, "services": services})
    else:
        render_plan(result, app.load_config().repo_root)
    from devctl.cli.teardown import before_exit

    before_exit()
    return 0


def run_phases(app: AppContext, phases: tuple[str, ...], *, steps: list[str] | None = None,
               record_as: str | None = None) -> PipelineResult:
    """Run `phases` with the global options; print collision notes; return the PipelineResult.
    `record_as` names the command in `.devctl/pipeline.json` (None: the run leaves no record)."""
    from devctl.cli.progress import PipelineProgress, resolve
    from devctl.pipeline import PipelineOptions

    cfg = app.load_config()
    opts = PipelineOptions(
        phases=phases,
        steps=list(steps or []),
        strict=app.effective_strict(),
        dry_run=app.dry_run,
        timeout=app.timeout,
        verbose=app.verbose,
        record_as=record_as,
    )
    from devctl.plugins.early import spawn_early

    # The plugins start now, while the pipeline, the plugin host and asyncio are imported below
    # (on two cores their start-up is hidden); whatever is not adopted is killed on the way out.
    with spawn_early(cfg.plugins) as early:
        from devctl.pipeline.runner import run_pipeline_sync

        on_stderr = _stderr_printer() if app.verbose else None
        # Piped or in CI: a line per phase, plugin and step (a 3 s build is never silent); on a
        # terminal a spinner. The step table (or --json) below is the result either way.
        with PipelineProgress(resolve(None), label="starting plugins…", live_steps=False) as progress:
            result = run_pipeline_sync(cfg, opts, on_stderr=on_stderr, on_phase=progress.phase,
                                       on_event=progress.event, early=early)
    if result.notes:
        from devctl.cli.output import warn

        for note in result.notes:
            warn(note)
    return result


def _stderr_printer():  # noqa: ANN202
    """-v: each plugin stderr line on our stderr, prefixed with the plugin id."""
    from rich.text import Text

    from devctl.cli.output import err

    def show(plugin: str, line: str) -> None:
        err().print(Text(f"{plugin} | {line}", style="dim"))

    return show


def print_json(obj: object) -> None:
    from devctl.cli.output import print_json

    print_json(obj)


# -- rendering -------------------------------------------------------------------------------


def _table(title: str, *columns: str):  # noqa: ANN202
    """A table for narrow terminals too: a column named `Name:N` takes N shares of the spare
    width and wraps; the others (names, ids, verdicts) stay on one line."""
    from rich.table import Table

    table = Table(title=title, title_justify="left", title_style="bold", expand=True)
    for column in columns:
        name, _, share = column.partition(":")
        # Every column is at least as wide as its header, or a narrow terminal folds
        # "Depends on" into "Dep/end/s on".
        table.add_column(name, overflow="fold", no_wrap=not share, ratio=int(share) if share else None,
                         min_width=len(name))
    return table


def _cells(*values: object) -> list:
    from rich.text import Text

    return [Text("" if v is None else str(v)) for v in values]


def render_plan(result, repo_root) -> None:  # noqa: ANN001
    import json
    import os
    import shlex

    from rich.json import JSON

    from devctl.cli.output import out

    console = out()
    console.print("[bold]Config[/bold]")
    console.print(JSON(json.dumps(result.config, default=str)) if result.config else "  (empty)")
    if not result.services:
        console.print("\nNo services planned.")
        return
    from devctl.pipeline.health_spec import target_text

    table = _table("\nServices", "Service", "Plugin", "Command:3", "Cwd:1", "Health:2", "Depends on:1")
    for svc in result.services:
        health = svc["health"]
        where = f"{health['type']} {target_text(health)}" if health else "-"
        cwd = os.path.relpath(svc["cwd"], repo_root)
        table.add_row(*_cells(svc["name"], svc["plugin"], shlex.join(svc["command"]), cwd, where,
                              ", ".join(svc["depends_on"]) or "-"))
    console.print(table)


def render_steps(result) -> None:  # noqa: ANN001
    import json

    from devctl.cli.output import out

    console = out()
    if not result.steps:
        console.print("No steps ran (no plugin declares this phase, or none matched --step).")
    else:
        from devctl.cli.progress import seconds, step_verdict

        table = _table("Steps", "Step", "Plugin", "Result:1", "Took", "Message:2")
        for step in result.steps:
            message = step.get("message")
            message = "" if message is None else message if isinstance(message, str) else json.dumps(message)
            table.add_row(*_cells(step["name"], step["plugin"], step_verdict(step),
                                  seconds(step.get("duration_ms")), message or "-"))
        console.print(table)
    if result.artifacts:
        table = _table("Artifacts", "Key", "Value:1")
        for key, value in result.artifacts.items():
            table.add_row(*_cells(key, value if isinstance(value, str) else json.dumps(value)))
        console.print(table)


def finding_lines(items: list[dict]) -> list[str]:
    """Validation findings as indented lines, grouped by plugin: `code: message`, then the
    plugin's suggestion as `hint:`. A list, not a table: preflight ids and messages are long,
    and a table squeezes them into a narrow column. `up` prints its errors the same way."""
    by_plugin: dict[str, list[dict]] = {}
    for item in items:
        by_plugin.setdefault(str(item.get("plugin") or "?"), []).append(item)
    lines = []
    for plugin, found in by_plugin.items():
        lines.append(f"{plugin}:")
        for item in found:
            code = item.get("code")
            lines.append(f"  {code}: {item.get('message', '')}" if code else f"  {item.get('message', '')}")
            if item.get("suggest"):
                lines.append(f"    hint: {item['suggest']}")
    return lines


def render_validation(result) -> None:  # noqa: ANN001
    from rich.text import Text

    from devctl.cli.output import out

    console = out()
    for title, items, style in (("Errors", result.errors, "bold red"),
                                ("Warnings", result.warnings, "yellow")):
        if items:
            console.print(Text(title, style=style))
            for line in finding_lines(items):
                console.print(Text(f"  {line}"))
    counts = f"{len(result.errors)} error(s), {len(result.warnings)} warning(s)"
    if result.valid:
        console.print(f"[green]valid[/green] — {counts}")
    else:
        console.print(f"[bold red]invalid[/bold red] — {counts}")
