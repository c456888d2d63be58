"""`devctl plan | build | prepare | validate`: run pipeline phases and show what came out.

Thin on purpose: options in, `run_pipeline_sync` out, then a rich table or `--json`. Only
typer and the standard library are imported at module level; the pipeline, the plugin host
and rich are imported when a command actually runs.
"""

from __future__ import annotations

import typer

JSON_HELP = "Print the result as JSON on stdout (messages stay on stderr)."
STEP_HELP = "Run only this step (repeatable); passed to the plugins as input.steps."


def plan(ctx: typer.Context, json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Show the merged config and the services `up` would start.

    Runs config.mutate, then launch.plan, on every plugin that declares them, in
    (priority, id) order. Starts no service.

    JSON: {"config": {...}, "services": [...]}, services in merged order; env values of
    secret-looking keys (TOKEN, SECRET, PASSWORD, KEY) are shown as ***.
    """
    result = _run(ctx, ("config.mutate", "launch.plan"), json_out=json_out, record_as="plan")
    if json_out:
        from devctl.supervisor.state_store import redact_env

        # The one redaction policy (state_store's), as in state.json, status and up --dry-run.
        services = [{**svc, "env": redact_env(svc["env"])} for svc in result.services]
        _print_json({"config": result.config, "services": services})
    else:
        _render_plan(result, _context(ctx).load_config().repo_root)


def build(
    ctx: typer.Context,
    step: list[str] | None = typer.Option(None, "--step", help=STEP_HELP),
    json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Run the plugins' build steps (after config.mutate).

    A step that reports ok: false fails the command (exit 1).

    JSON: {"steps": [...], "artifacts": {...}}.
    """
    _steps_command(ctx, "build.run", step or [], json_out)


def prepare(
    ctx: typer.Context,
    step: list[str] | None = typer.Option(None, "--step", help=STEP_HELP),
    json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Run the plugins' prepare steps (after config.mutate): migrations, seed data, installs.

    A step that reports ok: false fails the command (exit 1).

    JSON: {"steps": [...], "artifacts": {...}}.
    """
    _steps_command(ctx, "prepare.run", step or [], json_out)


def validate(ctx: typer.Context, json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Check prerequisites: every plugin's validate.run (after config.mutate).

    Exit 0 when every plugin says valid, 1 when any says invalid.

    JSON: {"valid": bool, "errors": [{"plugin", "code", "message"}], "warnings": [...]}.
    """
    result = _run(ctx, ("config.mutate", "validate.run"), json_out=json_out)
    if json_out:
        _print_json({"valid": result.valid, "errors": result.errors, "warnings": result.warnings})
    else:
        _render_validation(result)
    if not result.valid:
        raise typer.Exit(1)


# -- running ---------------------------------------------------------------------------------


def _context(ctx: typer.Context):  # noqa: ANN202 - AppContext, imported lazily
    from devctl.cli.context import app_context

    return app_context(ctx)


def _run(ctx: typer.Context, phases: tuple[str, ...], *, json_out: bool, steps: list[str] | None = None,
         record_as: str | None = None):
    """Run `phases` with the global options; print collision notes; return the PipelineResult.
    `record_as` names the command in `.devctl/pipeline.json` (None: the run leaves no record)."""
    from devctl.cli.output import warn
    from devctl.cli.progress import PipelineProgress, resolve
    from devctl.pipeline import PipelineOptions
    from devctl.pipeline.runner import run_pipeline_sync

    app = _context(ctx)
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
    on_stderr = _stderr_printer() if app.verbose else None
    # Piped or in CI: a line per phase, plugin and step (a 3 s build is never silent); on a
    # terminal a spinner. The step table (or --json) below is the result either way.
    with PipelineProgress(resolve(None), label="starting plugins…", live_steps=False) as progress:
        result = run_pipeline_sync(cfg, opts, on_stderr=on_stderr, on_phase=progress.phase,
                                   on_event=progress.event)
    for note in result.notes:
        warn(note)
    return result


def _steps_command(ctx: typer.Context, phase: str, steps: list[str], json_out: bool) -> None:
    from devctl.errors import OperationFailed

    try:
        result = _run(ctx, ("config.mutate", phase), json_out=json_out, steps=steps)
    except OperationFailed as exc:
        partial = getattr(exc, "result", None)
        if partial is not None:  # a step failed: still show what ran, then fail
            _show_steps(partial, json_out)
        raise
    _show_steps(result, json_out)


def _show_steps(result, json_out: bool) -> None:  # noqa: ANN001
    if json_out:
        _print_json({"steps": result.steps, "artifacts": result.artifacts})
    else:
        _render_steps(result)


def _stderr_printer():  # noqa: ANN202
    """-v: each plugin stderr line on our stderr, prefixed with the plugin id."""
    from rich.text import Text

    from devctl.cli.output import err

    def show(plugin: str, line: str) -> None:
        err().print(Text(f"{plugin} | {line}", style="dim"))

    return show


def _print_json(obj: object) -> None:
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


def _render_plan(result, repo_root) -> None:  # noqa: ANN001
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


def _render_steps(result) -> None:  # noqa: ANN001
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


def _render_validation(result) -> None:  # noqa: ANN001
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
