"""The work of `devctl plan | build | prepare | validate`, without typer.

Load the config, run the phases with progress on stderr, then print the result (a table, or
`--json`). `devctl.cli.pipeline_cmds` (the typer commands) calls these; so can a typer-free
fast path in `devctl.cli.fastpath`, which then prints the same thing. Only the standard library
is imported at module level: the config, the pipeline, the plugin host and rich are imported
when a command runs, and rich only for what is drawn on a terminal (a spinner, a coloured
table or JSON): piped, `plan` and `plan --json` never import it (tables and messages come from
`devctl.cli.plain`).
"""

from __future__ import annotations

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: this module is imported before the plugins start
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
    return 0


def run_phases(app: AppContext, phases: tuple[str, ...], *, steps: list[str] | None = None,
               record_as: str | None = None) -> PipelineResult:
    """Run `phases` with the global options; print collision notes; return the PipelineResult.
    `record_as` names the command in `.devctl/pipeline.json` (None: the run leaves no record)."""
    from devctl.plugins.early import spawn_early

    cfg = app.load_config()
    # The plugins start now, while the pipeline, the plugin host and the progress display are
    # imported below (on two cores their start-up is hidden); whatever is not adopted is killed
    # on the way out.
    with spawn_early(cfg.plugins) as early:
        from devctl.cli.progress import PipelineProgress, resolve
        from devctl.pipeline import PipelineOptions

        opts = PipelineOptions(
            phases=phases,
            steps=list(steps or []),
            strict=app.effective_strict(),
            dry_run=app.dry_run,
            timeout=app.timeout,
            verbose=app.verbose,
            record_as=record_as,
        )
        from devctl.pipeline.runner import run_pipeline

        on_stderr = _stderr_printer() if app.verbose else None
        # Piped or in CI: a line per phase, plugin and step (a 3 s build is never silent); on a
        # terminal a spinner. The step table (or --json) below is the result either way.
        with PipelineProgress(resolve(None), label="starting plugins…", live_steps=False) as progress:
            result = run_pipeline(cfg, opts, on_stderr=on_stderr, on_phase=progress.phase,
                                       on_event=progress.event, early=early)
    if result.notes:
        from devctl.cli.output import warn

        for note in result.notes:
            warn(note)
    return result


def _stderr_printer():  # noqa: ANN202
    """-v: each plugin stderr line on our stderr, prefixed with the plugin id."""
    from devctl.cli.output import notice

    def show(plugin: str, line: str) -> None:
        notice((f"{plugin} | {line}", "dim"))

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


def _print_table(title: str, columns: tuple[str, ...], rows: list[tuple[object, ...]]) -> None:
    """Print a `_table` on stdout. Piped (no colour to draw), the same text comes from
    `devctl.cli.plain.boxed_table` without importing rich (~30-85 ms); on a terminal rich draws
    it (bold title and headers), as it does the rare layout `boxed_table` leaves to rich."""
    import sys

    from devctl.cli import plain

    cells = [tuple("" if v is None else str(v) for v in row) for row in rows]
    utf = (getattr(sys.stdout, "encoding", None) or "").lower().startswith("utf")  # else rich's ASCII box
    if utf and not plain.is_terminal(sys.stdout):
        names = [c.partition(":")[0] for c in columns]
        ratios = [int(c.partition(":")[2] or 0) for c in columns]
        drawn = plain.boxed_table(title, names, ratios, cells, plain.width())
        if drawn is not None:
            sys.stdout.write("".join(line + "\n" for line in drawn))
            sys.stdout.flush()
            return
    from rich.text import Text

    from devctl.cli.output import out

    table = _table(title, *columns)
    for row in cells:
        table.add_row(*(Text(c) for c in row))
    out().print(table)


def render_plan(result, repo_root) -> None:  # noqa: ANN001
    import json
    import os
    import shlex
    import sys

    from devctl.cli import plain
    from devctl.cli.output import notice

    notice(("Config", "bold"), stdout=True)
    if not result.config:
        notice("  (empty)", stdout=True)
    elif plain.is_terminal(sys.stdout):  # rich colours the JSON on a terminal
        from rich.json import JSON

        from devctl.cli.output import out

        out().print(JSON(json.dumps(result.config, default=str)))
    else:  # what rich.json prints without colour: the data re-dumped, indented by 2
        notice(json.dumps(json.loads(json.dumps(result.config, default=str)), indent=2, ensure_ascii=False),
               stdout=True)
    if not result.services:
        notice("\nNo services planned.", stdout=True)
        return
    from devctl.pipeline.health_spec import target_text

    rows = []
    for svc in result.services:
        health = svc["health"]
        where = f"{health['type']} {target_text(health)}" if health else "-"
        cwd = os.path.relpath(svc["cwd"], repo_root)
        rows.append((svc["name"], svc["plugin"], shlex.join(svc["command"]), cwd, where,
                     ", ".join(svc["depends_on"]) or "-"))
    _print_table("\nServices", ("Service", "Plugin", "Command:3", "Cwd:1", "Health:2", "Depends on:1"), rows)


def render_steps(result) -> None:  # noqa: ANN001
    import json

    from devctl.cli.output import notice

    if not result.steps:
        notice("No steps ran (no plugin declares this phase, or none matched --step).", stdout=True)
    else:
        from devctl.cli.progress import seconds, step_verdict

        rows = []
        for step in result.steps:
            message = step.get("message")
            message = "" if message is None else message if isinstance(message, str) else json.dumps(message)
            rows.append((step["name"], step["plugin"], step_verdict(step), seconds(step.get("duration_ms")),
                         message or "-"))
        _print_table("Steps", ("Step", "Plugin", "Result:1", "Took", "Message:2"), rows)
    if result.artifacts:
        rows = [(key, value if isinstance(value, str) else json.dumps(value))
                for key, value in result.artifacts.items()]
        _print_table("Artifacts", ("Key", "Value:1"), rows)


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
    from devctl.cli.output import notice

    for title, items, style in (("Errors", result.errors, "bold red"),
                                ("Warnings", result.warnings, "yellow")):
        if items:
            notice((title, style), stdout=True)
            for line in finding_lines(items):
                notice(f"  {line}", stdout=True)
    counts = f"{len(result.errors)} error(s), {len(result.warnings)} warning(s)"
    if result.valid:
        notice(("valid", "green"), f" — {counts}", stdout=True)
    else:
        notice(("invalid", "bold red"), f" — {counts}", stdout=True)
