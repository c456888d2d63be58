"""`devctl plan | build | prepare | validate`: run pipeline phases and show what came out.

Thin on purpose: the options are typer's, the work is `devctl.cli.pipeline_run`'s (no typer
there, so a fast path can call the same functions). Only typer and the standard library are
imported at module level; the pipeline, the plugin host and rich are imported when a command
actually runs.
"""

from __future__ import annotations

import typer

from devctl.cli.pipeline_run import finding_lines  # re-exported: `up` prints its errors the same way

__all__ = ["build", "finding_lines", "plan", "prepare", "validate"]

JSON_HELP = "Print the result as JSON on stdout (messages stay on stderr)."
STEP_HELP = "Run only this step (repeatable); passed to the plugins as input.steps."


def plan(ctx: typer.Context, json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Show the merged config and the services `up` would start.

    Runs config.mutate, then launch.plan, on every plugin that declares them, in
    (priority, id) order. Starts no service.

    JSON: {"config": {...}, "services": [...]}, services in merged order; env values of
    secret-looking keys (TOKEN, SECRET, PASSWORD, KEY) are shown as ***.
    """
    from devctl.cli import pipeline_run

    pipeline_run.plan(_context(ctx), json_out=json_out)


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
    from devctl.cli import pipeline_run

    result = pipeline_run.run_phases(_context(ctx), ("config.mutate", "validate.run"))
    if json_out:
        pipeline_run.print_json({"valid": result.valid, "errors": result.errors, "warnings": result.warnings})
    else:
        pipeline_run.render_validation(result)
    if not result.valid:
        raise typer.Exit(1)


# -- running ---------------------------------------------------------------------------------


def _context(ctx: typer.Context):  # noqa: ANN202 - AppContext, imported lazily
    from devctl.cli.context import app_context

    return app_context(ctx)


def _steps_command(ctx: typer.Context, phase: str, steps: list[str], json_out: bool) -> None:
    from devctl.cli import pipeline_run
    from devctl.errors import OperationFailed

    try:
        result = pipeline_run.run_phases(_context(ctx), ("config.mutate", phase), steps=steps)
    except OperationFailed as exc:
        partial = getattr(exc, "result", None)
        if partial is not None:  # a step failed: still show what ran, then fail
            _show_steps(partial, json_out)
        raise
    _show_steps(result, json_out)


def _show_steps(result, json_out: bool) -> None:  # noqa: ANN001
    from devctl.cli import pipeline_run

    if json_out:
        pipeline_run.print_json({"steps": result.steps, "artifacts": result.artifacts})
    else:
        pipeline_run.render_steps(result)
